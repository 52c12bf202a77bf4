"""The guardians feature: the ``guardian`` notify target and the e-mail channel.

Listed in :data:`companion_guard.assembly.FEATURES`; :func:`install` runs once per
gateway and returns what it adds, never changing module state.
"""

from __future__ import annotations

from typing import Any

from companion_guard.assembly import Feature, Parts
from companion_guard.duties.contacts import Channel
from companion_guard.guardians.accounts import seal_at_start
from companion_guard.guardians.bands import default_bands
from companion_guard.guardians.dependency import dependency_config
from companion_guard.guardians.elderly import elderly_config
from companion_guard.guardians.messages import shipped_pack
from companion_guard.guardians.notices import guardian_channels
from companion_guard.notify.email import EmailChannel, SmtpSettings
from companion_guard.turn import TurnContext


def guardian_resolver(ctx: TurnContext) -> list[Channel]:
    """Every way to reach the turn's user's guardians (declared contact and consenting accounts)."""
    return guardian_channels(ctx.session, ctx.user.id)


def smtp_settings(settings: Any) -> SmtpSettings | None:
    """SMTP settings from ``COMPANION_GUARD_SMTP_*``; ``None`` when no host is set."""
    host = getattr(settings, "smtp_host", "")
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(getattr(settings, "smtp_port", 25)),
        sender=getattr(settings, "smtp_sender", "") or "companion-guard@localhost",
        starttls=bool(getattr(settings, "smtp_starttls", False)),
        username=getattr(settings, "smtp_username", "") or None,
        password=getattr(settings, "smtp_password", "") or None,
        # The outbox gives up on a send after notify_timeout but cannot stop its thread:
        # the SMTP connection must end then too, or a hung send overlaps its own retry.
        timeout_s=float(getattr(settings, "notify_timeout", 5.0)),
    )


def install(parts: Parts) -> Feature:
    """The ``guardian`` target and, with an SMTP host, the ``email`` channel; data files load now (fail closed)."""
    default_bands()
    elderly_config()
    dependency_config()
    shipped_pack()  # the texts of pure calls made without a pack (fail closed)
    seal_at_start(parts.sessions)  # rows older versions stored in plain text (D3); the codec is on
    smtp = smtp_settings(parts.settings)
    return Feature(
        resolvers={"guardian": guardian_resolver},
        channels={} if smtp is None else {"email": EmailChannel(smtp)},
    )
