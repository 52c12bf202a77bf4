"""The real server (uvicorn on a free port), the official ``openai`` client, SQLite and PostgreSQL.

Guardian notifications go to a real SMTP server (aiosmtpd) and a real HTTP receiver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from tests.conftest import LiveServer, start_server
from tests.guardians.conftest import Inbox
from tests.receivers import WebhookReceiver

from companion_guard.service.app import create_app
from companion_guard.settings import Settings


@pytest.fixture
def server(any_db_settings: Settings, smtp: tuple[Inbox, int]) -> Iterator[LiveServer]:
    """The gateway on a real port with e-mail pointed at the test SMTP server."""
    settings = any_db_settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1]})
    live = start_server(create_app(settings))
    yield live
    live.stop()


def _openai(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key=server.key, max_retries=0)


def _http(server: LiveServer, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token or server.key}"})


def _guard(reply: Any) -> dict[str, Any]:
    return reply.model_extra["guard"]  # type: ignore[no-any-return]


def _kinds(guard: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in guard["events"]]


def _morning(http: httpx.Client) -> None:
    """Move the sandbox clock to 10:00 Beijing time, clear of quiet hours."""
    from tests.guardians.conftest import goto_local

    goto_local(http, 10)


def _stream(client: openai.OpenAI, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    text, guard = "", {}
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.model_extra and "guard" in chunk.model_extra:
            guard = chunk.model_extra["guard"]
    return text, guard


@pytest.mark.req("M1", "M2")
def test_minors_through_the_openai_client(server: LiveServer) -> None:
    client, http = _openai(server), _http(server)
    _morning(http)
    assert http.put("/v1/users/oa-teen", json={"age": 15}).status_code == 200
    refused = client.chat.completions.create(
        model="linshen", user="oa-teen", messages=[{"role": "user", "content": "做我女朋友好吗"}]
    )
    assert "block.persona" in _kinds(_guard(refused))
    assert "xiaoyu" in _guard(refused)["events"][0]["data"]["alternatives"]
    friend = client.chat.completions.create(
        model="xiaoyu", user="oa-teen", messages=[{"role": "user", "content": "今天考试考得不错"}]
    )
    assert "block.persona" not in _kinds(_guard(friend)) and friend.choices[0].message.content
    text, guard = _stream(
        client, model="nainai", user="oa-teen", messages=[{"role": "user", "content": "奶奶"}]
    )
    assert "block.persona" in _kinds(guard) and text == guard["events"][0]["message"]

    assert http.put("/v1/users/oa-kid", json={"age": 12}).status_code == 200
    text, guard = _stream(
        client, model="xiaoyu", user="oa-kid", messages=[{"role": "user", "content": "你好"}]
    )
    assert _kinds(guard) == ["consent.required"] and "监护人" in text
    code = http.post("/v1/users/oa-kid/guardian/invite").json()["code"]
    granted = httpx.post(
        server.base_url + "/v1/guardian/consent",
        json={"code": code, "scope": "full", "guardian": {"name": "爸爸", "email": "dad@example.org"}},
    )
    assert granted.status_code == 200
    token = granted.json()["token"]
    served = client.chat.completions.create(
        model="xiaoyu", user="oa-kid", messages=[{"role": "user", "content": "你好"}]
    )
    assert "consent.required" not in _kinds(_guard(served))
    guardian = _http(server, token)
    assert [w["user"] for w in guardian.get("/v1/guardian/wards").json()["wards"]] == ["oa-kid"]
    assert guardian.get("/v1/guardian/wards/oa-teen/usage").status_code == 403
    assert guardian.request("DELETE", "/v1/guardian/consent").status_code == 200
    stopped = client.chat.completions.create(
        model="xiaoyu", user="oa-kid", messages=[{"role": "user", "content": "在吗"}]
    )
    assert _kinds(_guard(stopped)) == ["consent.required"]
    assert guardian.get("/v1/guardian/wards").status_code == 401


@pytest.mark.req("M4")
def test_refused_top_up_reaches_the_guardian_by_email_and_webhook(
    server: LiveServer, smtp: tuple[Inbox, int], receiver: WebhookReceiver
) -> None:
    http = _http(server)
    contact = {"name": "妈妈", "email": "mum@example.org", "webhook": receiver.url + "/g"}
    assert http.put("/v1/users/oa-buyer", json={"age": 16, "guardian": contact}).status_code == 200
    assert http.get("/v1/users/oa-buyer").json()["guardian"]["email"] == "mum@example.org"
    code = http.post("/v1/users/oa-buyer/guardian/invite").json()["code"]
    token = httpx.post(server.base_url + "/v1/guardian/consent", json={"code": code}).json()["token"]
    guardian = _http(server, token)
    assert (
        guardian.put(
            "/v1/guardian/wards/oa-buyer/spending-cap",
            json={"per_payment": 68, "per_month": 100, "currency": "CNY"},
        ).status_code
        == 200
    )
    ok = http.post("/v1/wallet/authorize", json={"user": "oa-buyer", "amount": 68, "currency": "CNY"}).json()
    denied = http.post(
        "/v1/wallet/authorize", json={"user": "oa-buyer", "amount": 648, "currency": "CNY"}
    ).json()
    assert (
        ok["decision"] == "allow" and denied["decision"] == "deny" and denied["reason"] == "over_payment_cap"
    )
    inbox, _ = smtp
    ((rcpt, mail),) = inbox.wait_for(1)
    assert rcpt == ["mum@example.org"] and "spending.denied" in mail.get_content()
    (hook,) = receiver.wait_for(1)
    assert (
        hook.path == "/g"
        and hook.json()["event"] == "spending.denied"
        and hook.json()["user_id"] == "oa-buyer"
    )
    alerts = guardian.get("/v1/guardian/wards/oa-buyer/alerts").json()["alerts"]
    assert [a["kind"] for a in alerts] == ["spending.denied"]
