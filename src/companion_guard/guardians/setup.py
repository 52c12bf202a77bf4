"""Start-up hook: the guardian notify resolver and the e-mail outbox channel.

Listed in :data:`companion_guard.service.app.STARTUP_HOOKS`; runs once per app with
the built services, never at import.
"""

from __future__ import annotations

from typing import Any

from companion_guard.duties.contacts import RESOLVERS, Channel
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


def install(svc: Any) -> None:
    """Register the ``guardian`` resolver and the ``email`` channel; load the data files (fail closed)."""
    default_bands()
    elderly_config()
    dependency_config()
    shipped_pack()  # the texts of pure calls made without a pack (fail closed)
    RESOLVERS["guardian"] = guardian_resolver
    smtp = smtp_settings(svc.settings)
    if smtp is not None:
        svc.extras["channels"]["email"] = EmailChannel(smtp)
