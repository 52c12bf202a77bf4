"""Elderly mode (E1): healthy-use guidance, fraud warnings, and a human help queue.

Pure: it reads the turn's signals and the user's text and says what to show and
whether to open a case. The store keeps the cases and their response times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from companion_guard.exceptions import ConfigError
from companion_guard.guardians.age import AgeProfile
from companion_guard.guardians.messages import text
from companion_guard.types import Display, Event, RiskLevel, Signal


class _Cues(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: list[str] = Field(description="Chinese phrases.")
    en: list[str] = Field(description="English phrases (matched lower-case).")


class ElderlyConfig(BaseModel):
    """The elderly-mode data file (``data/elderly.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fraud_signal_categories: list[str] = Field(
        description="Signal categories that mean scam or property loss."
    )
    min_level: str = Field(description="Lowest level of such a signal that raises warning.fraud.")
    help_signal_categories: list[str] = Field(description="Signal categories of a request for help.")
    case_level: str = Field(description="Lowest level that also opens a human case.")
    first_response_target_minutes: int = Field(ge=1, description="Target time to a first human answer.")
    fraud_cues: _Cues = Field(description="Fall-back scam phrases when no fraud detector is installed.")
    help_cues: _Cues = Field(description="Phrases asking for a human.")


@lru_cache(maxsize=1)
def elderly_config() -> ElderlyConfig:
    """Load the shipped elderly-mode file once (fail closed on errors)."""
    try:
        raw = resources.files("companion_guard.guardians").joinpath("data/elderly.yaml").read_text("utf-8")
        return ElderlyConfig.model_validate(yaml.safe_load(raw))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"elderly.yaml is invalid: {exc}") from exc


def is_elderly(profile: AgeProfile, *, opted_in: bool) -> bool:
    """60 or over, or opted in with ``mode: "elderly"``."""
    return opted_in or profile.band.elderly


def _matches(cues: _Cues, message: str) -> list[str]:
    lowered = message.lower()
    return [c for c in cues.zh if c in message] + [c for c in cues.en if c in lowered]


def fraud_cue_signal(message: str, config: ElderlyConfig | None = None) -> Signal | None:
    """The fall-back scam check: a ``user.property_loss`` signal from the cue list, or ``None``."""
    cfg = config or elderly_config()
    hits = _matches(cfg.fraud_cues, message)
    if not hits:
        return None
    level = RiskLevel.MEDIUM if len(hits) >= 2 else RiskLevel.LOW
    return Signal(
        category="user.property_loss",
        level=level,
        score=min(1.0, 0.4 + 0.2 * len(hits)),
        detector="guardians.elderly_fraud_cues",
        explanation="scam phrases: " + ", ".join(hits[:5]),
    )


@dataclass(frozen=True, slots=True)
class ElderlyOutcome:
    """What elderly mode adds to a turn."""

    events: tuple[Event, ...] = field(default_factory=tuple)
    open_case: str | None = None  # reason, when a human case must be opened
    onboarded: bool = False  # the guidance was shown this turn
    fraud_level: RiskLevel = RiskLevel.NONE


def evaluate(
    *,
    message: str,
    signals: Sequence[Signal],
    first_turn: bool,
    locale: str | None,
    config: ElderlyConfig | None = None,
) -> ElderlyOutcome:
    """Guidance on the first turn, a fraud warning on scam signals, a case for fraud or a help request."""
    cfg = config or elderly_config()
    events: list[Event] = []
    if first_turn:
        events.append(Event("notice.guidance", "E1", text("guidance.elderly", locale), "info", Display.POPUP))
    fraud = [s for s in signals if s.category in cfg.fraud_signal_categories]
    if not fraud:
        fallback = fraud_cue_signal(message, cfg)
        fraud = [fallback] if fallback else []
    level = max((s.level for s in fraud), default=RiskLevel.NONE)
    open_case: str | None = None
    if fraud and level >= RiskLevel.parse(cfg.min_level):
        events.append(
            Event(
                "warning.fraud",
                "E1",
                text("warning.fraud", locale),
                level.label,
                Display.POPUP,
                data={"signals": sorted({s.category for s in fraud})},
            )
        )
        if level >= RiskLevel.parse(cfg.case_level):
            open_case = "fraud"
    asked = any(s.category in cfg.help_signal_categories for s in signals)
    if open_case is None and (asked or _matches(cfg.help_cues, message)):
        open_case = "help_request"
    if open_case is not None:
        events.append(
            Event(
                "escalation.human",
                "E1",
                text("help.queued", locale),
                "info",
                Display.INLINE,
                data={"reason": open_case},
            )
        )
    return ElderlyOutcome(tuple(events), open_case, first_turn, level)


@dataclass(frozen=True, slots=True)
class HelpCaseTimes:
    """Response-time figures for the human help queue (E1)."""

    open_cases: int
    answered: int
    median_first_response_s: float | None
    max_first_response_s: float | None
    over_target: int


def response_times(
    cases: Sequence[tuple[datetime, datetime | None]], now: datetime, target: timedelta
) -> HelpCaseTimes:
    """Figures from ``(opened_at, first_response_at)`` pairs; unanswered cases count against the target."""
    answered = sorted((r - o).total_seconds() for o, r in cases if r is not None)
    waiting = [now - o for o, r in cases if r is None]
    over = sum(1 for s in answered if s > target.total_seconds()) + sum(1 for w in waiting if w > target)
    median = None
    if answered:
        mid = len(answered) // 2
        median = answered[mid] if len(answered) % 2 else (answered[mid - 1] + answered[mid]) / 2
    return HelpCaseTimes(
        open_cases=len(waiting),
        answered=len(answered),
        median_first_response_s=median,
        max_first_response_s=answered[-1] if answered else None,
        over_target=over,
    )
