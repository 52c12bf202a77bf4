"""Elderly mode (E1): healthy-use guidance, and the human help queue's figures.

Fraud warnings and help cases are the pack's rules (``elderly.fraud_help``,
``elderly.fraud_case``, ``elderly.help_request`` in cn-2026): a ``warning.fraud``
pop-up, a steer, anti-fraud help and a case in the :data:`HELP_QUEUE` through the
``escalate`` action. What stays here is pure: who is elderly, the first-turn
guidance, and the queue's response times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from companion_guard.exceptions import ConfigError
from companion_guard.guardians.age import AgeProfile
from companion_guard.guardians.messages import text
from companion_guard.policy.schema import PolicyPack
from companion_guard.types import Display, Event

#: The review queue of E1 help cases (the pack's ``escalate`` actions name it).
HELP_QUEUE: Final = "elderly_help"


class ElderlyConfig(BaseModel):
    """The elderly-mode data file (``data/elderly.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    first_response_target_minutes: int = Field(ge=1, description="Target time to a first human answer.")


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


def guidance(locale: str | None, *, pack: PolicyPack | None = None) -> Event:
    """The healthy-use guidance an elderly user reads on their first turn (``notice.guidance``)."""
    return Event("notice.guidance", "E1", text("guidance.elderly", locale, pack=pack), "info", Display.POPUP)


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
