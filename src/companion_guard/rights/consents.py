"""Consents on record: given and withdrawn through the API, checked before data leaves (D3).

A consent names a purpose (``third_party_sharing`` for flows of interaction data to
someone else) and a recipient (a host name, or ``*`` for any recipient of that
purpose). Withdrawing never deletes: the record keeps when it was given and when
it was taken back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.tables_rights import Consent

THIRD_PARTY = "third_party_sharing"
#: Purposes a user can consent to here (guardian consent for minors lives with the guardians feature).
PURPOSES = (THIRD_PARTY,)
ANY_RECIPIENT = "*"


def grant(session: Session, *, user_id: str, purpose: str, recipient: str, by: str, at: datetime) -> Consent:
    """Record a consent (or return the one already in force)."""
    if purpose not in PURPOSES:
        raise InputError(f"unknown consent purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    recipient = recipient.strip().lower()
    if not recipient:
        raise InputError("a consent names its recipient (a host name, or '*' for any)")
    current = active(session, user_id=user_id, purpose=purpose, recipient=recipient, exact=True)
    if current is not None:
        return current
    row = Consent(
        id=str(uuid.uuid4()),
        user_id=user_id,
        purpose=purpose,
        recipient=recipient,
        granted_at=naive(at),
        granted_by=by,
    )
    session.add(row)
    session.flush()
    return row


def withdraw(session: Session, *, user_id: str, consent_id: str, by: str, at: datetime) -> Consent:
    """Withdraw a consent; it stops covering any flow from now on.

    Raises:
        NotFoundError: no such consent for this user.
    """
    row = session.get(Consent, consent_id)
    if row is None or row.user_id != user_id:
        raise NotFoundError(f"no consent {consent_id!r} for this user")
    if row.withdrawn_at is None:
        row.withdrawn_at, row.withdrawn_by = naive(at), by
        session.flush()
    return row


def active(
    session: Session, *, user_id: str, purpose: str, recipient: str, exact: bool = False
) -> Consent | None:
    """The consent in force for ``recipient`` (or a wildcard one unless ``exact``), if any."""
    recipient = recipient.lower()
    cond = (
        Consent.recipient == recipient
        if exact
        else or_(Consent.recipient == recipient, Consent.recipient == ANY_RECIPIENT)
    )
    return session.scalars(
        select(Consent)
        .where(Consent.user_id == user_id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None), cond)
        .order_by(Consent.granted_at)
        .limit(1)
    ).first()


def for_user(session: Session, user_id: str) -> list[Consent]:
    """Every consent of a user, in force or withdrawn."""
    return list(
        session.scalars(select(Consent).where(Consent.user_id == user_id).order_by(Consent.granted_at))
    )


def consent_dict(row: Consent) -> dict[str, Any]:
    """Plain JSON form."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "purpose": row.purpose,
        "recipient": row.recipient,
        "granted_at": iso(row.granted_at),
        "granted_by": row.granted_by,
        "withdrawn_at": iso(row.withdrawn_at),
        "active": row.withdrawn_at is None,
    }
