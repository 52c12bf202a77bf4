"""The detectors and the default policy packs, without a store: what evaluation judges replies with."""

from __future__ import annotations

from dataclasses import dataclass

from companion_guard.detectors.registry import DetectorRegistry
from companion_guard.policy.engine import PolicyEngine
from companion_guard.policy.loader import load_pack


@dataclass(frozen=True, slots=True)
class OfflineGuard:
    """A registry and a policy engine: the judging half of ``Guard``."""

    registry: DetectorRegistry
    policy: PolicyEngine


def offline_guard(registry: DetectorRegistry, packs: tuple[str, ...] = ("cn-2026",)) -> OfflineGuard:
    """The default packs over ``registry``."""
    return OfflineGuard(registry, PolicyEngine([load_pack(p) for p in packs]))
