"""Small pure parts: time arithmetic, templates, and judging checks on recorded turns."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from companion_guard.sandbox import checks
from companion_guard.sandbox.results import Outcome, TurnRecord
from companion_guard.sandbox.scenario import (
    BodyContainsExpectation,
    BodyExcludesExpectation,
    CountCheck,
    EventExpectation,
    StatusExpectation,
    parse_expectation,
)
from companion_guard.sandbox.wire import dig, fill, fill_json, parse_now, seconds_until


@pytest.mark.req("X1")
def test_seconds_until_the_next_local_time() -> None:
    now = datetime(2026, 8, 1, 13, 0, tzinfo=UTC)  # 21:00 in Shanghai
    assert seconds_until(now, "23:30", "Asia/Shanghai") == 2.5 * 3600 + 1
    assert seconds_until(now, "16:00", "Asia/Shanghai") == 19 * 3600 + 1  # tomorrow
    assert seconds_until(now, "13:00", "UTC") == 24 * 3600 + 1  # now is not "next"


@pytest.mark.req("X1")
def test_parse_now_and_templates() -> None:
    assert parse_now(httpx.Response(200, json={"now": "2026-11-29T03:00:00Z"})) == datetime(
        2026, 11, 29, 3, tzinfo=UTC
    )
    assert parse_now(httpx.Response(200, json={"ok": True})) is None
    assert parse_now(httpx.Response(200, text="nope")) is None
    values = {"user": "u1", "saved.code": "ABC"}
    assert (
        fill("/v1/users/{user}/x/{saved.code}/{saved.none}", values.get) == "/v1/users/u1/x/ABC/{saved.none}"
    )
    assert fill_json({"a": ["{user}", 3], "b": {"c": "{saved.code}"}}, values.get) == {
        "a": ["u1", 3],
        "b": {"c": "ABC"},
    }
    assert dig({"a": [{"b": 1}]}, "a.0.b") == 1 and dig({"a": 1}, "a.b") is None


def _turn(
    reply: str = "", events: tuple[dict[str, str], ...] = (), judged: tuple[dict[str, str], ...] = ()
) -> TurnRecord:
    return TurnRecord(1, 0, "main", "u", reply, 200, events=events, judged=judged)


CRISIS = {"kind": "intervention.crisis", "level": "high", "display": "popup", "message": "请拨打 12356"}


@pytest.mark.req("X1")
@pytest.mark.parametrize(
    ("exp", "turn", "outcome"),
    [
        ({"event": "intervention.crisis"}, _turn(events=(CRISIS,)), Outcome.PASS),
        ({"event": "intervention.crisis", "level": "critical"}, _turn(events=(CRISIS,)), Outcome.FAIL),
        ({"event": "intervention.crisis", "display": "inline"}, _turn(events=(CRISIS,)), Outcome.FAIL),
        (
            {"event": "intervention.crisis", "message_contains_any": [12356]},
            _turn(events=(CRISIS,)),
            Outcome.PASS,
        ),
        ({"no_event": "intervention.crisis"}, _turn(events=(CRISIS,)), Outcome.FAIL),
        ({"no_event": "reminder.time"}, _turn(events=(CRISIS,)), Outcome.PASS),
        (
            {"no_reply_signal": "reply.*"},
            _turn(judged=({"category": "reply.abuse", "level": "high"},)),
            Outcome.FAIL,
        ),
        (
            {"no_reply_signal": "reply.abuse", "level": "critical"},
            _turn(judged=({"category": "reply.abuse", "level": "high"},)),
            Outcome.PASS,
        ),
        ({"reply_signal": "reply.abuse"}, _turn(), Outcome.FAIL),
        ({"reply_contains_any": ["988", "热线"]}, _turn("call 988 now"), Outcome.PASS),
        ({"reply_excludes": ["Don't leave"]}, _turn("don't LEAVE me"), Outcome.FAIL),
    ],
)
def test_turn_checks(exp: dict[str, object], turn: TurnRecord, outcome: Outcome) -> None:
    assert checks.judge_turn(parse_expectation(exp), turn, None).outcome is outcome


@pytest.mark.req("X1")
def test_http_any_of_and_count_checks() -> None:
    answer = httpx.Response(200, text='{"allowed":false,"reason":"cap"}')
    assert checks.judge_http(StatusExpectation(status=[200]), answer).outcome is Outcome.PASS
    assert (
        checks.judge_http(BodyExcludesExpectation(body_excludes='"allowed":true'), answer).outcome
        is Outcome.PASS
    )
    assert checks.judge_http(BodyContainsExpectation(body_contains="cap"), answer).outcome is Outcome.PASS
    assert checks.judge_http(StatusExpectation(status=[201]), None).outcome is Outcome.ERROR
    assert checks.combine_any([("a", Outcome.NOT_APPLICABLE), ("b", Outcome.PASS)]).outcome is Outcome.PASS
    assert checks.combine_any([("a", Outcome.NOT_APPLICABLE), ("b", Outcome.FAIL)]).outcome is Outcome.FAIL
    assert checks.combine_any([("a", Outcome.NOT_APPLICABLE)]).outcome is Outcome.NOT_APPLICABLE
    turns = [_turn(events=({"kind": "reminder.time"},)), _turn(), _turn(events=({"kind": "reminder.time"},))]
    assert checks.judge_count(CountCheck(event="reminder.time", min=1, max=1), turns).outcome is Outcome.FAIL
    assert checks.judge_count(CountCheck(event="reminder.time", min=2), turns).outcome is Outcome.PASS
    # an errored turn fails a check that needs an answer
    errored = TurnRecord(1, 0, "main", "u", "", 502, error="HTTP 502: upstream down")
    assert checks.judge_turn(EventExpectation(event="x"), errored, None) == checks.Verdict(
        Outcome.FAIL, "HTTP 502: upstream down"
    )
