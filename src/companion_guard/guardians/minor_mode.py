"""Minor mode (M3): reality reminders, daily time limits and quiet hours.

Pure functions of the user's settings, their usage so far and the time from an
injected clock, so every rule is testable without a server or a sleep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from companion_guard.exceptions import InputError
from companion_guard.guardians.age import AgeProfile
from companion_guard.guardians.bands import QuietHours
from companion_guard.guardians.messages import text
from companion_guard.policy.schema import PolicyPack
from companion_guard.types import Display, Event

#: Gaps between turns up to this long count as use; longer ones are a break.
DEFAULT_IDLE_GAP = timedelta(minutes=30)
_KNOWN_KEYS = {
    "enabled",
    "reality_reminder_minutes",
    "daily_limit_minutes",
    "quiet_hours",
    "allowed_personas",
    "timezone",
}


@dataclass(frozen=True, slots=True)
class MinorModeSettings:
    """A minor's personal settings; ``None`` fields fall back to the band default."""

    enabled: bool = True
    reality_reminder_minutes: int | None = None
    daily_limit_minutes: int | None = None
    quiet_hours: QuietHours | None = None
    allowed_personas: frozenset[str] | None = None
    timezone: str | None = None

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> MinorModeSettings:
        """From the API's ``minor_mode`` object; unknown keys are refused.

        Raises:
            InputError: a key or value is invalid.
        """
        if not data:
            return cls()
        unknown = set(data) - _KNOWN_KEYS
        if unknown:
            raise InputError(
                f"minor_mode: unknown field(s) {sorted(unknown)}; allowed: {sorted(_KNOWN_KEYS)}"
            )
        try:
            quiet = data.get("quiet_hours")
            allowed = data.get("allowed_personas")
            enabled = data.get("enabled", True)
            if not isinstance(enabled, bool):
                raise ValueError("enabled must be true or false")
            if allowed is not None and (
                not isinstance(allowed, list)
                or not all(isinstance(p, str) and 0 < len(p) <= 128 for p in allowed)
            ):
                raise ValueError("allowed_personas must be a list of persona ids")
            timezone = data.get("timezone")
            if timezone is not None and (not isinstance(timezone, str) or len(timezone) > 64):
                raise ValueError("timezone must be an IANA name such as Asia/Shanghai")
            settings = cls(
                enabled=enabled,
                reality_reminder_minutes=_positive(data.get("reality_reminder_minutes")),
                daily_limit_minutes=_positive(data.get("daily_limit_minutes")),
                quiet_hours=QuietHours.parse(quiet) if quiet else None,
                allowed_personas=frozenset(str(p) for p in allowed) if allowed is not None else None,
                timezone=timezone,
            )
            if settings.timezone:
                ZoneInfo(settings.timezone)
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"minor_mode is invalid: {exc}") from exc
        return settings

    def to_dict(self) -> dict[str, Any]:
        """JSON form (only what was set)."""
        out: dict[str, Any] = {"enabled": self.enabled}
        if self.reality_reminder_minutes is not None:
            out["reality_reminder_minutes"] = self.reality_reminder_minutes
        if self.daily_limit_minutes is not None:
            out["daily_limit_minutes"] = self.daily_limit_minutes
        if self.quiet_hours is not None:
            out["quiet_hours"] = self.quiet_hours.to_dict()
        if self.allowed_personas is not None:
            out["allowed_personas"] = sorted(self.allowed_personas)
        if self.timezone:
            out["timezone"] = self.timezone
        return out


#: The longest interval or limit in minutes: one day.
MAX_MINUTES = 24 * 60


