"""The guardians feature: the ``guardian`` notify target and the e-mail channel.

Listed in :data:`companion_guard.assembly.FEATURES`; :func:`install` runs once per
gateway and returns what it adds, never changing module state.
"""

from __future__ import annotations

from companion_guard.assembly import Feature, Parts
from companion_guard.duties.contacts import Channel
from companion_guard.guardians.accounts import seal_at_start
from companion_guard.guardians.bands import default_bands
from companion_guard.guardians.dependency import dependency_config
from companion_guard.guardians.elderly import elderly_config
from companion_guard.guardians.messages import shipped_pack
from companion_guard.guardians.notices import guardian_channels
from companion_guard.notify.email import EmailChannel, SmtpSettings
from companion_guard.settings import Settings
from companion_guard.turn import TurnContext


def guardian_resolver(ctx: TurnContext) -> list[Channel]:
    """Every way to reach the turn's user's guardians (declared contact and consenting accounts)."""
    return guardian_channels(ctx.session, ctx.user.id)


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """SMTP settings from ``Settings.smtp_*`` (``COMPANION_GUARD_SMTP_*``); ``None`` when no host is set."""
    if not settings.smtp_host:
        return None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender or "companion-guard@localhost",
        starttls=settings.smtp_starttls,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        # The outbox gives up on a send after notify_timeout but cannot stop its thread:
        # the SMTP connection must end then too, or a hung send overlaps its own retry.
        timeout_s=settings.notify_timeout,
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
