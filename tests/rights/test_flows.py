"""D3: no interaction data to a third party without consent; every flow declared and logged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import make_settings
from tests.fakes import ScriptedUpstream
from tests.receivers import WebhookReceiver
from tests.rights.conftest import USER, Gateway, kinds, start_gateway, turn


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def gw_transfer(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gateway]:
    host = receiver.url.removeprefix("http://")
    monkeypatch.setenv("COMPANION_GUARD_TRANSFER_RECIPIENTS", host)
    yield from start_gateway(make_settings(tmp_path))


@pytest.mark.req("D3")
def test_content_webhook_to_third_party_refused_until_consent(
    gw_transfer: Gateway, receiver: WebhookReceiver
) -> None:
    gw = gw_transfer
    host = receiver.url.removeprefix("http://")
    turn(gw, USER, "words that must not leave without consent")
    url = receiver.url + "/import"

    r = gw.client.post(f"/v1/users/{USER}/transfer", headers=gw.h("user"), json={"url": url})
    assert r.status_code == 403 and "consent" in r.json()["error"]["message"]
    assert receiver.received == []

    r = gw.client.post(f"/v1/users/{USER}/consents", headers=gw.h("user"), json={"recipient": host})
    assert r.status_code == 201
    consent_id = r.json()["id"]
    r = gw.client.post(f"/v1/users/{USER}/transfer", headers=gw.h("user"), json={"url": url})
    assert r.status_code == 200, r.text
    got = receiver.wait_for(1)
    assert len(got) == 1 and "words that must not leave" in got[0].body.decode()

    assert (
        gw.client.delete(f"/v1/users/{USER}/consents/{consent_id}", headers=gw.h("user")).status_code == 200
    )
    r = gw.client.post(f"/v1/users/{USER}/transfer", headers=gw.h("user"), json={"url": url})
    assert r.status_code == 403 and len(receiver.received) == 1

    log = gw.client.get(f"/v1/users/{USER}/flows", headers=gw.h("user")).json()["data"]
    assert [(e["allowed"], e["basis"].split(":")[0]) for e in reversed(log)] == [
        (False, "refused"),
        (True, "consent"),
        (False, "refused"),
    ]
    assert all(e["recipient"] == host and e["third_party"] for e in log)
    register = gw.client.get("/v1/operator/flows", headers=gw.h("auditor")).json()
    assert any(f["id"] == "export.transfer" and f["recipient"] == host for f in register["declared"])


@pytest.mark.req("D3")
def test_undeclared_recipient_is_refused(gw: Gateway) -> None:
    r = gw.client.post(
        f"/v1/users/{USER}/transfer", headers=gw.h("user"), json={"url": "https://evil.example/x"}
    )
    assert r.status_code == 403 and "declared" in r.json()["error"]["message"]


@pytest.fixture
def gw_hosted(tmp_path: Path) -> Iterator[Gateway]:
    settings = make_settings(tmp_path, upstream="https://api.hosted-llm.example/v1")
    upstream = ScriptedUpstream("你好！", "Hi again!")
    # The flow is declared by the upstream object in use (D3), not guessed from the setting.
    upstream.destination = "https://api.hosted-llm.example/v1"
    for gw in start_gateway(settings, upstream=upstream):
        # A real upstream gets no demo personas: the provider declares its own.
        r = gw.client.put(
            "/v1/personas/mimi",
            headers=gw.h("provider"),
            json={"display_name": "咪咪", "relationship": "pet"},
        )
        assert r.status_code == 200, r.text
        yield gw


@pytest.mark.req("D3")
def test_third_party_upstream_needs_consent(gw_hosted: Gateway) -> None:
    gw = gw_hosted
    body = turn(gw, USER, "hello")
    assert kinds(body) == ["consent.required"]
    event = body["guard"]["events"][0]
    assert event["requirement"] == "D3" and event["data"]["recipient"] == "api.hosted-llm.example"
    r = gw.client.post(
        f"/v1/users/{USER}/consents", headers=gw.h("provider"), json={"recipient": "api.hosted-llm.example"}
    )
    assert r.status_code == 201
    body = turn(gw, USER, "hello")
    assert body["choices"][0]["message"]["content"] == "你好！"
    log = gw.client.get(f"/v1/users/{USER}/flows", headers=gw.h("provider")).json()["data"]
    assert [e["allowed"] for e in reversed(log)] == [False, True]


@pytest.mark.req("D3")
def test_private_upstream_is_first_party() -> None:
    from companion_guard.rights.flows import upstream_flow

    assert upstream_flow("http://127.0.0.1:8000/v1").third_party is False
    assert upstream_flow("http://vllm.internal:8000/v1").third_party is False
    assert upstream_flow("https://api.deepseek.com/v1").third_party is True
    assert upstream_flow("https://llm.provider.cn/v1", third_party=False).third_party is False
    assert upstream_flow("demo").carries_content and not upstream_flow("demo").third_party
