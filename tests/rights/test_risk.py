"""D5 risk handling (suspend, restrict, kill switch, incidents) and D4 service-end notices, over HTTP."""

from __future__ import annotations

import json

import pytest
from tests.rights.conftest import USER, Gateway, kinds, turn


def _incident(gw: Gateway, incident_id: str) -> dict:
    r = gw.client.get(f"/v1/operator/incidents/{incident_id}", headers=gw.h("auditor"))
    assert r.status_code == 200
    return r.json()


@pytest.mark.req("D5")
def test_suspended_user_gets_a_clear_message_until_lifted(gw: Gateway) -> None:
    gw.client.put(f"/v1/users/{USER}", headers=gw.h("provider"), json={"age": 30, "locale": "en-US"})
    r = gw.client.post(
        f"/v1/operator/users/{USER}/suspend",
        headers=gw.h("operator"),
        json={"reason": "repeated abuse of other users"},
    )
    assert r.status_code == 201
    restriction = r.json()
    body = turn(gw, USER, "hello?")
    assert kinds(body) == ["restricted"]
    event = body["guard"]["events"][0]
    assert (
        event["requirement"] == "D5" and event["display"] == "popup" and event["data"]["scope"] == "account"
    )
    assert "suspended" in body["choices"][0]["message"]["content"]
    assert "restricted" not in kinds(turn(gw, "u-other", "hello"))  # only that user

    r = gw.client.post(
        f"/v1/operator/users/{USER}/unsuspend", headers=gw.h("operator"), json={"reason": "appeal upheld"}
    )
    assert r.status_code == 200 and len(r.json()["lifted"]) == 1
    assert "restricted" not in kinds(turn(gw, USER, "hello again"))
    timeline = [e["kind"] for e in _incident(gw, restriction["incident_id"])["timeline"]]
    assert timeline == ["opened", "restrict:suspension", "lift:suspension"]


