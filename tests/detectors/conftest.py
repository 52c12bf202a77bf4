"""Helpers for the detector tables: run the lexicon-tier registry on one text."""

from __future__ import annotations

from typing import Any

import pytest

from companion_guard.detectors import DetectionContext, DetectorRegistry, default_registry
from companion_guard.types import Direction, Message, RiskLevel, Signal


@pytest.fixture(scope="session")
def lexicon_registry() -> DetectorRegistry:
    """Every built-in detector, learned tier off (no encoder in unit tests)."""
    return default_registry(learned="off")


@pytest.fixture(scope="session")
def offline_gateway(lexicon_registry: DetectorRegistry) -> Any:
    """The default pack's decisions over :func:`lexicon_registry` (no store, no upstream)."""
    from companion_guard.evaluation.guard_for_eval import offline_guard

    return offline_guard(lexicon_registry)


def replaced(
    guard: Any, reply: str, user_text: str, *, age: int | None = None, relationship: str = ""
) -> tuple[bool, set[str]]:
    """Whether the gateway would replace ``reply`` after ``user_text``, and the categories that decided it."""
    from companion_guard.evaluation.corpus import reply_blocked

    item = {
        "reply": reply,
        "context": [{"role": "user", "content": user_text}],
        "user_age": age,
        "persona_relationship": relationship,
    }
    return reply_blocked(guard, item)


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
