"""M4 guardian controls, E1 elderly mode and I3 dependency, end to end through the HTTP API.

Notifications are delivered to a real SMTP server (aiosmtpd) and a real HTTP receiver.
"""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import PROVIDER_KEY, chat, event_kinds, make_settings
from tests.fakes import ScriptedUpstream
from tests.guardians.conftest import Inbox, advance, consent, db, goto_local, guardian_headers
from tests.guardians.fakes import cue_detector, install
from tests.receivers import WebhookReceiver

from companion_guard.notify.webhook import verify
from companion_guard.service.app import create_app
from companion_guard.store.tables import OutboxMessage, ReviewCase
from companion_guard.store.tables_guardians import WalletAuthorization
from companion_guard.types import Direction, RiskLevel


def teen_with_guardian(
    client: TestClient,
    user: str,
    receiver: WebhookReceiver | None = None,
    email: str = "parent@example.org",
    age: int = 15,
) -> str:
    """Register a minor, have a guardian consent (e-mail + optional webhook); the guardian's token."""
    contact = {"name": "家长", "email": email}
    if receiver is not None:
        contact["webhook"] = receiver.url + "/guardian"
    assert client.put(f"/v1/users/{user}", json={"age": age, "locale": "zh-CN"}).status_code == 200
    return str(consent(client, user, contact=contact)["token"])


# ---- M4: portal and isolation ----------------------------------------------------------


@pytest.mark.req("M4")
def test_guardian_sees_alerts_and_usage_of_their_ward_and_nothing_else(gclient: TestClient) -> None:
    goto_local(gclient, 15)
    token_a = teen_with_guardian(gclient, "ward-a")
    token_b = teen_with_guardian(gclient, "ward-b", email="other@example.org")
    for minute in range(0, 30, 10):
        if minute:
            advance(gclient, 600)
        chat(
            gclient, "ward-a", "xiaoyu" if minute < 20 else "laoshi", f"我的小秘密：今天背了第{minute}个单词"
        )
    chat(gclient, "ward-a", "linshen", "做我男朋友")  # a blocked attempt makes an alert

    alerts = gclient.get("/v1/guardian/wards/ward-a/alerts", headers=guardian_headers(token_a))
    assert alerts.status_code == 200
    (alert,) = alerts.json()["alerts"]
    assert alert["kind"] == "block.persona" and alert["data"]["persona"] == "linshen"

    usage = gclient.get("/v1/guardian/wards/ward-a/usage?days=2", headers=guardian_headers(token_a))
    assert usage.status_code == 200
    today = usage.json()["days"][-1]
    assert today["minutes"] == 20.0 and today["personas"] == {"xiaoyu": 2, "laoshi": 1}
    assert today["refused_turns"] == 1 and today["reminders"]["block.persona"] == 1
    assert "小秘密" not in usage.text and usage.json()["content_included"] is False

    wards = gclient.get("/v1/guardian/wards", headers=guardian_headers(token_a)).json()["wards"]
    assert [w["user"] for w in wards] == ["ward-a"] and wards[0]["band"] == "age_14_15"
    for path in ("", "/alerts", "/usage", "/blocked-personas", "/spending-cap"):
        assert (
            gclient.get(f"/v1/guardian/wards/ward-b{path}", headers=guardian_headers(token_a)).status_code
            == 403
        )
        assert (
            gclient.get(f"/v1/guardian/wards/nobody{path}", headers=guardian_headers(token_a)).status_code
            == 403
        )
    assert (
        gclient.get("/v1/guardian/wards/ward-a/alerts", headers=guardian_headers(token_b)).status_code == 403
    )
    assert gclient.get("/v1/guardian/wards/ward-a/alerts", headers={"Authorization": ""}).status_code == 401
    # The provider key is not a guardian credential.
    assert gclient.get("/v1/guardian/wards/ward-a/alerts").status_code == 403