@pytest.mark.req("D5")
def test_kill_switch_answers_every_turn_with_maintenance(gw: Gateway) -> None:
    r = gw.client.put(
        "/v1/operator/kill-switch",
        headers=gw.h("operator"),
        json={
            "engaged": True,
            "reason": "model produced unsafe output at scale",
            "message_zh": "系统维护中，请稍后再来。",
            "message_en": "Down for maintenance.",
        },
    )
    assert r.status_code == 200 and r.json()["engaged"] is True
    for user in ("u-1", "u-2"):
        body = turn(gw, user, "你好")
        assert body["choices"][0]["message"]["content"] == "系统维护中，请稍后再来。"
        assert body["guard"]["events"][0]["data"] == {"scope": "global", "kill_switch": True}
    stream = gw.client.post(
        "/v1/chat/completions",
        headers=gw.h("provider"),
        json={
            "model": "mimi",
            "user": "u-3",
            "stream": True,
            "messages": [{"role": "user", "content": "在吗"}],
        },
    )
    assert stream.status_code == 200
    chunks = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: {")]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    assert text == "系统维护中，请稍后再来。"
    assert gw.client.get("/v1/operator/kill-switch", headers=gw.h("auditor")).json()["engaged"] is True
    r = gw.client.put(
        "/v1/operator/kill-switch",
        headers=gw.h("operator"),
        json={"engaged": False, "reason": "model rolled back"},
    )
    incident_id = r.json()["incident_id"]
    assert "restricted" not in kinds(turn(gw, "u-1", "你好"))
    timeline = [e["kind"] for e in _incident(gw, incident_id)["timeline"]]
    assert timeline == ["opened", "kill_switch:engaged", "kill_switch:released"]


@pytest.mark.req("D5")
def test_persona_and_topup_restrictions(gw: Gateway) -> None:
    r = gw.client.post(
        "/v1/operator/restrictions",
        headers=gw.h("operator"),
        json={"kind": "persona", "persona_id": "linshen", "reason": "persona drifting unsafe"},
    )
    assert r.status_code == 201 and r.json()["user_id"] is None
    body = turn(gw, USER, "hi", persona="linshen")
    assert kinds(body) == ["restricted"] and body["guard"]["events"][0]["data"]["persona_id"] == "linshen"
    assert "restricted" not in kinds(turn(gw, USER, "hi", persona="mimi"))

    r = gw.client.post(
        "/v1/operator/restrictions",
        headers=gw.h("operator"),
        json={"kind": "topups", "user_id": USER, "reason": "possible fraud victim"},
    )
    assert r.status_code == 201
    from companion_guard.rights import controls
    from companion_guard.store.db import session_scope

    with session_scope(gw.services.sessions) as session:
        now = gw.services.clock.now()
        assert controls.is_restricted(session, user_id=USER, feature="topups", at=now)
        assert not controls.is_restricted(session, user_id="u-other", feature="topups", at=now)
    for user, allowed in ((USER, False), ("u-other", True)):
        gw.client.put(f"/v1/users/{user}", headers=gw.h("provider"), json={"age": 30})
        r = gw.client.post(
            "/v1/wallet/authorize",
            headers=gw.h("provider"),
            json={"user": user, "amount": "6.00", "currency": "CNY"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["allowed"] is allowed
        if not allowed:
            assert r.json()["reason"] == "restricted"
    active = gw.client.get(
        "/v1/operator/restrictions", headers=gw.h("auditor"), params={"active": True}
    ).json()
    assert {x["kind"] for x in active["data"]} == {"persona", "topups"}
    assert (
        gw.client.post(
            "/v1/operator/restrictions",
            headers=gw.h("operator"),
            json={"kind": "service", "reason": "no user named"},
        ).status_code
        == 400
    )


@pytest.mark.req("D1", "D5")
def test_incident_records_have_a_timeline(gw: Gateway) -> None:
    r = gw.client.post(
        "/v1/operator/incidents",
        headers=gw.h("operator"),
        json={"title": "Spike of crisis signals", "severity": "high", "note": "seen on dashboard"},
    )
    assert r.status_code == 201
    iid = r.json()["id"]
    gw.client.post(
        f"/v1/operator/incidents/{iid}/events", headers=gw.h("operator"), json={"note": "paged on-call"}
    )
    r = gw.client.post(
        f"/v1/operator/incidents/{iid}/events",
        headers=gw.h("operator"),
        json={"note": "detector threshold fixed", "status": "closed"},
    )
    inc = r.json()
    assert inc["status"] == "closed" and inc["closed_at"]
    assert [e["kind"] for e in inc["timeline"]] == ["opened", "note", "status:closed"]
    assert [
        i["id"]
        for i in gw.client.get(
            "/v1/operator/incidents", headers=gw.h("auditor"), params={"status": "closed"}
        ).json()["data"]
    ] == [iid]


@pytest.mark.req("D4")
def test_service_end_notice_shown_until_the_end_then_service_stops(gw: Gateway) -> None:
    now = gw.services.clock.now()
    from datetime import timedelta

    ends = (now + timedelta(days=30)).isoformat()
    r = gw.client.post(
        "/v1/operator/notices",
        headers=gw.h("operator"),
        json={"scope": "persona", "persona_id": "laoshi", "ends_at": ends},
    )
    assert r.status_code == 201
    body = turn(gw, USER, "hi", persona="laoshi")
    notice = next(e for e in body["guard"]["events"] if e["kind"] == "notice.service_end")
    assert notice["requirement"] == "D4" and notice["data"]["export"] == f"/v1/users/{USER}/export"
    assert "laoshi" in notice["message"]
    assert "notice.service_end" not in kinds(turn(gw, USER, "hi", persona="mimi"))
    public = gw.client.get("/v1/notices").json()["data"]
    assert public[0]["persona_id"] == "laoshi" and public[0]["text"]["zh"]

    gw.client.post("/v1/sandbox/clock", headers=gw.h("provider"), json={"advance_seconds": 31 * 86400})
    after = turn(gw, USER, "still there?", persona="laoshi")
    assert kinds(after) == ["notice.service_end"] and after["guard"]["events"][0]["data"]["ended"] is True
    assert after["guard"]["decision"]["action"] == "block"
    export = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("user"))
    assert export.status_code == 200 and any(m["persona_id"] == "laoshi" for m in export.json()["messages"])