def _positive(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("minutes must be a whole number")
    if not 0 < value <= MAX_MINUTES:
        raise ValueError(f"minutes must be between 1 and {MAX_MINUTES}")
    return value


@dataclass(frozen=True, slots=True)
class EffectiveMinorMode:
    """Settings merged with the band defaults: what is actually enforced."""

    active: bool
    reality_reminder_minutes: int | None
    daily_limit_minutes: int | None
    quiet_hours: QuietHours | None
    allowed_personas: frozenset[str] | None
    timezone: ZoneInfo


def effective(
    profile: AgeProfile, settings: MinorModeSettings | None, locale: str | None
) -> EffectiveMinorMode:
    """Minor mode is on for every minor (and for anyone who enables it), off otherwise.

    A minor cannot switch it off: ``enabled: false`` only matters for adults.
    """
    s = settings or MinorModeSettings(enabled=False)
    active = profile.minor or (settings is not None and s.enabled)
    band = profile.band
    tz = ZoneInfo(s.timezone) if s.timezone else default_timezone(locale)
    return EffectiveMinorMode(
        active=active,
        reality_reminder_minutes=s.reality_reminder_minutes or band.reality_reminder_minutes,
        daily_limit_minutes=s.daily_limit_minutes or band.daily_limit_minutes,
        quiet_hours=s.quiet_hours or band.quiet_hours,
        allowed_personas=s.allowed_personas,
        timezone=tz,
    )


#: The Measures cover services to the public in China (S1), so local time is Beijing time
#: unless the user's minor-mode settings name another zone.
DEFAULT_TIMEZONE = "Asia/Shanghai"


def default_timezone(locale: str | None) -> ZoneInfo:
    """Beijing time for every locale (an English-speaking user in China keeps China's hours)."""
    del locale  # kept in the signature: a future pack may map locales to zones
    return ZoneInfo(DEFAULT_TIMEZONE)


def active_minutes_by_day(
    timestamps: Sequence[datetime], tz: ZoneInfo, idle_gap: timedelta = DEFAULT_IDLE_GAP
) -> dict[date, float]:
    """Minutes of use per local day: the sum of gaps between turns no longer than ``idle_gap``.

    A gap is credited to the day of the turn that ends it.
    """
    out: dict[date, float] = {}
    ordered = sorted(timestamps)
    for before, after in pairwise(ordered):
        gap = after - before
        day = after.astimezone(tz).date()
        out.setdefault(day, 0.0)
        if gap <= idle_gap:
            out[day] += gap.total_seconds() / 60
    for ts in ordered[:1]:
        out.setdefault(ts.astimezone(tz).date(), 0.0)
    return out


def session_start(
    timestamps: Sequence[datetime], now: datetime, idle_gap: timedelta = DEFAULT_IDLE_GAP
) -> datetime:
    """Start of the continuous stretch of use that ``now`` belongs to."""
    start = now
    for ts in sorted(timestamps, reverse=True):
        if start - ts > idle_gap:
            break
        start = ts
    return start


@dataclass(frozen=True, slots=True)
class MinorUsage:
    """What the gate knows about this minor's use so far (from the store)."""

    minutes_today: float = 0.0
    session_started_at: datetime | None = None
    last_reality_reminder_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MinorVerdict:
    """Outcome of minor mode for one turn: refuse (with events) or go on (maybe with a reminder)."""

    allowed: bool
    events: tuple[Event, ...] = field(default_factory=tuple)
    reason: str = ""
    reality_reminder: bool = False


def evaluate(
    mode: EffectiveMinorMode,
    usage: MinorUsage,
    now: datetime,
    locale: str | None,
    *,
    pack: PolicyPack | None = None,
) -> MinorVerdict:
    """Apply quiet hours, then the daily limit, then the reality reminder; pure (texts from ``pack``)."""
    if not mode.active:
        return MinorVerdict(allowed=True)
    local = now.astimezone(mode.timezone)
    if mode.quiet_hours is not None and mode.quiet_hours.contains(local.time()):
        hours = mode.quiet_hours.to_dict()
        event = Event(
            "limit.quiet_hours",
            "M3",
            text("limit.quiet_hours", locale, pack=pack, **hours),
            "warning",
            Display.POPUP,
            data={"quiet_hours": hours, "local_time": local.strftime("%H:%M")},
        )
        return MinorVerdict(False, (event,), "quiet_hours")
    if mode.daily_limit_minutes is not None and usage.minutes_today >= mode.daily_limit_minutes:
        event = Event(
            "limit.daily_time",
            "M3",
            text("limit.daily_time", locale, pack=pack, limit=mode.daily_limit_minutes),
            "warning",
            Display.POPUP,
            data={"limit_minutes": mode.daily_limit_minutes, "used_minutes": round(usage.minutes_today, 1)},
        )
        return MinorVerdict(False, (event,), "daily_limit")
    if mode.reality_reminder_minutes is not None and usage.session_started_at is not None:
        since = usage.session_started_at
        if usage.last_reality_reminder_at is not None and usage.last_reality_reminder_at > since:
            since = usage.last_reality_reminder_at
        if now - since >= timedelta(minutes=mode.reality_reminder_minutes):
            minutes = int((now - usage.session_started_at).total_seconds() // 60)
            event = Event(
                "reminder.reality",
                "M3",
                text("reminder.reality", locale, pack=pack, minutes=minutes),
                "info",
                Display.POPUP,
                data={"continuous_minutes": minutes, "interval_minutes": mode.reality_reminder_minutes},
            )
            return MinorVerdict(True, (event,), reality_reminder=True)
    return MinorVerdict(allowed=True)
