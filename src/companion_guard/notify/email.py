"""The e-mail channel of the outbox: SMTP delivery to guardians and emergency contacts.

It sits beside the webhook channel. A notification never carries the user's
messages (D3): only what happened, when, how serious, and what to do next.
Sending is synchronous (``smtplib``); :meth:`EmailChannel.adeliver` runs it in a
thread for the async outbox worker. Failures raise :class:`DeliveryError` so the
outbox retries with back-off instead of losing the message.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from companion_guard.exceptions import CompanionGuardError

_SUBJECTS = {
    "notify.guardian": ("【安全提醒】您监护的用户需要关注", "Safety alert about the user in your care"),
    "notify.emergency_contact": ("【紧急联系】请尽快联系对方", "Emergency contact: please reach out now"),
}
_DEFAULT_SUBJECT = ("【通知】陪伴服务安全通知", "Companion service safety notice")


class DeliveryError(CompanionGuardError):
    """The SMTP server refused or could not be reached; the outbox retries."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send mail."""

    host: str
    port: int = 25
    sender: str = "companion-guard@localhost"
    starttls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    #: Seconds for connecting and each SMTP exchange; set it to the outbox's per-send timeout
    #: (``notify_timeout``): the send runs in a thread the outbox cannot cancel, so a longer one
    #: would keep a hung send going while the outbox already retries.
    timeout_s: float = 5.0


def render(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body for a notification, Chinese first, English second."""
    zh_subject, en_subject = _SUBJECTS.get(kind, _DEFAULT_SUBJECT)
    lines_zh = [f"事件：{payload.get('event') or payload.get('category') or kind}"]
    lines_en = [f"Event: {payload.get('event') or payload.get('category') or kind}"]
    for key, zh, en in (
        ("user_id", "用户", "User"),
        ("user", "用户", "User"),
        ("level", "级别", "Level"),
        ("requirement", "依据", "Requirement"),
        ("time", "时间", "Time"),
        ("at", "时间", "Time"),
    ):
        if payload.get(key) is not None:
            lines_zh.append(f"{zh}：{payload[key]}")
            lines_en.append(f"{en}: {payload[key]}")
    if payload.get("summary_zh"):
        lines_zh.append(str(payload["summary_zh"]))
    if payload.get("summary_en"):
        lines_en.append(str(payload["summary_en"]))
    if payload.get("message"):
        lines_zh.append(str(payload["message"]))
    lines_zh.append("本邮件不含聊天内容。如情况紧急，请直接联系对方或拨打当地求助热线。")
    lines_en.append("This e-mail contains no conversation content. If it is urgent, contact them directly.")
    body = "\n".join(lines_zh) + "\n\n" + "\n".join(lines_en) + "\n"
    return f"{zh_subject} / {en_subject}", body


def failure(exc: BaseException, timeout_s: float) -> str:
    """What went wrong, without the recipient's address: the kind of failure and the SMTP codes only.

    A server's reply text often quotes the address (``550 5.1.1 <m@example.org>: …``),
    in any case or encoding, and ``SMTPRecipientsRefused`` is keyed by it, so neither
    is ever written into the error (which lands in ``outbox.last_error`` and the log).
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({int(code) for code, _ in exc.recipients.values()})
        return "recipient refused (SMTP " + ", ".join(map(str, codes)) + ")"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} (SMTP {exc.smtp_code})"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__} (errno {exc.errno})"
    return type(exc).__name__


class EmailChannel:
    """Sends outbox notifications by SMTP."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def build(
        self, *, to: str, kind: str, payload: dict[str, Any], message_id: str | None = None
    ) -> EmailMessage:
        """The e-mail for one notification (``message_id`` makes retries recognisable)."""
        subject, body = render(kind, payload)
        mail = EmailMessage()
        mail["From"] = self._settings.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id or make_msgid(domain="companion-guard")
        mail["X-Companion-Guard-Event"] = kind
        mail.set_content(body, charset="utf-8")
        return mail

    def deliver(self, *, to: str, kind: str, payload: dict[str, Any], message_id: str | None = None) -> None:
        """Send one notification; raise :class:`DeliveryError` on any SMTP or network failure."""
        mail = self.build(to=to, kind=kind, payload=payload, message_id=message_id)
        s = self._settings
        try:
            smtp_cls = smtplib.SMTP_SSL if s.use_ssl else smtplib.SMTP
            with smtp_cls(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            # ``from None``: the cause's text (the server's reply) may carry the address too.
            raise DeliveryError(
                f"SMTP delivery to {s.host}:{s.port} failed: {failure(exc, s.timeout_s)}"
            ) from None

    async def send(self, *, target: str, delivery_id: str, payload: dict[str, Any]) -> None:
        """The outbox :class:`~companion_guard.notify.outbox.Channel` interface.

        The delivery id becomes the Message-ID, so a resend after a crash is
        recognisable as the same message.
        """
        kind = str(payload.get("kind", "notify"))
        await self.adeliver(
            to=target, kind=kind, payload=payload, message_id=f"<{delivery_id}@companion-guard>"
        )

    async def adeliver(
        self, *, to: str, kind: str, payload: dict[str, Any], message_id: str | None = None
    ) -> None:
        """:meth:`deliver` in a worker thread, for the async outbox."""
        await asyncio.to_thread(self.deliver, to=to, kind=kind, payload=payload, message_id=message_id)
