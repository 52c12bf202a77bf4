"""Fixtures for the guardians tests: a real SMTP server, a real webhook receiver, a gateway that mails."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import PROVIDER_KEY, free_port, make_settings
from tests.receivers import WebhookReceiver

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), mail))  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[list[str], EmailMessage]]:
        """Wait until ``count`` messages arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free port: ``(inbox, port)``."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP webhook receiver."""
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def gclient(tmp_path: Path, smtp: tuple[Inbox, int]) -> Iterator[TestClient]:
    """The gateway (sandbox clock) with the e-mail channel pointed at the test SMTP server."""
    from companion_guard.service.app import create_app

    settings = make_settings(
        tmp_path, smtp_host="127.0.0.1", smtp_port=smtp[1], smtp_sender="guard@example.org"
    )
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as c:
        yield c


def advance(client: Any, seconds: float) -> datetime:
    """Move the sandbox clock; return the new time."""
    resp = client.post("/v1/sandbox/clock", json={"advance_seconds": seconds})
    assert resp.status_code == 200, resp.text
    return datetime.fromisoformat(resp.json()["now"])


def goto_local(client: Any, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Move the sandbox clock to the next ``hour:minute`` local time (at least a day-change safe jump)."""
    now = datetime.fromisoformat(client.get("/v1/sandbox/clock").json()["now"]).astimezone(tz)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return advance(client, (target - now).total_seconds())


def db(client: TestClient) -> Session:
    """A session on the app's database (for checks of what was stored)."""
    return Session(client.app.state.services.engine)  # type: ignore[attr-defined]


def guardian_headers(token: str) -> dict[str, str]:
    """Authorization headers for a guardian credential."""
    return {"Authorization": f"Bearer {token}"}


def consent(
    client: TestClient,
    user: str,
    *,
    scope: str = "full",
    contact: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Invite a guardian for ``user`` and consent with the code; the consent answer."""
    code = client.post(f"/v1/users/{user}/guardian/invite").json()["code"]
    body: dict[str, Any] = {"code": code, "scope": scope}
    if contact is not None:
        body["guardian"] = contact
    resp = client.post("/v1/guardian/consent", json=body, headers={"Authorization": ""})
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]
