"""Issue 12, item 5: the SMTP channel's errors and timeouts never carry the contact's address.

Through the HTTP API: a crisis turn of a user whose emergency contact has only an
e-mail, against SMTP servers that refuse the recipient (echoing the address, as
Postfix does, in another case than the one stored) or that never greet. The
outbox row's ``last_error`` and the log keep neither the address nor its parts,
and a hanging SMTP connection is given up at the notification timeout, not later.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import PROVIDER_KEY, chat, free_port, make_settings

from companion_guard.store.tables import OutboxMessage

CRISIS = "我今晚就吃掉攒的所有安眠药 不想活了"
ADDRESS = "Mama.Li@Family-Mail.example.org"
#: Every part of the address that must not be written anywhere.
PARTS = ("mama.li", "family-mail", "ama.li@")


class Refusing:
    """An aiosmtpd handler that refuses every recipient, echoing the address lower-cased."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return f"550 5.1.1 <{address.lower()}>: Recipient address rejected: User unknown"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def mute_smtp() -> Iterator[tuple[int, list[float]]]:
    """A TCP server that accepts and never greets; yields ``(port, seconds each connection stayed open)``."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[float] = []
    stop = threading.Event()

    def hold(conn: socket.socket) -> None:
        start = time.monotonic()
        conn.settimeout(30)
        try:
            while conn.recv(1024):  # the client closes its end when it gives up
                pass
        except OSError:
            pass
        held.append(time.monotonic() - start)
        conn.close()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed at teardown
                return
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], held
    finally:
        stop.set()
        time.sleep(0.2)  # the accept loop sees the flag before the socket goes
        listener.close()


def _gateway(tmp_path: Path, port: int, **overrides: Any) -> TestClient:
    from companion_guard.service.app import create_app

    settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=port, **overrides)
    return TestClient(create_app(settings), headers={"Authorization": f"Bearer {PROVIDER_KEY}"})


def _errors_after_attempt(c: TestClient, user: str, timeout: float = 15) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        with Session(c.app.state.services.engine) as s:  # type: ignore[attr-defined]
            rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user)))
        if (rows and all(r.attempts for r in rows)) or time.monotonic() > deadline:
            return [r.last_error or "" for r in rows]
        time.sleep(0.05)


def _gateway_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the gateway logged (the test SMTP server's own ``mail.log`` is not the gateway's)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))


def _crisis_with_email_contact(c: TestClient, user: str) -> None:
    resp = c.put(
        f"/v1/users/{user}", json={"age": 30, "emergency_contact": {"name": "妈妈", "email": ADDRESS}}
    )
    assert resp.status_code == 200, resp.text
    chat(c, user, "xiaoyu", CRISIS)


@pytest.mark.req("I2", "D3")
def test_a_refused_recipient_leaves_no_address_in_the_row_or_the_log(
    tmp_path: Path, refusing_smtp: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with _gateway(tmp_path, refusing_smtp) as c:
        _crisis_with_email_contact(c, "smtp-refused")
        errors = _errors_after_attempt(c, "smtp-refused")
    assert errors and all("550" in e for e in errors), errors
    written = (" ".join(errors) + _gateway_log(caplog)).lower()
    for part in PARTS:
        assert part not in written, (part, errors)


@pytest.mark.req("I2", "D3")
def test_a_mute_smtp_server_is_given_up_at_the_notify_timeout_without_the_address(
    tmp_path: Path, mute_smtp: tuple[int, list[float]], caplog: pytest.LogCaptureFixture
) -> None:
    port, held = mute_smtp
    caplog.set_level(logging.DEBUG)
    with _gateway(tmp_path, port, notify_timeout=1.0) as c:
        _crisis_with_email_contact(c, "smtp-mute")
        errors = _errors_after_attempt(c, "smtp-mute")
        deadline = time.monotonic() + 15
        while not held and time.monotonic() < deadline:
            time.sleep(0.05)
    assert errors and all("timed out" in e for e in errors), errors
    # The SMTP connection itself ends at the notification timeout: no send keeps running in a
    # thread after the outbox gave up on it (and then delivers while a retry sends again).
    assert held and held[0] < 3.0, held
    written = (" ".join(errors) + _gateway_log(caplog)).lower()
    for part in PARTS:
        assert part not in written, (part, errors)
