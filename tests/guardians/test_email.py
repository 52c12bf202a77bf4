"""The SMTP outbox channel against a real aiosmtpd server."""

from __future__ import annotations

import pytest
from tests.conftest import free_port
from tests.guardians.conftest import Inbox

from companion_guard.notify.email import DeliveryError, EmailChannel, SmtpSettings


@pytest.mark.req("M4")
def test_guardian_alert_reaches_a_real_smtp_server(smtp: tuple[Inbox, int]) -> None:
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
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=free_port(), timeout_s=1))
    with pytest.raises(DeliveryError):
        channel.deliver(to="a@example.org", kind="notify.guardian", payload={})


async def test_async_delivery(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=port))
    await channel.adeliver(to="b@example.org", kind="notify.emergency_contact", payload={"user": "u"})
    assert "Emergency" in inbox.messages[0][1]["Subject"]
