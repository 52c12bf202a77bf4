"""Building the upstream ``--upstream`` names: kept apart from :mod:`.base`, so the interface
never imports its implementations (each of them imports the interface)."""

from __future__ import annotations

from companion_guard.exceptions import ConfigError
from companion_guard.upstream.base import Upstream


def make_upstream(spec: str, *, api_key: str | None = None, timeout: float = 30.0) -> Upstream:
    """Build an upstream from ``--upstream``: ``demo``, ``demo:unsafe`` or an http(s) URL."""
    if spec in ("demo", "demo:safe", ""):
        from companion_guard.upstream.demo import DemoCompanion

        return DemoCompanion()
    if spec == "demo:unsafe":
        from companion_guard.upstream.demo_unsafe import UnsafeDemoCompanion

        return UnsafeDemoCompanion()
    if spec.startswith(("http://", "https://")):
        from companion_guard.upstream.openai_compat import OpenAICompatibleUpstream

        return OpenAICompatibleUpstream(spec, api_key=api_key, timeout=timeout)
    raise ConfigError(f"unknown upstream {spec!r}: use demo, demo:unsafe or an http(s) URL")
