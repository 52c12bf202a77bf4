"""The guardian's usage overview (M4): time, personas and reminders, never content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from companion_guard.guardians.minor_mode import DEFAULT_IDLE_GAP, active_minutes_by_day


@dataclass(frozen=True, slots=True)
class Activity:
    """One turn as the guardian tables keep it: when, which persona, which events; no text."""

    at: datetime
    persona_id: str
    event_kinds: tuple[str, ...] = ()
    served: bool = True


@dataclass(frozen=True, slots=True)
class DayUsage:
    """One local day of use."""

    day: date
    minutes: float
    turns: int
    refused: int
    personas: dict[str, int]
    reminders: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "date": self.day.isoformat(),
            "minutes": round(self.minutes, 1),
            "turns": self.turns,
            "refused_turns": self.refused,
            "personas": self.personas,
            "reminders": self.reminders,
        }


def usage_overview(
    activity: Sequence[Activity],
    *,
    today: date,
    days: int,
    tz: ZoneInfo,
    idle_gap: timedelta = DEFAULT_IDLE_GAP,
) -> list[DayUsage]:
    """Per-day minutes, turns, personas and reminders for the last ``days`` local days (oldest first)."""
    served = [a.at for a in activity if a.served]
    minutes = active_minutes_by_day(served, tz, idle_gap)
    out: list[DayUsage] = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        todays = [a for a in activity if a.at.astimezone(tz).date() == day]
        personas = Counter(a.persona_id for a in todays if a.served)
        reminders = Counter(
            k
            for a in todays
            for k in a.event_kinds
            if k.startswith(("reminder.", "limit.", "block.", "warning."))
        )
        out.append(
            DayUsage(
                day=day,
                minutes=minutes.get(day, 0.0),
                turns=sum(1 for a in todays if a.served),
                refused=sum(1 for a in todays if not a.served),
                personas=dict(personas),
                reminders=dict(reminders),
            )
        )
    return out
