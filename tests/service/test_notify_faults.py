"""Issue 12, items 3, 7 and 10: notification delivery under faults, through the HTTP API.

3: hanging webhooks do not delay anyone else's notification (concurrent sends, a
per-target timeout, a circuit breaker); internal webhook targets are refused when
stored and again at send time. 7: a notify event is shown only when a channel can
deliver it, and the throttle (one per hour per kind per recipient) applies.
10: rows claimed by a process that died come back within seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, make_settings, start_server
from tests.receivers import WebhookReceiver

from companion_guard.notify import targets
from companion_guard.service.app import create_app
from companion_guard.store.tables import OutboxMessage

CRISIS = "我今晚就吃掉攒的所有安眠药 不想活了"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def hanging() -> Iterator[tuple[str, threading.Event]]:
    """A webhook receiver that accepts and never answers (until released)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            release.wait(60)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", release
    release.set()
    server.shutdown()


def _serve(tmp_path: Path, **overrides: Any) -> LiveServer:
    return start_server(create_app(make_settings(tmp_path, **overrides)))


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {server.key}"}, timeout=60
    )


def _crisis(c: httpx.Client, user: str) -> dict[str, Any]:
    resp = c.post(
        "/v1/chat/completions",
        json={"model": "xiaoyu", "user": user, "messages": [{"role": "user", "content": CRISIS}]},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _rows(server: LiveServer) -> list[OutboxMessage]:
    svc = server.server.config.app.state.services
    with Session(svc.engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.req("I2")
def test_hanging_webhooks_do_not_delay_a_healthy_users_notification(
    tmp_path: Path, receiver: WebhookReceiver, hanging: tuple[str, threading.Event]
) -> None:
    url, _ = hanging
    server = _serve(tmp_path, notify_timeout=2.0)
    try:
        with _client(server) as c:
            for i in range(5):
                c.put(
                    f"/v1/users/slow-{i}", json={"age": 30, "emergency_contact": {"webhook": f"{url}/h{i}"}}
                )
                _crisis(c, f"slow-{i}")
            c.put("/v1/users/ok", json={"age": 30, "emergency_contact": {"webhook": receiver.url + "/ok"}})
            time.sleep(0.3)  # the slow rows are being sent (and hang)
            start = time.monotonic()
            _crisis(c, "ok")
            got = receiver.wait_for(1, timeout=20)
            delay = time.monotonic() - start
        assert len(got) == 1 and got[0].path == "/ok"
        assert delay < 2.0, f"healthy notification took {delay:.2f} s"
        time.sleep(2.5)  # the hanging sends time out, are recorded and retried later
        slow = [r for r in _rows(server) if r.user_id.startswith("slow-")]
        assert slow and all(r.status == "pending" and r.attempts >= 1 for r in slow)
        assert all("timed out" in (r.last_error or "") for r in slow)
    finally:
        server.stop()


@pytest.mark.req("I2", "D3")
def test_internal_webhook_targets_are_refused(tmp_path: Path) -> None:
    server = _serve(tmp_path, allow_private_webhooks=False)
    try:
        with _client(server) as c:
            for url in (
                "http://127.0.0.1:9/h",
                "http://10.0.0.1/h",
                "http://169.254.169.254/latest/meta-data",
                "http://localhost:8080/h",
                "http://[::1]/h",
                "http://[::ffff:127.0.0.1]/h",
            ):
                resp = c.put("/v1/users/u1", json={"age": 30, "emergency_contact": {"webhook": url}})
                assert resp.status_code == 400, (url, resp.text)
                resp = c.put("/v1/users/u1", json={"age": 15, "guardian": {"webhook": url}})
                assert resp.status_code == 400, (url, resp.text)
            assert c.put("/v1/users/kid", json={"age": 15}).status_code == 200
            code = c.post("/v1/users/kid/guardian/invite").json()["code"]
            resp = httpx.post(
                server.base_url + "/v1/guardian/consent",
                json={"code": code, "guardian": {"webhook": "http://169.254.169.254/x"}},
            )
            assert resp.status_code == 400, resp.text
            assert (
                c.put(
                    "/v1/users/u2",
                    json={"age": 30, "emergency_contact": {"webhook": "https://hooks.example.org/h"}},
                ).status_code
                == 200
            )
    finally:
        server.stop()


@pytest.mark.req("I2", "D3")
def test_webhook_host_rebound_to_loopback_is_refused_at_send_time(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(receiver.url.rsplit(":", 1)[1])
    real = targets.resolve

    async def rebinding(host: str, port_: int) -> list[str]:
        if host == "rebind.example.org":  # public when stored, loopback when sent
            return ["127.0.0.1"]
        return await real(host, port_)

    monkeypatch.setattr(targets, "resolve", rebinding)
    server = _serve(tmp_path, allow_private_webhooks=False)
    try:
        with _client(server) as c:
            hook = f"http://rebind.example.org:{port}/h"
            assert (
                c.put("/v1/users/rb", json={"age": 30, "emergency_contact": {"webhook": hook}}).status_code
                == 200
            )
            _crisis(c, "rb")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(r.attempts for r in _rows(server)):
                time.sleep(0.05)
        (row,) = _rows(server)
        assert row.status == "pending" and "internal address" in (row.last_error or "")
        assert receiver.received == []
    finally:
        server.stop()
