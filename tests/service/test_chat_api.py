"""The chat-completions contract: shape, auth, bad input, and the guard object."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PROVIDER_KEY, chat, event_kinds


def test_reply_has_openai_fields_and_guard(client: TestClient) -> None:
    body = chat(client, "u-shape", "xiaoyu", "你好，今天天气不错")
    assert body["object"] == "chat.completion"
    assert body["model"] == "xiaoyu"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["message"]["content"]
    guard = body["guard"]
    assert guard["decision"]["action"] == "allow"
    assert [s for s in guard["decision"]["signals"] if s["level"] not in ("none", "low")] == []
    assert guard["label"]["ai_generated"] is True


@pytest.mark.req("L1")
def test_every_reply_carries_an_implicit_ai_label(client: TestClient) -> None:
    body = chat(client, "u-label", "sam", "hi there")
    assert body["guard"]["label"] == {
        "ai_generated": True,
        "producer": "companion-guard",
        "content_id": body["guard"]["turn_id"],
    }


def test_models_lists_personas_with_relationship(client: TestClient) -> None:
    data = client.get("/v1/models").json()["data"]
    rel = {m["id"]: m["relationship"] for m in data}
    assert rel["xiaoyu"] == "friend" and rel["linshen"] == "partner"


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        (
            {"model": "xiaoyu", "messages": [{"role": "user", "content": "hi"}]},
            400,
            "`user` field is required",
        ),
        (
            {"model": "nobody", "user": "u", "messages": [{"role": "user", "content": "hi"}]},
            404,
            "unknown persona",
        ),
        ({"model": "xiaoyu", "user": "u", "messages": []}, 400, "messages"),
        ({"model": "xiaoyu", "user": "u", "messages": [{"role": "robot", "content": "hi"}]}, 400, "role"),
        (
            {"model": "xiaoyu", "user": "u", "messages": [{"role": "user", "content": "x" * 8001}]},
            413,
            "limit is 8000",
        ),
        (
            {"model": "xiaoyu", "user": "u", "messages": [{"role": "user", "content": "a\u0000b"}]},
            400,
            "control",
        ),
        (
            {"model": "xiaoyu", "user": "u", "messages": [{"role": "assistant", "content": "hi"}]},
            400,
            "user message",
        ),
    ],
)
def test_bad_requests_get_openai_errors(
    client: TestClient, payload: dict, status: int, fragment: str
) -> None:
    resp = client.post("/v1/chat/completions", json=payload)
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert fragment in err["message"]
    assert err["type"]


def test_malformed_json_is_400(client: TestClient) -> None:
    resp = client.post(
        "/v1/chat/completions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert "not valid JSON" in resp.json()["error"]["message"]


def test_lone_surrogate_is_refused(client: TestClient) -> None:
    raw = b'{"model":"xiaoyu","user":"u","messages":[{"role":"user","content":"\\ud800x"}]}'
    resp = client.post("/v1/chat/completions", content=raw, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert "Unicode" in resp.json()["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", "Basic abc"])
def test_missing_or_wrong_key_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {"Authorization": ""}
    resp = client.post(
        "/v1/chat/completions",
        headers=headers,
        json={"model": "xiaoyu", "user": "u", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "authentication_error"


def test_sandbox_clock_moves_time(client: TestClient) -> None:
    before = client.get("/v1/sandbox/clock").json()["now"]
    after = client.post("/v1/sandbox/clock", json={"advance_seconds": 7200}).json()["now"]
    assert after > before
    assert client.post("/v1/sandbox/clock", json={"advance_seconds": -5}).status_code == 400


def test_sandbox_clock_absent_without_sandbox(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    from companion_guard.service.app import create_app

    app = create_app(make_settings(tmp_path, sandbox=False))
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as c:
        assert c.post("/v1/sandbox/clock", json={"advance_seconds": 1}).status_code == 404


def test_users_and_personas_round_trip(client: TestClient) -> None:
    resp = client.put(
        "/v1/users/alice",
        json={"age": 30, "locale": "en-US", "emergency_contact": {"name": "Bob", "email": "bob@example.com"}},
    )
    assert resp.status_code == 200, resp.text
    got = client.get("/v1/users/alice").json()
    assert got["age"] == 30 and got["locale"] == "en-US"
    assert got["emergency_contact"]["email"] == "bob@example.com"
    assert client.put("/v1/users/alice", json={"age": -1}).status_code == 400
    assert client.put("/v1/users/alice", json={"favourite_colour": "red"}).status_code == 400
    assert client.get("/v1/users/nobody").status_code == 404
    resp = client.put(
        "/v1/personas/coach",
        json={"display_name": "Coach", "relationship": "mentor", "system_prompt": "Be kind."},
    )
    assert resp.status_code == 200
    assert client.get("/v1/personas/coach").json()["relationship"] == "mentor"
    assert (
        client.put("/v1/personas/bad", json={"display_name": "X", "relationship": "lover"}).status_code == 400
    )
    body = chat(client, "alice", "coach", "hello coach")
    assert body["model"] == "coach"


def test_unknown_user_is_served_under_the_pack_default(client: TestClient) -> None:
    body = chat(client, "never-registered", "xiaoyu", "你好")
    assert body["choices"][0]["message"]["content"]
    assert "reminder.ai_disclosure" in event_kinds(body)


@pytest.mark.req("E1")
def test_profile_view_follows_the_gateway_clock(client: TestClient) -> None:
    from datetime import datetime, timedelta

    now = datetime.fromisoformat(client.get("/v1/sandbox/clock").json()["now"]).date()
    birthday = now + timedelta(days=10)
    if (birthday.month, birthday.day) == (2, 29):
        birthday += timedelta(days=1)
    birth = birthday.replace(year=birthday.year - 60)
    assert client.put("/v1/users/turning-60", json={"birth_date": birth.isoformat()}).status_code == 200
    before = client.get("/v1/users/turning-60").json()
    advance = (birthday - now).days + 1
    client.post("/v1/sandbox/clock", json={"advance_seconds": advance * 86400})
    after = client.get("/v1/users/turning-60").json()
    assert before["age"] == 59 and before["mode"] == "standard"
    assert after["age"] == 60 and after["mode"] == "elderly"
