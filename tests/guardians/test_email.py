"""The SMTP outbox channel against a real aiosmtpd server."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from companion_guard.notify.email import DeliveryError, EmailChannel, SmtpSettings


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.req("M4")
def test_guardian_alert_reaches_a_real_smtp_server(smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, sender="guard@example.org"))
    channel.deliver(
        to="parent@example.org",
        kind="notify.guardian",
        payload={"event": "block.persona", "user": "kid-1", "level": "warning", "requirement": "M1"},
        message_id="<n-1@companion-guard>",
    )
    ((rcpt, mail),) = inbox.messages
    assert rcpt == ["parent@example.org"]
    assert "安全提醒" in mail["Subject"] and mail["Message-ID"] == "<n-1@companion-guard>"
    body = mail.get_content()
    assert "block.persona" in body and "kid-1" in body and "不含聊天内容" in body


def test_unreachable_server_raises_for_retry() -> None:
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=_free_port(), timeout_s=1))
    with pytest.raises(DeliveryError):
        channel.deliver(to="a@example.org", kind="notify.guardian", payload={})


async def test_async_delivery(smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port))
    await channel.adeliver(to="b@example.org", kind="notify.emergency_contact", payload={"user": "u"})
    assert "Emergency" in inbox.messages[0][1]["Subject"]
