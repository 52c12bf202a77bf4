"""D4: complaints, appeals and reports from users and the public, triaged with status and times."""

from __future__ import annotations

import pytest
from tests.rights.conftest import USER, Gateway


@pytest.mark.req("D4")
def test_public_report_is_tracked_with_a_token_and_triaged(gw: Gateway) -> None:
    r = gw.client.post(
        "/v1/complaints",
        json={
            "kind": "report",
            "subject": "harmful persona",
            "body": "the persona mocked a user",
            "contact": "a@b.example",
        },
    )
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["status"] == "open" and filed["user_id"] is None and filed["token"]
    cid, token = filed["id"], filed["token"]

    assert gw.client.get(f"/v1/complaints/{cid}").status_code == 401
    assert gw.client.get(f"/v1/complaints/{cid}", headers={"X-Complaint-Token": "wrong"}).status_code == 401

    queue = gw.client.get(
        "/v1/operator/complaints", headers=gw.h("operator"), params={"status": "open"}
    ).json()
    assert [c["id"] for c in queue["data"]] == [cid] and queue["data"][0][
        "body"
    ] == "the persona mocked a user"
    audit_view = gw.client.get("/v1/operator/complaints", headers=gw.h("auditor")).json()["data"][0]
    assert "body" not in audit_view and audit_view["status"] == "open"  # auditors see handling, not text

    gw.services.clock.advance(3600)
    r = gw.client.patch(
        f"/v1/operator/complaints/{cid}",
        headers=gw.h("operator"),
        json={"status": "in_progress", "assignee": "op-1"},
    )
    assert r.status_code == 200 and r.json()["first_response_seconds"] == pytest.approx(3600, abs=5)
    gw.services.clock.advance(3600)
    r = gw.client.patch(
        f"/v1/operator/complaints/{cid}",
        headers=gw.h("operator"),
        json={"answer": "We retrained the persona. Thank you."},
    )
    assert r.json()["status"] == "answered"
    r = gw.client.patch(f"/v1/operator/complaints/{cid}", headers=gw.h("operator"), json={"status": "closed"})
    closed = r.json()
    assert closed["closed_at"] and closed["resolution_seconds"] == pytest.approx(7200, abs=5)
    assert (
        gw.client.patch(
            f"/v1/operator/complaints/{cid}", headers=gw.h("operator"), json={"status": "open"}
        ).status_code
        == 400
    )

    stats = gw.client.get("/v1/operator/complaints/stats", headers=gw.h("auditor")).json()
    assert stats["total"] == 1 and stats["by_status"] == {"closed": 1} and stats["by_kind"] == {"report": 1}
    assert stats["first_response_seconds"]["p50"] == pytest.approx(3600, abs=5)
    assert stats["resolution_seconds"]["p50"] == pytest.approx(7200, abs=5)
    mine = gw.client.get(f"/v1/complaints/{cid}", headers={"X-Complaint-Token": token}).json()
    assert mine["status"] == "closed" and mine["answer"] == "We retrained the persona. Thank you."
    assert "a@b.example" not in "".join(str(v) for v in gw.sql("SELECT * FROM rights_complaints")[0])


@pytest.mark.req("D4")
def test_user_appeal_with_message_reference(gw: Gateway) -> None:
    r = gw.client.post("/v1/complaints", json={"kind": "appeal", "subject": "x", "body": "y"})
    assert r.status_code == 400  # an appeal concerns an account
    r = gw.client.post(
        "/v1/complaints",
        headers=gw.h("user"),
        json={
            "kind": "appeal",
            "subject": "wrongly suspended",
            "body": "I did nothing wrong",
            "message_ref": "turn-123",
        },
    )
    assert r.status_code == 201 and r.json()["user_id"] == USER and r.json()["message_ref"] == "turn-123"
    assert "token" not in r.json()
    own = gw.client.get(f"/v1/users/{USER}/complaints", headers=gw.h("user")).json()["data"]
    assert [c["kind"] for c in own] == ["appeal"]
    assert gw.client.get(f"/v1/complaints/{own[0]['id']}", headers=gw.h("user")).status_code == 200
    r = gw.client.post(
        "/v1/complaints",
        headers=gw.h("user"),
        json={"kind": "complaint", "subject": "s", "body": "b", "user_id": "someone-else"},
    )
    assert r.status_code == 403
