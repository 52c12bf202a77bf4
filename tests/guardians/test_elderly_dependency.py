"""Elderly mode (E1) and the dependency score (I3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from companion_guard.guardians import dependency, elderly
from companion_guard.guardians.age import age_profile
from companion_guard.types import RiskLevel, Signal

NOW = datetime(2026, 8, 1, 9, tzinfo=UTC)


@pytest.mark.req("E1")
def test_elderly_by_age_or_opt_in() -> None:
    assert elderly.is_elderly(age_profile(today=date(2026, 8, 1), declared_age=70), opted_in=False)
    assert elderly.is_elderly(age_profile(today=date(2026, 8, 1), declared_age=50), opted_in=True)
    assert not elderly.is_elderly(age_profile(today=date(2026, 8, 1), declared_age=50), opted_in=False)


@pytest.mark.req("E1")
def test_first_turn_guidance_then_none() -> None:
    first = elderly.evaluate(message="你好", signals=[], first_turn=True, locale="zh-CN")
    assert [e.kind for e in first.events] == ["notice.guidance"] and "人工智能" in first.events[0].message
    later = elderly.evaluate(message="你好", signals=[], first_turn=False, locale="zh-CN")
    assert later.events == () and later.open_case is None


@pytest.mark.req("E1")
@pytest.mark.parametrize(
    ("message", "signals", "case"),
    [
        ("有人打电话说我涉嫌洗钱，让我把钱转账到安全账户", [], "fraud"),
        ("I got a call saying my account is frozen and I must move money to a safe account", [], "fraud"),
        ("今天天气不错", [Signal("user.property_loss", RiskLevel.HIGH, 0.9, "fraud.x")], "fraud"),
        ("他们说中奖了", [], None),  # one weak cue: a warning, no case
    ],
)
def test_scam_descriptions_warn_and_open_cases(message: str, signals: list[Signal], case: str | None) -> None:
    outcome = elderly.evaluate(message=message, signals=signals, first_turn=False, locale="zh-CN")
    kinds = [e.kind for e in outcome.events]
    assert "warning.fraud" in kinds
    warning = outcome.events[kinds.index("warning.fraud")]
    assert warning.display.value == "popup" and "96110" in warning.message
    assert outcome.open_case == case


@pytest.mark.req("E1")
@pytest.mark.parametrize("message", ["我要找人工", "Please, I need a person to talk to"])
def test_help_requests_open_a_case(message: str) -> None:
    outcome = elderly.evaluate(message=message, signals=[], first_turn=False, locale="zh-CN")
    assert outcome.open_case == "help_request" and outcome.events[-1].kind == "escalation.human"


@pytest.mark.req("E1")
def test_response_time_figures() -> None:
    cases = [(NOW, NOW + timedelta(minutes=5)), (NOW, NOW + timedelta(minutes=45)), (NOW, None)]
    figures = elderly.response_times(cases, NOW + timedelta(hours=1), timedelta(minutes=30))
    assert figures.answered == 2 and figures.open_cases == 1
    assert figures.median_first_response_s == 25 * 60 and figures.max_first_response_s == 45 * 60
    assert figures.over_target == 2


@pytest.mark.req("I3")
def test_score_rises_with_language_and_usage() -> None:
    quiet = dependency.score(dependency.UsageFacts(0, 10, 0.0, 1))
    heavy = dependency.score(dependency.UsageFacts(5, 200, 0.6, 20))
    assert quiet.level is None and quiet.score < 0.1
    assert heavy.score == pytest.approx(1.0) and heavy.level is not None and heavy.level.level == "critical"
    middle = dependency.score(dependency.UsageFacts(3, 90, 0.1, 5))
    assert 0.3 <= middle.score < 0.7


@pytest.mark.req("I3")
def test_cadence_grows_with_the_score() -> None:
    levels = dependency.dependency_config().levels
    intervals = [lv.reminder_every_minutes for lv in levels]
    assert intervals == sorted(intervals, reverse=True) and len(set(intervals)) == len(intervals)
    high = dependency.score(dependency.UsageFacts(5, 180, 0.0, 0))
    first = dependency.decide(high, now=NOW, last_reminder_at=None, last_notified_level=None, locale="zh-CN")
    assert first.remind and first.events[0].kind == "reminder.ai_disclosure" and first.notify_guardian
    assert first.events[0].display.value == "popup"
    soon = dependency.decide(
        high,
        now=NOW + timedelta(minutes=5),
        last_reminder_at=NOW,
        last_notified_level=high.level.level,
        locale="zh-CN",
    )  # type: ignore[union-attr]
    assert not soon.remind and not soon.notify_guardian
    later = dependency.decide(
        high,
        now=NOW + timedelta(minutes=20),
        last_reminder_at=NOW,
        last_notified_level="high",
        locale="zh-CN",
    )
    assert later.remind


def test_usage_helpers() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    night = datetime(2026, 8, 1, 2, tzinfo=tz)
    assert dependency.late_night_share([night, night.replace(hour=14)], tz) == 0.5
    assert dependency.late_night_share([], tz) == 0.0
    today = date(2026, 8, 10)
    assert dependency.streak_days({today, date(2026, 8, 9), date(2026, 8, 8), date(2026, 8, 6)}, today) == 3
    assert dependency.streak_days({date(2026, 8, 9)}, today) == 1