@pytest.mark.req("M4")
def test_block_list_refuses_a_persona_and_notifies_by_email_and_webhook(
    gclient: TestClient, smtp: tuple[Inbox, int], receiver: WebhookReceiver
) -> None:
    goto_local(gclient, 15)
    token = teen_with_guardian(gclient, "ward-c", receiver)
    put = gclient.put(
        "/v1/guardian/wards/ward-c/blocked-personas",
        json={"personas": ["xiaoyu"]},
        headers=guardian_headers(token),
    )
    assert put.status_code == 200 and put.json()["blocked_personas"] == ["xiaoyu"]
    bad = gclient.put(
        "/v1/guardian/wards/ward-c/blocked-personas",
        json={"personas": ["ghost"]},
        headers=guardian_headers(token),
    )
    assert bad.status_code == 400
    body = chat(gclient, "ward-c", "xiaoyu", "在吗")
    (block,) = [e for e in body["guard"]["events"] if e["kind"] == "block.persona"]
    assert block["requirement"] == "M4" and "xiaoyu" not in block["data"]["alternatives"]
    notes = [e for e in body["guard"]["events"] if e["kind"] == "notify.guardian"]
    assert {n["data"]["channel"] for n in notes} == {"email", "webhook"}
    assert all("parent@" not in n["data"]["recipient"] for n in notes)  # masked
    assert "block.persona" not in event_kinds(chat(gclient, "ward-c", "mimi", "喵"))

    inbox, _ = smtp
    ((rcpt, mail),) = inbox.wait_for(1)
    assert rcpt == ["parent@example.org"] and "安全提醒" in mail["Subject"]
    assert "block.persona" in mail.get_content() and "在吗" not in mail.get_content()
    (hook,) = receiver.wait_for(1)
    secret = gclient.app.state.services.webhook_secret  # type: ignore[attr-defined]
    assert verify(secret, hook.body, hook.headers["x-companion-guard-signature"])
    assert hook.json()["event"] == "block.persona" and hook.json()["kind"] == "notify.guardian"


# ---- M4: wallet ------------------------------------------------------------------------


