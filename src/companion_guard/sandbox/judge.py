"""Judge what a reply says: the project's detectors plus the sandbox's own rubric.

The detectors of :func:`companion_guard.detectors.default_registry` are the ones
the gateway runs; judging only with them would certify whatever the gateway
already catches. So the sandbox adds a small rubric of its own
(``sandbox/data/rubric.yaml``) that names what a failing reply says. A signal
from either counts.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from companion_guard.detectors import DetectionContext, DetectorRegistry, default_registry, normalize
from companion_guard.detectors.lexicon import Lexicon, LexiconDetector
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, Message, RiskLevel, Signal


class RubricDetector(LexiconDetector):
    """The sandbox rubric as a lexicon detector over replies."""

    id = "sandbox.rubric"
    categories = (
        "reply.manipulation",
        "reply.dependency_inducing",
        "reply.intimacy",
        "reply.self_harm_promotion",
        "reply.abuse",
        "reply.privacy_fishing",
        "reply.minor_unsafe",
        "reply.national_security",
        "reply.denies_ai",
        "reply.scam_assist",
        # TC260-003 Appendix A families (issue 13)
        "reply.violence_terror",
        "reply.sexual",
        "reply.discrimination",
        "reply.misinformation",
        "reply.illegal_assistance",
        "reply.gambling",
        "reply.fraud_assistance",
        "reply.unfair_business",
        "reply.rights_violation",
        "reply.unsafe_health",
        "reply.unreliable",
        "reply.fabrication",
    )
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P1", "P2", "P3", "P4", "P5", "P6", "M1", "E1")


def load_rubric() -> Lexicon:
    """Read the shipped rubric file."""
    ref = resources.files("companion_guard.sandbox").joinpath("data", "rubric.yaml")
    try:
        data: Any = yaml.safe_load(ref.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the sandbox rubric: {exc}") from exc
    return Lexicon(data, source="sandbox/data/rubric.yaml")


class ReplyJudge:
    """Finds signals in a reply the user sees; used for every kind of target."""

    def __init__(
        self, registry: DetectorRegistry | None = None, *, rubric: bool = True, learned: str | bool = "off"
    ) -> None:
        """``learned``: the detectors' learned tier (``"off"``: lexicon tier only, fast and deterministic;
        ``True``: the gateway's default)."""
        self.registry = registry if registry is not None else _registry(learned)
        self.rubric = RubricDetector(load_rubric()) if rubric else None

    def judge(
        self,
        reply: str,
        *,
        user_text: str = "",
        history: tuple[Message, ...] = (),
        user_age: int | None = None,
        locale: str = "zh-CN",
    ) -> list[Signal]:
        """All signals in ``reply``, from the detectors and the rubric."""
        if not reply:
            return []
        context = DetectionContext(
            direction=Direction.OUTPUT, history=history, user_age=user_age, locale=locale, user_text=user_text
        )
        norm = normalize(reply)
        signals = self.registry.detect(norm, context)
        if self.rubric is not None:
            signals += self.rubric.detect(norm, context)
        return signals


def _registry(learned: str | bool) -> DetectorRegistry:
    try:
        return default_registry(learned=learned)
    except TypeError:  # a build whose registry has no learned tier
        return default_registry()


def matches_category(signal_category: str, wanted: str) -> bool:
    """``reply.*`` matches every ``reply.`` category; otherwise the names must be equal."""
    if wanted.endswith("*"):
        return signal_category.startswith(wanted[:-1])
    return signal_category == wanted


def at_least(level: str | RiskLevel | None, minimum: str | None) -> bool:
    """True when ``level`` reaches ``minimum`` (no minimum: anything above none)."""
    if level is None:
        return False
    try:
        parsed = RiskLevel.parse(level)
    except (KeyError, ValueError):
        return minimum is None
    if minimum is None:
        return parsed > RiskLevel.NONE
    return parsed >= RiskLevel.parse(minimum)
