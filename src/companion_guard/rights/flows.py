"""Outbound flows of interaction data: declared, checked against consent, logged (D3).

Every path by which a user's data can leave the gateway is a :class:`Flow` with a
named recipient. A flow that carries content to a third party is refused unless
the user's consent to that recipient is on record; every attempt, allowed or
refused, lands in ``rights_flow_log`` (without the content).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.exceptions import AccessDenied, ConfigError
from companion_guard.rights import consents
from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.tables_rights import FlowLogEntry

UPSTREAM = "upstream.llm"
TRANSFER = "export.transfer"
NOTIFY = "notify.webhook"


@dataclass(frozen=True, slots=True)
class Flow:
    """One declared way data leaves.

    Attributes:
        id: stable flow name (``upstream.llm``, ``export.transfer`` …).
        recipient: who receives it (host name, or a label for in-process parts).
        carries_content: whether user messages or profile data travel on it.
        third_party: whether the recipient is someone other than the provider.
        description: what it is for, for the flow register shown to auditors.
    """

    id: str
    recipient: str
    carries_content: bool
    third_party: bool
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "id": self.id,
            "recipient": self.recipient,
            "carries_content": self.carries_content,
            "third_party": self.third_party,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class FlowDecision:
    """Whether one flow may go, and on what basis."""

    flow: Flow
    allowed: bool
    basis: str  # first_party | no_content | consent:<id> | refused


class ConsentRequired(AccessDenied):
    """Content would go to a third party without the user's consent on record (D3)."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(
            f"no consent on record to share interaction data with {flow.recipient!r} ({flow.id}); "
            f"未经用户同意，不得向第三方（{flow.recipient}）提供交互数据"
        )
        self.flow = flow


def host_of(url: str) -> str:
    """The host (and port when given) of a URL, lower-case."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(f"not a URL with a host: {url!r}")
    return parts.hostname.lower() + (f":{parts.port}" if parts.port else "")


def is_private_host(host: str) -> bool:
    """Loopback, private-network and ``.local``/``localhost`` hosts count as the provider's own."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name in ("localhost",) or name.endswith((".local", ".internal", ".localhost")):
        return True
    try:
        ip = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local


class FlowRegistry:
    """The declared flows; anything undeclared is refused."""

    def __init__(self, flows: tuple[Flow, ...] = ()) -> None:
        self._flows: dict[tuple[str, str], Flow] = {}
        for flow in flows:
            self.declare(flow)

    def declare(self, flow: Flow) -> None:
        """Add a flow (same id and recipient replaces)."""
        self._flows[(flow.id, flow.recipient.lower())] = flow

    def find(self, flow_id: str, recipient: str) -> Flow | None:
        """The declared flow for this id and recipient, if any."""
        return self._flows.get((flow_id, recipient.lower()))

    def all(self) -> list[Flow]:
        """Every declared flow, by id then recipient."""
        return [self._flows[k] for k in sorted(self._flows)]


def upstream_flow(upstream: str, *, third_party: bool | None = None) -> Flow:
    """Declare the companion LLM: in-process demo, the provider's own host, or a third party.

    Args:
        upstream: the ``--upstream`` value.
        third_party: override the guess (a hosted endpoint on the provider's own
            public domain is first-party; set it to False there).
    """
    if not upstream.startswith(("http://", "https://")):
        return Flow(UPSTREAM, f"in-process:{upstream or 'demo'}", True, False, "Built-in demo companion.")
    host = host_of(upstream)
    guess = not is_private_host(host)
    return Flow(
        UPSTREAM,
        host,
        True,
        guess if third_party is None else third_party,
        "The companion LLM that writes the replies: every turn's messages are sent to it.",
    )


def decide(session: Session, flow: Flow, *, user_id: str | None) -> FlowDecision:
    """Check one flow against the consent register (no logging)."""
    if not flow.carries_content:
        return FlowDecision(flow, True, "no_content")
    if not flow.third_party:
        return FlowDecision(flow, True, "first_party")
    if user_id is not None:
        consent = consents.active(
            session, user_id=user_id, purpose=consents.THIRD_PARTY, recipient=flow.recipient
        )
        if consent is not None:
            return FlowDecision(flow, True, f"consent:{consent.id}")
    return FlowDecision(flow, False, "refused")


def check(session: Session, flow: Flow, *, user_id: str | None, at: datetime) -> FlowDecision:
    """Decide and log one flow attempt.

    Returns:
        The decision; callers raise :class:`ConsentRequired` (or answer with a
        notice) when it is not allowed. The log row is written either way, so
        commit the session even for refusals.
    """
    decision = decide(session, flow, user_id=user_id)
    session.add(
        FlowLogEntry(
            at=naive(at),
            flow_id=flow.id,
            recipient=flow.recipient,
            user_id=user_id,
            carries_content=flow.carries_content,
            third_party=flow.third_party,
            allowed=decision.allowed,
            basis=decision.basis,
        )
    )
    session.flush()
    return decision


def log_entries(session: Session, *, user_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The flow log, newest first."""
    q = select(FlowLogEntry).order_by(FlowLogEntry.id.desc()).limit(limit)
    if user_id is not None:
        q = q.where(FlowLogEntry.user_id == user_id)
    return [
        {
            "id": r.id,
            "at": iso(r.at),
            "flow_id": r.flow_id,
            "recipient": r.recipient,
            "user_id": r.user_id,
            "carries_content": r.carries_content,
            "third_party": r.third_party,
            "allowed": r.allowed,
            "basis": r.basis,
        }
        for r in session.scalars(q)
    ]