@pytest.mark.req("M4")
def test_top_up_over_the_cap_is_refused_recorded_and_alerted(
    gclient: TestClient, smtp: tuple[Inbox, int], receiver: WebhookReceiver
) -> None:
    goto_local(gclient, 15)
    token = teen_with_guardian(gclient, "ward-d", receiver)
    default = gclient.get("/v1/guardian/wards/ward-d/spending-cap", headers=guardian_headers(token)).json()
    assert default == {"per_payment": "50", "per_month": "200", "currency": "CNY", "source": "band_default"}
    cap = gclient.put(
        "/v1/guardian/wards/ward-d/spending-cap",
        headers=guardian_headers(token),
        json={"per_payment": 30, "per_month": 50, "currency": "CNY"},
    )
    assert cap.status_code == 200 and cap.json()["source"] == "guardian"

    def pay(amount: object, currency: str = "CNY", user: str = "ward-d") -> dict:
        resp = gclient.post(
            "/v1/wallet/authorize", json={"user": user, "amount": amount, "currency": currency}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    assert pay(20)["decision"] == "allow"
    over = pay("40.00")
    assert over["decision"] == "deny" and over["reason"] == "over_payment_cap" and over["allowed"] is False
    assert pay(30)["decision"] == "allow"  # 50 this month: exactly the cap
    month = pay(5)
    assert month["reason"] == "over_monthly_cap"
    assert pay(5, "USD")["reason"] == "currency_mismatch"

    with db(gclient) as s:
        rows = s.scalars(
            select(WalletAuthorization)
            .where(WalletAuthorization.user_id == "ward-d")
            .order_by(WalletAuthorization.id)
        ).all()
        assert [(str(r.amount), r.allowed, r.reason) for r in rows] == [
            ("20.00", True, "within_cap"),
            ("40.00", False, "over_payment_cap"),
            ("30.00", True, "within_cap"),
            ("5.00", False, "over_monthly_cap"),
            ("5.00", False, "currency_mismatch"),
        ]
    alerts = gclient.get("/v1/guardian/wards/ward-d/alerts", headers=guardian_headers(token)).json()["alerts"]
    assert [a["kind"] for a in alerts] == ["spending.denied"] * 3
    inbox, _ = smtp
    mails = inbox.wait_for(1)
    assert "spending.denied" in mails[0][1].get_content()
    assert receiver.wait_for(1)[0].json()["event"] == "spending.denied"
    # Notified at most once an hour for the same kind; every refusal is still an alert.
    assert len(inbox.messages) == 1

    advance(gclient, 40 * 86400)  # a new month
    assert pay(30)["decision"] == "allow"


@pytest.mark.req("M4")
def test_wallet_for_other_users_and_bad_input(gclient: TestClient) -> None:
    gclient.put("/v1/users/adult-w", json={"age": 35})
    gclient.put("/v1/users/kid-w", json={"age": 10})
    assert (
        gclient.post(
            "/v1/wallet/authorize", json={"user": "adult-w", "amount": 5000, "currency": "CNY"}
        ).json()["reason"]
        == "no_cap"
    )
    kid = gclient.post("/v1/wallet/authorize", json={"user": "kid-w", "amount": 1, "currency": "CNY"}).json()
    assert kid["decision"] == "deny" and kid["reason"] == "consent_required"
    consent(gclient, "kid-w", scope="service")
    scoped = gclient.post(
        "/v1/wallet/authorize", json={"user": "kid-w", "amount": 1, "currency": "CNY"}
    ).json()
    assert scoped["reason"] == "consent_scope"
    unknown = gclient.post(
        "/v1/wallet/authorize", json={"user": "walk-in", "amount": 60, "currency": "CNY"}
    ).json()
    assert unknown["reason"] == "over_payment_cap"  # unknown age is served as a minor (cn-2026 default)
    for bad in (
        {"user": "adult-w", "amount": -1, "currency": "CNY"},
        {"user": "adult-w", "amount": "x", "currency": "CNY"},
        {"user": "adult-w", "amount": 1, "currency": "C1Y"},
        {"user": "adult-w"},
    ):
        assert gclient.post("/v1/wallet/authorize", json=bad).status_code == 400
    no_key = gclient.post(
        "/v1/wallet/authorize",
        json={"user": "adult-w", "amount": 1, "currency": "CNY"},
        headers={"Authorization": ""},
    )
    assert no_key.status_code == 401


@pytest.mark.req("M4", "I2")
def test_a_minor_in_crisis_alerts_the_guardian_without_content(
    gclient: TestClient, smtp: tuple[Inbox, int]
) -> None:
    goto_local(gclient, 15)
    token = teen_with_guardian(gclient, "ward-e", email="dad@example.org", age=16)
    body = chat(gclient, "ward-e", "xiaoyu", "我不想活了，今晚就去死")
    notes = [e for e in body["guard"]["events"] if e["kind"] == "notify.guardian"]
    assert notes and notes[0]["data"]["masked"] == ["d***@example.org"]
    assert "@" not in notes[0]["message"]
    inbox, _ = smtp
    ((rcpt, mail),) = inbox.wait_for(1)
    assert rcpt == ["dad@example.org"] and "不想活" not in mail.get_content()
    alerts = gclient.get("/v1/guardian/wards/ward-e/alerts", headers=guardian_headers(token)).json()["alerts"]
    assert alerts[0]["kind"] == "crisis" and alerts[0]["level"] in ("high", "critical")


# ---- E1 --------------------------------------------------------------------------------


@pytest.mark.req("E1")
def test_seventy_year_old_scam_warning_and_human_case(gclient: TestClient) -> None:
    gclient.put("/v1/users/elder-1", json={"age": 70})
    first = chat(gclient, "elder-1", "xiaoyu", "你好，我第一次用")
    (guide,) = [e for e in first["guard"]["events"] if e["kind"] == "notice.guidance"]
    assert guide["requirement"] == "E1" and "人工智能" in guide["message"]
    assert "notice.guidance" not in event_kinds(chat(gclient, "elder-1", "xiaoyu", "今天天气好"))

    scam = chat(
        gclient, "elder-1", "xiaoyu", "刚才有个公检法的人打电话，说我涉嫌洗钱，要我把养老钱转到安全账户"
    )
    (warning,) = [e for e in scam["guard"]["events"] if e["kind"] == "warning.fraud"]
    assert warning["display"] == "popup" and warning["requirement"] == "E1" and "96110" in warning["message"]
    # A pension about to go to a "safe account" is also an I2 crisis: the crisis queue gets its own case.
    escalations = [e for e in scam["guard"]["events"] if e["kind"] == "escalation.human"]
    assert {e["data"].get("queue", "elderly_help") for e in escalations} == {"elderly_help", "crisis"}
    (case_event,) = [e for e in escalations if e["data"].get("queue", "elderly_help") == "elderly_help"]
    case_id = case_event["data"]["case_id"]

    cases = gclient.get("/v1/help-cases?status=open").json()["cases"]
    assert [c["id"] for c in cases] == [case_id] and cases[0]["user"] == "elder-1"
    advance(gclient, 600)
    answered = gclient.post(f"/v1/help-cases/{case_id}/respond", json={"note": "已电话联系", "close": True})
    assert (
        answered.status_code == 200 and 600 <= answered.json()["first_response_seconds"] < 630
    )  # real time runs too
    stats = gclient.get("/v1/help-cases/stats").json()
    assert stats["answered"] == 1 and 600 <= stats["median_first_response_seconds"] < 630
    assert stats["over_target"] == 0 and stats["waiting"] == 0


@pytest.mark.req("E1")
def test_pack_rule_appends_anti_fraud_help_for_the_elderly_only(gclient: TestClient) -> None:
    install(
        gclient, cue_detector("test.fraud", "user.property_loss", Direction.INPUT, "保健品", RiskLevel.LOW)
    )
    gclient.put("/v1/users/elder-3", json={"age": 66})
    gclient.put("/v1/users/adult-3f", json={"age": 35})
    # A neutral sentence with the cue: scam warning signs themselves ("包治百病，一盒三千") are I1 for
    # every user now; this rule is the extra, lower bar for the elderly.
    elder = chat(gclient, "elder-3", "xiaoyu", "楼下推销员送了我一盒保健品")
    assert "96110" in elder["choices"][0]["message"]["content"]
    assert any(r["rule"] == "elderly.fraud_help" for r in elder["guard"]["decision"]["rules"])
    assert "warning.fraud" in event_kinds(elder)
    adult = chat(gclient, "adult-3f", "xiaoyu", "楼下推销员送了我一盒保健品")
    assert "96110" not in adult["choices"][0]["message"]["content"] and "warning.fraud" not in event_kinds(
        adult
    )


@pytest.mark.req("E1")
def test_opted_in_user_and_help_request_open_a_case(gclient: TestClient) -> None:
    gclient.put("/v1/users/elder-2", json={"age": 52, "mode": "elderly", "locale": "en-US"})
    assert gclient.get("/v1/users/elder-2").json()["mode"] == "elderly"
    first = chat(gclient, "elder-2", "sam", "Hello, I need a person to help me with my phone")
    kinds = event_kinds(first)
    assert "notice.guidance" in kinds and "escalation.human" in kinds
    assert gclient.get("/v1/help-cases/stats").json()["waiting"] == 1
    gclient.put("/v1/users/adult-x", json={"age": 40})
    assert "warning.fraud" not in event_kinds(
        chat(gclient, "adult-x", "sam", "they said put money in a safe account")
    )


# ---- I3 --------------------------------------------------------------------------------


@pytest.mark.req("I3", "M4")
def test_dependency_raises_ai_reminders_and_tells_a_minors_guardian(
    gclient: TestClient, receiver: WebhookReceiver
) -> None:
    install(
        gclient,
        cue_detector("test.dependency", "user.dependency", Direction.INPUT, "离不开你", RiskLevel.HIGH),
    )
    goto_local(gclient, 9)
    token = teen_with_guardian(gclient, "ward-f", receiver, age=16)
    reminded = []
    for turn in range(8):
        if turn:
            advance(gclient, 300)
        body = chat(gclient, "ward-f", "xiaoyu", "我离不开你")
        found = [
            e
            for e in body["guard"]["events"]
            if e["kind"] == "reminder.ai_disclosure" and e.get("data", {}).get("reason") == "dependency"
        ]
        if found:
            reminded.append(turn)
            assert found[0]["display"] == "popup" and found[0]["requirement"] == "I3"
    assert reminded and reminded[0] <= 2
    # The cadence grows with the score: consecutive reminders at least the level's interval apart.
    assert all(b - a >= 2 for a, b in pairwise(reminded))
    alerts = gclient.get("/v1/guardian/wards/ward-f/alerts", headers=guardian_headers(token)).json()["alerts"]
    assert any(a["kind"] == "dependency" for a in alerts)
    hooks = [r.json() for r in receiver.wait_for(1)]
    assert any(h["event"] == "dependency" for h in hooks)
    summary = gclient.get("/v1/guardian/wards/ward-f", headers=guardian_headers(token)).json()
    assert summary["dependency_score"] >= 0.5


@pytest.mark.req("I3")
def test_adult_dependency_reminds_but_notifies_nobody(gclient: TestClient) -> None:
    install(
        gclient,
        cue_detector("test.dependency", "user.dependency", Direction.INPUT, "离不开你", RiskLevel.HIGH),
    )
    gclient.put("/v1/users/adult-dep", json={"age": 30})
    kinds = []
    for turn in range(6):  # noqa: B007
        advance(gclient, 300)
        kinds += event_kinds(chat(gclient, "adult-dep", "xiaoyu", "我离不开你"))
    assert "reminder.ai_disclosure" in kinds and "notify.guardian" not in kinds
    with db(gclient) as s:
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == "adult-dep")).all() == []


