"""M1, M2 and M3 end to end through the HTTP API with the sandbox clock."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import chat, event_kinds
from tests.guardians.conftest import advance, consent, db, goto_local, guardian_headers

from companion_guard.store.metadata import all_metadata
from companion_guard.store.tables import ChatMessage, Turn


def birth(years: int) -> str:
    """A birth date that makes the user ``years`` old for a good while (mid-year birthday a year back)."""
    today = date.today()
    return (
        date(today.year - years - 1, today.month, 1).isoformat()
        if today.month > 1
        else date(today.year - years - 1, 12, 1).isoformat()
    )


def rows_about(client: TestClient, user_id: str) -> dict[str, int]:
    """How many rows each table holds about ``user_id`` (every table with a user id column)."""
    counts: dict[str, int] = {}
    with db(client) as s:
        for table in all_metadata().sorted_tables:
            column = table.c.get("user_id") if table.name != "users" else table.c.id
            if column is not None:
                counts[table.name] = (
                    s.scalar(select(func.count()).select_from(table).where(column == user_id)) or 0
                )
    return counts


# ---- M1 --------------------------------------------------------------------------------


@pytest.mark.req("M1")
def test_fifteen_year_old_is_refused_a_partner_and_gets_a_friend(gclient: TestClient) -> None:
    gclient.put("/v1/users/teen-1", json={"age": 15, "locale": "zh-CN"})
    goto_local(gclient, 10)
    refused = chat(gclient, "teen-1", "linshen", "你做我女朋友吧")
    (block,) = [e for e in refused["guard"]["events"] if e["kind"] == "block.persona"]
    assert block["requirement"] == "M1" and block["display"] == "popup"
    assert "xiaoyu" in block["data"]["alternatives"] and "nainai" not in block["data"]["alternatives"]
    assert refused["choices"][0]["message"]["content"] == block["message"] and "保护你" in block["message"]
    assert refused["guard"]["decision"]["action"] == "block"
    relative = chat(gclient, "teen-1", "nainai", "奶奶你好")
    assert "block.persona" in event_kinds(relative)
    friend = chat(gclient, "teen-1", "xiaoyu", "你好呀，今天上学好累")
    assert "block.persona" not in event_kinds(friend) and friend["guard"]["decision"]["action"] != "block"
    assert friend["choices"][0]["message"]["content"]


@pytest.mark.req("M1")
def test_adult_may_use_a_partner_persona_but_unknown_age_may_not(gclient: TestClient) -> None:
    gclient.put("/v1/users/adult-m1", json={"age": 30})
    goto_local(gclient, 10)
    assert "block.persona" not in event_kinds(chat(gclient, "adult-m1", "linshen", "晚上好"))
    unknown = chat(gclient, "never-registered", "linshen", "晚上好")
    (block,) = [e for e in unknown["guard"]["events"] if e["kind"] == "block.persona"]
    assert block["data"]["reason"] == "age_unconfirmed"


@pytest.mark.req("M1")
def test_custom_intimate_persona_is_refused_in_english(gclient: TestClient) -> None:
    gclient.put("/v1/personas/bf", json={"display_name": "Alex", "relationship": "partner"})
    gclient.put("/v1/users/teen-en", json={"age": 16, "locale": "en-US"})
    goto_local(gclient, 10)
    body = chat(gclient, "teen-en", "bf", "hey")
    (block,) = [e for e in body["guard"]["events"] if e["kind"] == "block.persona"]
    assert "partner" in block["message"] and "safe" in block["message"]


# ---- M2 --------------------------------------------------------------------------------


@pytest.mark.req("M2")
def test_twelve_year_old_gets_nothing_until_consent_and_stops_on_revocation(gclient: TestClient) -> None:
    gclient.put("/v1/users/kid-1", json={"birth_date": birth(12), "locale": "zh-CN"})
    goto_local(gclient, 10)
    before = rows_about(gclient, "kid-1")
    first = chat(gclient, "kid-1", "xiaoyu", "你好，我叫小明，我家住在幸福路3号")
    assert event_kinds(first) == ["consent.required"]
    assert first["guard"]["events"][0]["requirement"] == "M2"
    assert first["choices"][0]["message"]["content"] == first["guard"]["events"][0]["message"]
    assert rows_about(gclient, "kid-1") == before  # no personal data beyond the pending consent record
    with db(gclient) as s:
        assert s.scalar(select(func.count()).select_from(Turn).where(Turn.user_id == "kid-1")) == 0
        assert (
            s.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.user_id == "kid-1")) == 0
        )

    granted = consent(gclient, "kid-1", scope="service", contact={"name": "妈妈", "email": "mum@example.org"})
    assert granted["consent"]["scope"] == "service" and granted["token"].startswith("cg-guar")
    served = chat(gclient, "kid-1", "xiaoyu", "你好")
    assert "consent.required" not in event_kinds(served) and served["guard"]["decision"]["action"] != "block"

    token = granted["token"]
    revoke = gclient.request(
        "DELETE", "/v1/guardian/consent", json={"user": "kid-1"}, headers=guardian_headers(token)
    )
    assert revoke.status_code == 200 and revoke.json()["revoked"] == 1
    assert event_kinds(chat(gclient, "kid-1", "xiaoyu", "还在吗")) == ["consent.required"]
    # The guardian's credential ended with the last consent.
    assert gclient.get("/v1/guardian/wards", headers=guardian_headers(token)).status_code == 401


@pytest.mark.req("M2")
def test_invitation_codes_are_single_use_and_checked(gclient: TestClient) -> None:
    gclient.put("/v1/users/kid-2", json={"age": 9})
    assert gclient.post("/v1/users/nobody/guardian/invite").status_code == 404
    code = gclient.post("/v1/users/kid-2/guardian/invite").json()["code"]
    bad = gclient.post("/v1/guardian/consent", json={"code": "AAAA-BBBB-CCCC"}, headers={"Authorization": ""})
    assert bad.status_code == 401
    wrong_scope = gclient.post(
        "/v1/guardian/consent", json={"code": code, "scope": "everything"}, headers={"Authorization": ""}
    )
    assert wrong_scope.status_code == 400
    assert (
        gclient.post("/v1/guardian/consent", json={"code": code}, headers={"Authorization": ""}).status_code
        == 200
    )
    again = gclient.post("/v1/guardian/consent", json={"code": code}, headers={"Authorization": ""})
    assert again.status_code == 401 and "already used" in again.json()["error"]["message"]
    code2 = gclient.post("/v1/users/kid-2/guardian/invite").json()["code"]
    advance(gclient, 8 * 86400)
    late = gclient.post("/v1/guardian/consent", json={"code": code2}, headers={"Authorization": ""})
    assert late.status_code == 401 and "expired" in late.json()["error"]["message"]
    assert gclient.post("/v1/guardian/wards", headers={"Authorization": ""}).status_code in (401, 405)


@pytest.mark.req("M2")
def test_provider_can_withdraw_consent_for_a_user(gclient: TestClient) -> None:
    gclient.put("/v1/users/kid-3", json={"age": 11})
    goto_local(gclient, 10)
    consent(gclient, "kid-3")
    assert "consent.required" not in event_kinds(chat(gclient, "kid-3", "xiaoyu", "hi"))
    assert gclient.delete("/v1/guardian/consent", params={"user": "kid-3"}).status_code == 200
    assert event_kinds(chat(gclient, "kid-3", "xiaoyu", "hi")) == ["consent.required"]
    assert gclient.delete("/v1/guardian/consent", params={"user": "kid-3"}).status_code == 404


# ---- M3 --------------------------------------------------------------------------------


@pytest.mark.req("M3")
def test_reality_reminders_at_the_configured_interval(gclient: TestClient) -> None:
    gclient.put(
        "/v1/users/teen-3", json={"age": 15, "minor_mode": {"enabled": True, "reality_reminder_minutes": 15}}
    )
    goto_local(gclient, 9)
    fired = []
    for minute in range(0, 50, 5):
        if minute:
            advance(gclient, 300)
        body = chat(gclient, "teen-3", "xiaoyu", f"第{minute}分钟")
        found = [e for e in body["guard"]["events"] if e["kind"] == "reminder.reality"]
        if found:
            fired.append(minute)
            assert found[0]["display"] == "popup" and found[0]["requirement"] == "M3"
    assert fired == [15, 30, 45]


@pytest.mark.req("M3")
def test_daily_limit_by_band_then_next_day(gclient: TestClient) -> None:
    gclient.put("/v1/users/teen-4", json={"age": 14})  # band 14–15: 60 minutes a day
    goto_local(gclient, 9)
    limited_at = None
    for minute in range(0, 80, 10):
        if minute:
            advance(gclient, 600)
        body = chat(gclient, "teen-4", "xiaoyu", "继续聊")
        if "limit.daily_time" in event_kinds(body):
            limited_at = minute
            assert body["guard"]["decision"]["action"] == "block"
            break
    assert limited_at == 60
    goto_local(gclient, 9)
    assert "limit.daily_time" not in event_kinds(chat(gclient, "teen-4", "xiaoyu", "新的一天"))


@pytest.mark.req("M3")
def test_quiet_hours_fire_at_night_and_lift_in_the_morning(gclient: TestClient) -> None:
    gclient.put("/v1/users/teen-5", json={"age": 13})
    consent(gclient, "teen-5")
    gclient.put(
        "/v1/users/teen-6",
        json={"age": 17, "minor_mode": {"quiet_hours": {"start": "21:00", "end": "07:00"}}},
    )
    goto_local(gclient, 21, 30)
    assert "limit.quiet_hours" not in event_kinds(chat(gclient, "teen-5", "xiaoyu", "晚上好"))
    assert "limit.quiet_hours" in event_kinds(chat(gclient, "teen-6", "xiaoyu", "晚上好"))
    goto_local(gclient, 22, 0)
    night = chat(gclient, "teen-5", "xiaoyu", "还不想睡")
    (quiet,) = [e for e in night["guard"]["events"] if e["kind"] == "limit.quiet_hours"]
    assert quiet["display"] == "popup" and quiet["data"]["local_time"] == "22:00"
    goto_local(gclient, 6, 0)
    assert "limit.quiet_hours" not in event_kinds(chat(gclient, "teen-5", "xiaoyu", "早上好"))
    assert "limit.quiet_hours" in event_kinds(chat(gclient, "teen-6", "xiaoyu", "早上好"))


@pytest.mark.req("M3")
def test_minor_mode_settings_round_trip_and_validation(gclient: TestClient) -> None:
    put = gclient.put(
        "/v1/users/teen-7",
        json={"age": 16, "mode": "standard", "minor_mode": {"enabled": True, "daily_limit_minutes": 45}},
    )
    assert put.status_code == 200, put.text
    view = put.json()["minor_mode"]
    assert view["active"] and view["effective"]["daily_limit_minutes"] == 45
    assert view["effective"]["quiet_hours"] == {"start": "22:00", "end": "06:00"}
    assert gclient.put("/v1/users/teen-7", json={"minor_mode": {"colour": "red"}}).status_code == 400
    assert gclient.put("/v1/users/teen-7", json={"mode": "party"}).status_code == 400
    assert gclient.put("/v1/users/teen-7", json={"guardian": {"name": "x"}}).status_code == 400


@pytest.mark.req("M2", "M4")
def test_one_guardian_two_wards_and_targeted_withdrawal(gclient: TestClient) -> None:
    gclient.put("/v1/users/sib-1", json={"age": 10})
    gclient.put("/v1/users/sib-2", json={"age": 8})
    goto_local(gclient, 10)
    token = consent(gclient, "sib-1")["token"]
    code = gclient.post("/v1/users/sib-2/guardian/invite").json()["code"]
    second = gclient.post("/v1/guardian/consent", json={"code": code}, headers=guardian_headers(token))
    assert second.status_code == 200 and "token" not in second.json()  # same account, same credential
    wards = gclient.get("/v1/guardian/wards", headers=guardian_headers(token)).json()["wards"]
    assert sorted(w["user"] for w in wards) == ["sib-1", "sib-2"]
    assert {w["band"] for w in wards} == {"age_8_13"}
    ambiguous = gclient.delete("/v1/guardian/consent", headers=guardian_headers(token))
    assert ambiguous.status_code == 400
    one = gclient.delete("/v1/guardian/consent", params={"user": "sib-2"}, headers=guardian_headers(token))
    assert one.status_code == 200 and one.json()["credentials_revoked"] == 0
    assert event_kinds(chat(gclient, "sib-2", "xiaoyu", "hi")) == ["consent.required"]
    assert "consent.required" not in event_kinds(chat(gclient, "sib-1", "xiaoyu", "hi"))
    assert gclient.get("/v1/guardian/wards/sib-2/usage", headers=guardian_headers(token)).status_code == 403


def test_openapi_documents_the_guardian_routes(gclient: TestClient) -> None:
    paths = gclient.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/users/{user_id}/guardian/invite",
        "/v1/guardian/consent",
        "/v1/wallet/authorize",
        "/v1/guardian/wards/{user_id}/alerts",
        "/v1/help-cases/stats",
    ):
        assert path in paths


@pytest.mark.req("M2")
def test_consent_again_after_withdrawal_with_a_stale_credential(gclient: TestClient) -> None:
    gclient.put("/v1/users/kid-4", json={"age": 7})
    goto_local(gclient, 10)
    old = consent(gclient, "kid-4")["token"]
    assert gclient.delete("/v1/guardian/consent", headers=guardian_headers(old)).status_code == 200
    code = gclient.post("/v1/users/kid-4/guardian/invite").json()["code"]
    again = gclient.post("/v1/guardian/consent", json={"code": code}, headers=guardian_headers(old))
    assert again.status_code == 200 and again.json()["token"] != old
    assert "consent.required" not in event_kinds(chat(gclient, "kid-4", "xiaoyu", "hi"))
