"""Helpers for the detector tables: run the lexicon-tier registry on one text."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectionContext, DetectorRegistry, default_registry
from companion_guard.types import Direction, Message, RiskLevel, Signal


@pytest.fixture(scope="session")
def lexicon_registry() -> DetectorRegistry:
    """Every built-in detector, learned tier off (no encoder in unit tests)."""
    return default_registry(learned="off")


def levels(
    registry: DetectorRegistry,
    text: str,
    direction: Direction = Direction.INPUT,
    *,
    history: tuple[Message, ...] = (),
    user_text: str = "",
    user_age: int | None = None,
) -> dict[str, RiskLevel]:
    """The strongest level per category the registry reports for ``text``."""
    ctx = DetectionContext(direction=direction, history=history, user_text=user_text, user_age=user_age)
    out: dict[str, RiskLevel] = {}
    for sig in registry.detect(text, ctx):
        out[sig.category] = max(out.get(sig.category, RiskLevel.NONE), sig.level)
    return out


def signals(registry: DetectorRegistry, text: str, direction: Direction = Direction.INPUT) -> list[Signal]:
    """All signals for ``text``."""
    return registry.detect(text, DetectionContext(direction=direction))