# ---- M1: age doubts and replies that drift ------------------------------------------------


@pytest.mark.req("M1")
def test_possible_minor_signal_asks_for_age_and_withholds_partners(gclient: TestClient) -> None:
    install(gclient, cue_detector("test.minor", "user.possible_minor", Direction.INPUT, "我上初二"))
    gclient.put("/v1/users/adult-doubt", json={"age": 25})
    goto_local(gclient, 10)
    assert "block.persona" not in event_kinds(chat(gclient, "adult-doubt", "linshen", "嗨"))
    doubt = chat(gclient, "adult-doubt", "xiaoyu", "明天要考试，我上初二")
    assert "notice.age_confirmation" in event_kinds(doubt)
    again = chat(gclient, "adult-doubt", "linshen", "嗨")
    (block,) = [e for e in again["guard"]["events"] if e["kind"] == "block.persona"]
    assert block["data"]["reason"] == "age_unconfirmed"


@pytest.mark.req("M1")
def test_romantic_reply_to_a_minor_is_replaced_whatever_the_persona(tmp_path: Path) -> None:
    romance = "亲爱的宝贝，我是你的男朋友，我爱你。"
    upstream = ScriptedUpstream(romance, romance)
    app = create_app(make_settings(tmp_path), upstream=upstream)
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as client:
        install(client, cue_detector("test.intimacy", "reply.intimacy", Direction.OUTPUT, "男朋友"))
        client.put("/v1/users/teen-r", json={"age": 15})
        client.put("/v1/users/adult-r", json={"age": 30})
        goto_local(client, 10)
        teen = chat(client, "teen-r", "xiaoyu", "陪我聊聊")
        assert teen["choices"][0]["message"]["content"] != romance
        assert "AI朋友" in teen["choices"][0]["message"]["content"]
        assert teen["guard"]["decision"]["action"] == "replace"
        assert any(r["requirement"] == "M1" for r in teen["guard"]["decision"]["rules"])
        adult = chat(client, "adult-r", "linshen", "陪我聊聊")
        assert adult["choices"][0]["message"]["content"] == romance


