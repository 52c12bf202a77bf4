"""Elderly mode (E1) and the dependency score (I3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from companion_guard.detectors import DetectionContext, DetectorRegistry, default_registry
from companion_guard.guardians import dependency, elderly
from companion_guard.guardians.age import age_profile
from companion_guard.guardians.messages import shipped_pack
from companion_guard.policy.engine import Decision, PolicyEngine
from companion_guard.policy.schema import ActionKind, PolicyPack
from companion_guard.types import Direction

NOW = datetime(2026, 8, 1, 9, tzinfo=UTC)


@pytest.mark.req("E1")
def test_elderly_by_age_or_opt_in() -> None:
    assert elderly.is_elderly(age_profile(today=date(2026, 8, 1), declared_age=70), opted_in=False)
    assert elderly.is_elderly(age_profile(today=date(2026, 8, 1), declared_age=50), opted_in=True)
    assert not elderly.is_elderly(age_profile(today=date(2026, 8, 1), declared_age=50), opted_in=False)


@pytest.mark.req("E1")
def test_guidance_is_the_packs_text() -> None:
    event = elderly.guidance("zh-CN")
    assert event.kind == "notice.guidance" and event.display.value == "popup" and "人工智能" in event.message
    assert "AI" in elderly.guidance("en-US").message
    pack = shipped_pack()
    other = pack.model_copy(
        update={"messages": {**pack.messages, "guidance.elderly": {"zh": "新的提示", "en": "New tips"}}}
    )
    assert elderly.guidance("zh-CN", pack=other).message == "新的提示"


@pytest.fixture(scope="module")
def registry() -> DetectorRegistry:
    return default_registry(learned="off")


def _elderly_decision(registry: DetectorRegistry, message: str, pack: PolicyPack | None = None) -> Decision:
    groups = frozenset({"elderly", "adult"})
    ctx = DetectionContext(direction=Direction.INPUT, user_age=70, user_groups=groups)
    engine = PolicyEngine([pack or shipped_pack()])
    return engine.decide(registry.detect(message, ctx), direction=Direction.INPUT, groups=groups)


def _fraud_popups(decision: Decision) -> list[str]:
    return [
        t.action.template or ""
        for t in decision.actions(ActionKind.EVENT)
        if t.action.event == "warning.fraud"
    ]


def _queues(decision: Decision) -> set[str]:
    return {t.action.queue for t in decision.actions(ActionKind.ESCALATE)}


@pytest.mark.req("E1")
@pytest.mark.parametrize(
    ("message", "case"),
    [
        ("有人打电话说我涉嫌洗钱，让我把钱转账到安全账户", True),
        ("I got a call saying my account is frozen and I must move money to a safe account", True),
        ("他们说中奖了", True),  # the crisis assessor reads a likely scam (medium)
        ("they said you have won", False),  # a cue only: the warning, no case
    ],
)
def test_scam_descriptions_warn_and_open_cases_by_the_packs_rules(
    registry: DetectorRegistry, message: str, case: bool
) -> None:
    decision = _elderly_decision(registry, message)
    assert _fraud_popups(decision) == ["warning.fraud"]
    assert ("elderly_help" in _queues(decision)) is case
    assert any(t.rule.id == "elderly.fraud_help" for t in decision.actions(ActionKind.APPEND_HELP))


@pytest.mark.req("E1")
def test_a_pack_without_the_elderly_rules_warns_nobody(registry: DetectorRegistry) -> None:
    pack = shipped_pack()
    bare = pack.model_copy(update={"rules": [r for r in pack.rules if not r.id.startswith("elderly.")]})
    decision = _elderly_decision(registry, "they said you have won", bare)
    assert _fraud_popups(decision) == [] and "elderly_help" not in _queues(decision)


@pytest.mark.req("E1")
@pytest.mark.parametrize("message", ["我要找人工", "Please, I need a person to talk to", "求助"])
def test_help_requests_open_a_case(registry: DetectorRegistry, message: str) -> None:
    decision = _elderly_decision(registry, message)
    assert "elderly.help_request" in {t.rule.id for t in decision.actions(ActionKind.ESCALATE)}
    assert _queues(decision) == {"elderly_help"}


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
