"""Dependency score (I3) from language and usage, and the reminder cadence it sets.

The score is a weighted sum of four saturating parts in [0, 1]; the pack's levels
say how often a ``reminder.ai_disclosure`` pop-up appears and when a minor's
guardian is told. Pure: the store supplies the counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from companion_guard.exceptions import ConfigError
from companion_guard.guardians.messages import text
from companion_guard.policy.schema import PolicyPack
from companion_guard.types import Display, Event, RiskLevel

DEPENDENCY_CATEGORY = "user.dependency"


class _Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: float = Field(ge=0, description="Weight of dependency language.")
    daily_minutes: float = Field(ge=0, description="Weight of average daily minutes.")
    late_night: float = Field(ge=0, description="Weight of the late-night share of turns.")
    streak: float = Field(ge=0, description="Weight of consecutive days of use.")


class _Saturation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language_hits: float = Field(gt=0, description="Signals in the window that count as 1.0.")
    daily_minutes: float = Field(gt=0, description="Average daily minutes that count as 1.0.")
    late_night_share: float = Field(gt=0, le=1, description="Late-night share that counts as 1.0.")
    streak_days: float = Field(gt=0, description="Streak length that counts as 1.0.")


class DependencyLevel(BaseModel):
    """One threshold of the score."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    level: str = Field(description="Risk level name (low … critical).")
    min_score: float = Field(ge=0, le=1, description="Lowest score at this level.")
    reminder_every_minutes: int = Field(ge=1, description="Least time between two reminders at this level.")
    notify_guardian: bool = Field(description="Tell a minor's guardian on reaching this level.")


class DependencyConfig(BaseModel):
    """The dependency data file (``data/dependency.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window_days: int = Field(ge=1, description="Days of history the score looks at.")
    weights: _Weights = Field(description="Weights of the four parts; they must sum to 1.")
    saturation: _Saturation = Field(description="Where each part reaches 1.0.")
    levels: list[DependencyLevel] = Field(min_length=1, description="Thresholds, ascending.")

    @model_validator(mode="after")
    def _check(self) -> DependencyConfig:
        w = self.weights
        if abs(w.language + w.daily_minutes + w.late_night + w.streak - 1.0) > 1e-6:
            raise ValueError("weights must sum to 1")
        scores = [lv.min_score for lv in self.levels]
        cadence = [lv.reminder_every_minutes for lv in self.levels]
        if scores != sorted(scores) or cadence != sorted(cadence, reverse=True):
            raise ValueError("levels must rise in score and shorten the reminder interval")
        for lv in self.levels:
            RiskLevel.parse(lv.level)
        return self


@lru_cache(maxsize=1)
def dependency_config() -> DependencyConfig:
    """Load the shipped file once (fail closed)."""
    try:
        raw = resources.files("companion_guard.guardians").joinpath("data/dependency.yaml").read_text("utf-8")
        return DependencyConfig.model_validate(yaml.safe_load(raw))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"dependency.yaml is invalid: {exc}") from exc


@dataclass(frozen=True, slots=True)
class UsageFacts:
    """Usage over the window, from the store."""

    language_hits: int
    avg_daily_minutes: float
    late_night_share: float
    streak_days: int


@dataclass(frozen=True, slots=True)
class DependencyScore:
    """The score, its parts and the level it reaches."""

    score: float
    parts: dict[str, float]
    level: DependencyLevel | None

    def to_dict(self) -> dict[str, object]:
        """JSON form (guardian overview, audit)."""
        return {
            "score": round(self.score, 3),
            "parts": {k: round(v, 3) for k, v in self.parts.items()},
            "level": self.level.level if self.level else "none",
        }


def score(facts: UsageFacts, config: DependencyConfig | None = None) -> DependencyScore:
    """Weighted sum of the saturating parts."""
    cfg = config or dependency_config()
    sat, w = cfg.saturation, cfg.weights
    parts = {
        "language": min(1.0, facts.language_hits / sat.language_hits),
        "daily_minutes": min(1.0, facts.avg_daily_minutes / sat.daily_minutes),
        "late_night": min(1.0, facts.late_night_share / sat.late_night_share),
        "streak": min(1.0, facts.streak_days / sat.streak_days),
    }
    total = (
        w.language * parts["language"]
        + w.daily_minutes * parts["daily_minutes"]
        + w.late_night * parts["late_night"]
        + w.streak * parts["streak"]
    )
    reached = [lv for lv in cfg.levels if total >= lv.min_score]
    return DependencyScore(total, parts, reached[-1] if reached else None)


def from_score(value: float, config: DependencyConfig | None = None) -> DependencyScore:
    """A stored score with its level (parts unknown), for turns between two full computations."""
    cfg = config or dependency_config()
    reached = [lv for lv in cfg.levels if value >= lv.min_score]
    return DependencyScore(value, {}, reached[-1] if reached else None)


def late_night_share(timestamps: Sequence[datetime], tz: ZoneInfo) -> float:
    """Share of turns between 00:00 and 05:00 local time."""
    if not timestamps:
        return 0.0
    return sum(1 for t in timestamps if t.astimezone(tz).hour < 5) / len(timestamps)


def streak_days(days: set[date], today: date) -> int:
    """Consecutive days of use ending today (or yesterday, when today has none yet)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True, slots=True)
class DependencyAction:
    """What the score asks of this turn."""

    events: tuple[Event, ...]
    remind: bool
    notify_guardian: bool


def decide(
    result: DependencyScore,
    *,
    now: datetime,
    last_reminder_at: datetime | None,
    last_notified_level: str | None,
    locale: str | None,
    pack: PolicyPack | None = None,
) -> DependencyAction:
    """A reminder when the level's interval has passed; a guardian notice on first reaching a level."""
    lv = result.level
    if lv is None:
        return DependencyAction((), False, False)
    remind = last_reminder_at is None or now - last_reminder_at >= timedelta(
        minutes=lv.reminder_every_minutes
    )
    notify = lv.notify_guardian and (
        last_notified_level is None or RiskLevel.parse(lv.level) > RiskLevel.parse(last_notified_level)
    )
    events: tuple[Event, ...] = ()
    if remind:
        events = (
            Event(
                "reminder.ai_disclosure",
                "I3",
                text("reminder.ai_disclosure.dependency", locale, pack=pack),
                lv.level,
                Display.POPUP,
                data={
                    "reason": "dependency",
                    "score": round(result.score, 3),
                    "next_in_minutes": lv.reminder_every_minutes,
                },
            ),
        )
    return DependencyAction(events, remind, notify)