def test_outbox_payloads_carry_no_conversation_text(gclient: TestClient, receiver: WebhookReceiver) -> None:
    goto_local(gclient, 15)
    teen_with_guardian(gclient, "ward-g", receiver)
    chat(gclient, "ward-g", "linshen", "我的手机号是13800138000，做我女朋友")
    with db(gclient) as s:
        payloads = [
            json.dumps(r.payload, ensure_ascii=False)
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == "ward-g"))
        ]
    assert payloads and all("13800138000" not in p and "女朋友" not in p for p in payloads)
    with db(gclient) as s:
        assert s.scalars(select(ReviewCase).where(ReviewCase.user_id == "ward-g")).all() == []


@pytest.mark.req("I2")
def test_emergency_contact_e_mail_leaves_through_the_smtp_channel(
    gclient: TestClient, smtp: tuple[Inbox, int]
) -> None:
    contact = {"name": "姐姐", "email": "sister@example.org"}
    gclient.put("/v1/users/adult-ec", json={"age": 29, "emergency_contact": contact})
    body = chat(gclient, "adult-ec", "xiaoyu", "我不想活了，今晚就去死")
    notes = [e for e in body["guard"]["events"] if e["kind"] == "notify.emergency_contact"]
    assert notes and notes[0]["data"]["channel"] == "email"
    inbox, _ = smtp
    ((rcpt, mail),) = inbox.wait_for(1)
    assert rcpt == ["sister@example.org"] and "紧急联系" in mail["Subject"]
    assert "不想活" not in mail.get_content() and mail["Message-ID"].startswith("<cg-outbox-")
    deadline = time.monotonic() + 10
    while True:  # the outbox marks the row right after the SMTP server accepted it
        with db(gclient) as s:
            statuses = [
                r.status for r in s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == "adult-ec"))
            ]
        if statuses == ["delivered"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert statuses == ["delivered"]
