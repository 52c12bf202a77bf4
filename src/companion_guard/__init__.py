"""companion-guard: the safety and compliance gateway for AI companion services.

The supported public API is what ``__all__`` lists; everything else may change.
"""

from __future__ import annotations

import importlib
from typing import Any

from companion_guard._version import __version__

#: public name → module that defines it; imported on first use so `import companion_guard` stays cheap.
_LAZY = {
    "Clock": "companion_guard.clock",
    "CompanionGuardError": "companion_guard.exceptions",
    "ConfigError": "companion_guard.exceptions",
    "DetectionContext": "companion_guard.detectors",
    "Detector": "companion_guard.detectors",
    "DetectorRegistry": "companion_guard.detectors",
    "Direction": "companion_guard.types",
    "Event": "companion_guard.types",
    "Evidence": "companion_guard.types",
    "FrozenClock": "companion_guard.clock",
    "Guard": "companion_guard.pipeline",
    "Message": "companion_guard.types",
    "OffsetClock": "companion_guard.clock",
    "PolicyEngine": "companion_guard.policy",
    "Relationship": "companion_guard.types",
    "RiskLevel": "companion_guard.types",
    "Settings": "companion_guard.settings",
    "Signal": "companion_guard.types",
    "SystemClock": "companion_guard.clock",
    "TurnRequest": "companion_guard.turn",
    "TurnResult": "companion_guard.turn",
    "UpstreamError": "companion_guard.exceptions",
    "Gateway": "companion_guard.assembly",
    "build_guard": "companion_guard.assembly",
    "build_services": "companion_guard.service.app",
    "create_app": "companion_guard.service.app",
    "default_registry": "companion_guard.detectors",
    "load_pack": "companion_guard.policy",
    "load_settings": "companion_guard.settings",
    "normalize": "companion_guard.detectors",
}

__all__ = [
    "Clock",
    "CompanionGuardError",
    "ConfigError",
    "DetectionContext",
    "Detector",
    "DetectorRegistry",
    "Direction",
    "Event",
    "Evidence",
    "FrozenClock",
    "Gateway",
    "Guard",
    "Message",
    "OffsetClock",
    "PolicyEngine",
    "Relationship",
    "RiskLevel",
    "Settings",
    "Signal",
    "SystemClock",
    "TurnRequest",
    "TurnResult",
    "UpstreamError",
    "__version__",
    "build_guard",
    "build_services",
    "create_app",
    "default_registry",
    "load_pack",
    "load_settings",
    "normalize",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'companion_guard' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
