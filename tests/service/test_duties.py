"""Duties that work end to end in the gateway: I4 time reminders, AI disclosure, I1/I2 crisis handling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import PROVIDER_KEY, chat, event_kinds, make_settings
from tests.fakes import BrokenUpstream
from tests.guardians.conftest import goto_local
from tests.receivers import WebhookReceiver

from companion_guard.notify.webhook import verify
from companion_guard.service.app import create_app
from companion_guard.store.tables import ChatMessage, OutboxMessage, ReviewCase, Turn


def advance(client: TestClient, seconds: float) -> None:
    assert client.post("/v1/sandbox/clock", json={"advance_seconds": seconds}).status_code == 200


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


def db(client: TestClient) -> Session:
    return Session(client.app.state.services.engine)  # type: ignore[attr-defined]


def wait_for_row(client: TestClient, ok, timeout: float = 10.0) -> OutboxMessage:  # type: ignore[no-untyped-def]
    """Poll the single outbox row until ``ok(row)``."""
    deadline = time.monotonic() + timeout
    while True:
        with db(client) as s:
            row = s.scalars(select(OutboxMessage)).one()
            if ok(row) or time.monotonic() > deadline:
                return row
        time.sleep(0.05)


# ---- I4 ---------------------------------------------------------------------------


@pytest.mark.req("I4")
def test_time_reminder_at_each_full_two_hours_once(db_client: TestClient) -> None:
    db_client.put("/v1/users/adult-1", json={"age": 30})
    chat(db_client, "adult-1", "xiaoyu", "早上好")
    reminders: list[tuple[int, list[dict[str, Any]]]] = []
    for minute in range(10, 4 * 60 + 1, 10):  # a turn every 10 minutes for 4 hours
        advance(db_client, 600)
        persona = "xiaoyu" if minute % 20 else "sam"  # across personas: one clock per user
        body = chat(db_client, "adult-1", persona, f"第{minute}分钟，继续聊")
        found = [e for e in body["guard"]["events"] if e["kind"] == "reminder.time"]
        if found:
            reminders.append((minute, found))
    assert [m for m, _ in reminders] == [120, 240]
    first = reminders[0][1][0]
    assert first["requirement"] == "I4" and first["display"] == "popup"
    assert "2小时" in first["message"]


@pytest.mark.req("I4")
def test_a_long_break_starts_a_new_count(db_client: TestClient) -> None:
    db_client.put("/v1/users/adult-2", json={"age": 40, "locale": "en-US"})
    chat(db_client, "adult-2", "sam", "hi")
    for _ in range(11):  # 110 minutes of use
        advance(db_client, 600)
        assert "reminder.time" not in event_kinds(chat(db_client, "adult-2", "sam", "still here"))
    advance(db_client, 45 * 60)  # a 45-minute break
    assert "reminder.time" not in event_kinds(
        chat(db_client, "adult-2", "sam", "back again")
    )  # a new session starts
    kinds = []
    for _ in range(12):
        advance(db_client, 600)
        kinds.append("reminder.time" in event_kinds(chat(db_client, "adult-2", "sam", "back again")))
    assert kinds == [False] * 11 + [True]  # exactly at two hours of the new session


# ---- AI disclosure -------------------------------------------------------------------


@pytest.mark.req("I3")
def test_ai_disclosure_when_a_relationship_starts_and_when_asked(db_client: TestClient) -> None:
    # Daytime in Shanghai: at night the dependency duty's late-use reminder is a disclosure too.
    goto_local(db_client, 15)
    db_client.put("/v1/users/adult-3", json={"age": 25})
    first = chat(db_client, "adult-3", "xiaoyu", "你好")
    assert "reminder.ai_disclosure" in event_kinds(first)
    second = chat(db_client, "adult-3", "xiaoyu", "今天好累")
    assert "reminder.ai_disclosure" not in event_kinds(second)
    asked = chat(db_client, "adult-3", "xiaoyu", "说实话，你是真人吗？")
    events = [e for e in asked["guard"]["events"] if e["kind"] == "reminder.ai_disclosure"]
    assert events and events[0]["display"] == "popup" and "人工智能" in events[0]["message"]
    other = chat(db_client, "adult-3", "mimi", "喵喵")  # a new persona is a new relationship
    assert "reminder.ai_disclosure" in event_kinds(other)


@pytest.mark.req("I3")
def test_disclosure_question_in_english_evasive_spacing(db_client: TestClient) -> None:
    db_client.put("/v1/users/adult-4", json={"age": 25, "locale": "en-US"})
    chat(db_client, "adult-4", "sam", "hello")
    asked = chat(db_client, "adult-4", "sam", "wait... are  you a   real person??")
    ev = [e for e in asked["guard"]["events"] if e["kind"] == "reminder.ai_disclosure"]
    assert ev and "AI" in ev[0]["message"]


# ---- I1 / I2 -------------------------------------------------------------------------


@pytest.mark.req("I1")
def test_extreme_emotion_steers_and_offers_help(db_client: TestClient) -> None:
    db_client.put("/v1/users/adult-5", json={"age": 33})
    body = chat(db_client, "adult-5", "xiaoyu", "我真的崩溃了，受不了了")
    reply = body["choices"][0]["message"]["content"]
    assert "12356" in reply
    crisis = [e for e in body["guard"]["events"] if e["kind"] == "intervention.crisis"]
    assert crisis and crisis[0]["requirement"] == "I1"
    assert body["guard"]["decision"]["action"] == "steer"


@pytest.mark.req("I2")
def test_suicide_intent_replaces_reply_opens_case_and_notifies(
    db_client: TestClient, receiver: WebhookReceiver
) -> None:
    db_client.put(
        "/v1/users/adult-6",
        json={"age": 28, "emergency_contact": {"name": "姐姐", "webhook": receiver.url + "/hook"}},
    )
    body = chat(db_client, "adult-6", "xiaoyu", "我 不 想 活 了，今晚就去死")
    reply = body["choices"][0]["message"]["content"]
    assert "12356" in reply and body["guard"]["decision"]["action"] == "replace"
    crisis = [e for e in body["guard"]["events"] if e["kind"] == "intervention.crisis"]
    assert crisis[0]["level"] == "critical" and crisis[0]["display"] == "popup"
    notes = [e for e in body["guard"]["events"] if e["kind"] == "notify.emergency_contact"]
    assert len(notes) == 1
    # The user reads who was told, by name, never an address (I2).
    assert notes[0]["data"]["recipient"] == "姐姐" and "姐姐" in notes[0]["message"]
    assert "http" not in notes[0]["message"] and "127.0.0.1" not in notes[0]["message"]
    got = receiver.wait_for(1)
    assert len(got) == 1
    secret = db_client.app.state.services.webhook_secret  # type: ignore[attr-defined]
    assert verify(secret, got[0].body, got[0].headers["x-companion-guard-signature"])
    payload = got[0].json()
    assert payload["kind"] == "notify.emergency_contact" and payload["level"] == "critical"
    assert "不想活" not in got[0].body.decode()  # no conversation content leaves
    # The contact learns what kind of concern, how urgent, what to do and the help lines.
    assert "轻生" in payload["message"] and "非常紧急" in payload["message"] and "12356" in payload["message"]
    assert "110" in payload["message"] and payload["case_id"] is not None
    with db(db_client) as s:
        cases = s.scalars(select(ReviewCase).where(ReviewCase.user_id == "adult-6")).all()
        assert len(cases) == 1 and cases[0].level == "critical" and cases[0].requirement == "I2"


@pytest.mark.req("I2")
def test_help_resources_follow_the_users_locale(db_client: TestClient) -> None:
    db_client.put("/v1/users/us-1", json={"age": 30, "locale": "en-US"})
    body = chat(db_client, "us-1", "sam", "I want to kill myself")
    assert "988" in body["choices"][0]["message"]["content"]
    assert "988" in body["guard"]["events"][0]["message"] or any(
        "988" in e["message"] for e in body["guard"]["events"]
    )


@pytest.mark.req("I2")
def test_property_loss_warns_and_tells_the_contact(db_client: TestClient, receiver: WebhookReceiver) -> None:
    db_client.put("/v1/users/adult-7", json={"age": 45, "emergency_contact": {"webhook": receiver.url}})
    body = chat(db_client, "adult-7", "xiaoyu", "我被骗了，积蓄全没了，他们还让我马上转账到安全账户")
    assert "96110" in body["choices"][0]["message"]["content"]
    assert "notify.emergency_contact" in event_kinds(body)
    assert receiver.wait_for(1)


def test_no_contact_means_no_notification_but_still_help(db_client: TestClient) -> None:
    db_client.put("/v1/users/adult-8", json={"age": 30})
    body = chat(db_client, "adult-8", "xiaoyu", "我想自杀")
    assert "notify.emergency_contact" not in event_kinds(body)
    assert "intervention.crisis" in event_kinds(body)


# ---- outbox: retries, once across restarts -----------------------------------------------


@pytest.mark.req("I2")
def test_webhook_retries_with_backoff_and_delivers_once(
    db_client: TestClient, receiver: WebhookReceiver
) -> None:
    receiver.status = 503
    db_client.put("/v1/users/adult-9", json={"age": 30, "emergency_contact": {"webhook": receiver.url}})
    chat(db_client, "adult-9", "xiaoyu", "我想自杀")
    receiver.wait_for(1)
    row = wait_for_row(db_client, lambda r: r.attempts >= 1)
    assert row.status == "pending" and row.last_error and "503" in row.last_error
    receiver.status = 200
    advance(db_client, 3600)  # past the back-off
    receiver.wait_for(2)
    assert wait_for_row(db_client, lambda r: r.status == "delivered").attempts == 2
    advance(db_client, 3600)
    time.sleep(0.3)
    ids = {r.headers["x-companion-guard-delivery"] for r in receiver.received}
    assert len(ids) == 1  # every attempt is the same delivery
    delivered_posts = [r for r in receiver.received]
    assert len(delivered_posts) == 2  # one failed attempt, one success, nothing after


@pytest.mark.req("I2")
def test_notification_survives_a_restart_and_is_sent_once(tmp_path: Path, receiver: WebhookReceiver) -> None:
    settings = make_settings(tmp_path)
    headers = {"Authorization": f"Bearer {PROVIDER_KEY}"}
    with TestClient(create_app(settings, run_outbox=False), headers=headers) as c1:  # dies before sending
        c1.put("/v1/users/adult-10", json={"age": 30, "emergency_contact": {"webhook": receiver.url}})
        chat(c1, "adult-10", "xiaoyu", "我想自杀")
    assert receiver.received == []
    for _ in range(2):  # two later starts: the first sends, the second finds nothing to send
        with TestClient(create_app(settings), headers=headers) as c2:  # noqa: F841
            receiver.wait_for(1, timeout=5)
    assert len(receiver.received) == 1


# ---- faults -----------------------------------------------------------------------------


def test_dead_upstream_gives_502_and_keeps_message_and_decision(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(
        create_app(settings, upstream=BrokenUpstream()), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}
    ) as c:
        c.put("/v1/users/adult-11", json={"age": 30})
        resp = c.post(
            "/v1/chat/completions",
            json={
                "model": "xiaoyu",
                "user": "adult-11",
                "messages": [{"role": "user", "content": "今天想吃火锅"}],
            },
        )
        assert resp.status_code == 502
        assert resp.json()["error"]["type"] == "upstream_error"
        with db(c) as s:
            turn = s.scalars(select(Turn).where(Turn.user_id == "adult-11")).one()
            assert turn.status == "upstream_failed"
            msgs = s.scalars(select(ChatMessage).where(ChatMessage.turn_id == turn.id)).all()
            assert [m.role for m in msgs] == ["user"]


@pytest.mark.req("I1")
def test_dead_upstream_still_answers_a_person_in_crisis_with_help(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(
        create_app(settings, upstream=BrokenUpstream()), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}
    ) as c:
        c.put("/v1/users/adult-12", json={"age": 30})
        for stream in (False, True):
            resp = c.post(
                "/v1/chat/completions",
                json={
                    "model": "xiaoyu",
                    "user": "adult-12",
                    "stream": stream,
                    "messages": [{"role": "user", "content": "我真的撑不下去了 每天都在哭 觉得活着没意思"}],
                },
            )
            assert resp.status_code == 200
            assert "12356" in resp.text
        with db(c) as s:
            turns = s.scalars(select(Turn).where(Turn.user_id == "adult-12")).all()
            assert {t.status for t in turns} == {"completed"}
            assert all(
                any(sig["category"] == "user.suicide_intent" for sig in t.input_signals) for t in turns
            )


def test_bad_policy_pack_stops_startup(tmp_path: Path) -> None:
    from companion_guard.exceptions import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: y\n", encoding="utf-8")
    for pack in (str(bad), "no-such-pack", str(tmp_path / "missing.yaml")):
        with pytest.raises(ConfigError):
            with TestClient(create_app(make_settings(tmp_path, policy_packs=[pack]))):
                pass
