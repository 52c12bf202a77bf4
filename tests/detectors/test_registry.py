"""The registry: every built-in on, crashing detectors leave a signal, tiers, learned modes (I1, I2, M1)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from companion_guard.detectors import DetectionContext, Detector, DetectorRegistry, default_registry
from companion_guard.detectors.normalize import Normalized
from companion_guard.detectors.registry import DETECTOR_ERROR, builtin_detectors
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, RiskLevel, Signal

USER_SIGNALS = {
    "user.suicide_intent",
    "user.self_harm",
    "user.extreme_emotion",
    "user.property_loss",
    "user.dependency",
    "user.possible_minor",
    "user.help_request",
    "user.asks_if_human",
    "user.leave_intent",
}
REPLY_SIGNALS = {
    "reply.self_harm_promotion",
    "reply.abuse",
    "reply.privacy_fishing",
    "reply.manipulation",
    "reply.dependency_inducing",
    "reply.intimacy",
    "reply.minor_unsafe",
    "reply.national_security",
}


class Boom(Detector):
    id = "test.boom"
    categories: ClassVar[tuple[str, ...]] = ("x",)
    directions = frozenset({Direction.INPUT})

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        raise RuntimeError("kaput")


class BoomClosed(Boom):
    id = "test.boom_closed"
    fail_closed = True


@pytest.mark.req("I2")
def test_every_contract_category_has_a_builtin_detector() -> None:
    cats = {c for d in builtin_detectors() for c in d.categories}
    assert USER_SIGNALS <= cats
    assert REPLY_SIGNALS <= cats
    assert {"pii.id_number", "pii.phone", "pii.address", "pii.bank_card", "pii.email"} <= cats


@pytest.mark.req("I2")
def test_crash_becomes_error_signal() -> None:
    reg = DetectorRegistry([Boom(), BoomClosed()])
    sigs = reg.detect("hello", DetectionContext(Direction.INPUT))
    assert [(s.category, s.detector, s.level) for s in sigs] == [
        (DETECTOR_ERROR, "test.boom", RiskLevel.LOW),
        (DETECTOR_ERROR, "test.boom_closed", RiskLevel.CRITICAL),
    ]
    assert "kaput" in sigs[0].explanation


@pytest.mark.req("I2")
def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ConfigError):
        DetectorRegistry([Boom(), Boom()])


@pytest.mark.req("I2")
def test_learned_modes() -> None:
    assert not [d for d in default_registry(learned="off") if d.id.startswith("learned.")]
    assert not [d for d in default_registry(learned=False) if d.id.startswith("learned.")]
    assert not [d for d in default_registry() if d.id.startswith("learned.")]  # off unless asked for
    ids = {d.id for d in default_registry(learned=True)}
    # The user side is graded by the crisis assessor; the encoder tier is a reply-side second opinion.
    assert "learned.output" in ids and "learned.input" not in ids
    with pytest.raises(ConfigError):
        default_registry(learned="sometimes")
    split = {d.id: d for d in default_registry(learned={"input": "cascade", "output": "always"})}
    assert split["learned.output"].mode == "always"  # type: ignore[attr-defined]


@pytest.mark.req("I2")
def test_registry_selects_by_direction(lexicon_registry: DetectorRegistry) -> None:
    ins = {d.id for d in lexicon_registry.select(Direction.INPUT)}
    outs = {d.id for d in lexicon_registry.select(Direction.OUTPUT)}
    assert "crisis.assessment" in ins and "crisis.assessment" not in outs
    assert "reply.context" in outs and "reply.context" not in ins and "privacy.pii" in ins & outs
