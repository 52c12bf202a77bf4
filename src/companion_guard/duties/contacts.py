"""Who to notify: resolvers for each notify target, and masking of recipients.

A resolver returns the channels of a contact as :class:`Channel` values.
The guardians feature registers a ``guardian`` resolver here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from companion_guard.store import repositories as repo
from companion_guard.turn import TurnContext


@dataclass(frozen=True, slots=True)
class Channel:
    """One way to reach a contact: the channel, its address, the masked form shown to people, who it is."""

    channel: str
    target: str
    masked: str
    name: str = ""
    locale: str | None = None


Resolver = Callable[[TurnContext], list[Channel]]


def mask_email(address: str) -> str:
    """``zhang@example.com`` → ``z***@example.com``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_url(url: str) -> str:
    """Keep scheme and host, hide path and query: ``https://hooks.example.com/…``."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("@")[-1]
    return f"{scheme}://{host}/…"


def contact_channels(contact: dict[str, Any] | None) -> list[Channel]:
    """Channels of a contact record shaped ``{"name", "email", "webhook"}``."""
    if not contact:
        return []
    name = str(contact.get("name") or "")
    locale = str(contact["locale"]) if contact.get("locale") else None
    out: list[Channel] = []
    if contact.get("webhook"):
        out.append(
            Channel("webhook", str(contact["webhook"]), mask_url(str(contact["webhook"])), name, locale)
        )
    if contact.get("email"):
        out.append(Channel("email", str(contact["email"]), mask_email(str(contact["email"])), name, locale))
    return out


def emergency_contact(ctx: TurnContext) -> list[Channel]:
    """The user's emergency contact from the user record."""
    return contact_channels(repo.emergency_contact(ctx.session, ctx.user))
