"""Minor mode (M3): reality reminders, daily limits and quiet hours at simulated times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from companion_guard.clock import FrozenClock
from companion_guard.exceptions import InputError
from companion_guard.guardians.age import age_profile
from companion_guard.guardians.minor_mode import (
    MinorModeSettings,
    MinorUsage,
    active_minutes_by_day,
    effective,
    evaluate,
    session_start,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEEN = age_profile(today=date(2026, 8, 1), declared_age=15)
ADULT = age_profile(today=date(2026, 8, 1), declared_age=30)


def at(hour: int, minute: int = 0) -> datetime:
    """A Shanghai local time on 2026-08-01, as UTC."""
    return datetime(2026, 8, 1, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.req("M3")
def test_quiet_hours_refuse_at_night_and_open_in_the_morning() -> None:
    mode = effective(TEEN, None, "zh-CN")
    night = evaluate(mode, MinorUsage(), at(22, 0), "zh-CN")
    assert not night.allowed and night.events[0].kind == "limit.quiet_hours"
    assert night.events[0].data["local_time"] == "22:00" and "休息时间" in night.events[0].message
    assert evaluate(mode, MinorUsage(), at(21, 59), "zh-CN").allowed
    early = datetime(2026, 8, 2, 5, 59, tzinfo=SHANGHAI)
    assert not evaluate(mode, MinorUsage(), early, "zh-CN").allowed
    assert evaluate(mode, MinorUsage(), early + timedelta(minutes=1), "zh-CN").allowed


@pytest.mark.req("M3")
def test_daily_limit_by_band_and_by_setting() -> None:
    mode = effective(TEEN, None, "zh-CN")
    assert mode.daily_limit_minutes == 60
    assert evaluate(mode, MinorUsage(minutes_today=59.9), at(15), "zh-CN").allowed
    over = evaluate(mode, MinorUsage(minutes_today=60), at(15), "en-US")
    assert (
        not over.allowed
        and over.events[0].kind == "limit.daily_time"
        and "60 minutes" in over.events[0].message
    )
    custom = effective(TEEN, MinorModeSettings.parse({"daily_limit_minutes": 30}), "zh-CN")
    assert not evaluate(custom, MinorUsage(minutes_today=30), at(15), "zh-CN").allowed


@pytest.mark.req("M3")
def test_reality_reminder_fires_once_per_interval_with_a_moving_clock() -> None:
    clock = FrozenClock(at(14))
    mode = effective(
        TEEN, MinorModeSettings.parse({"enabled": True, "reality_reminder_minutes": 10}), "zh-CN"
    )
    start = clock.now()
    last: datetime | None = None
    fired: list[int] = []
    for minute in range(41):
        usage = MinorUsage(minutes_today=minute, session_started_at=start, last_reality_reminder_at=last)
        verdict = evaluate(mode, usage, clock.now(), "zh-CN")
        assert verdict.allowed
        if verdict.reality_reminder:
            fired.append(minute)
            last = clock.now()
            assert verdict.events[0].kind == "reminder.reality" and verdict.events[0].display.value == "popup"
        clock.advance(60)
    assert fired == [10, 20, 30, 40]


@pytest.mark.req("M3")
def test_minor_mode_is_on_for_minors_and_opt_in_for_adults() -> None:
    assert effective(TEEN, MinorModeSettings.parse({"enabled": False}), None).active
    assert not effective(ADULT, None, None).active
    adult_on = effective(ADULT, MinorModeSettings.parse({"enabled": True, "daily_limit_minutes": 45}), None)
    assert adult_on.active and adult_on.daily_limit_minutes == 45 and adult_on.quiet_hours is None
    assert evaluate(effective(ADULT, None, None), MinorUsage(minutes_today=999), at(23), None).allowed


def test_settings_validation() -> None:
    settings = MinorModeSettings.parse(
        {
            "enabled": True,
            "quiet_hours": {"start": "21:00", "end": "07:00"},
            "allowed_personas": ["a"],
            "timezone": "Europe/Berlin",
        }
    )
    assert settings.to_dict()["quiet_hours"] == {"start": "21:00", "end": "07:00"}
    for bad in (
        {"colour": "red"},
        {"daily_limit_minutes": 0},
        {"quiet_hours": {"start": "25:00", "end": "1"}},
        {"timezone": "Mars/Olympus"},
    ):
        with pytest.raises(InputError):
            MinorModeSettings.parse(bad)


def test_minutes_by_day_and_session_start() -> None:
    turns = [at(10, m) for m in (0, 10, 20)] + [at(12, 0), at(12, 5)]
    minutes = active_minutes_by_day(turns, SHANGHAI, timedelta(minutes=30))
    assert minutes == {date(2026, 8, 1): 25.0}
    assert session_start(turns, at(12, 10), timedelta(minutes=30)) == at(12, 0)
    assert session_start([], at(12, 10)) == at(12, 10)
