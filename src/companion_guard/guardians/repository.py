"""Reads and writes of the guardian tables. Functions take a session and never commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import Session

from companion_guard.clock import as_utc
from companion_guard.guardians import accounts
from companion_guard.guardians.consent import ConsentRecord, ConsentScope
from companion_guard.guardians.overview import Activity
from companion_guard.store import repositories as repo
from companion_guard.store.fastsql import FastStatement
from companion_guard.store.preload import get_row
from companion_guard.store.tables import table_of
from companion_guard.store.tables_guardians import (
    GuardianAccount,
    GuardianActivity,
    GuardianAlert,
    GuardianConsent,
    GuardianProfile,
    WalletAuthorization,
)

_ACTIVITY = table_of(GuardianActivity)
# Both run on every served turn: on the DBAPI cursor, inside the session's transaction (store/fastsql.py).
_INSERT_ACTIVITY = FastStatement(
    _ACTIVITY.insert(), ("user_id", "at", "persona_id", "served", "dependency_hit", "event_kinds")
)
_USAGE_SINCE = FastStatement(
    select(_ACTIVITY.c.at, _ACTIVITY.c.dependency_hit).where(
        _ACTIVITY.c.user_id == bindparam("user_id"),
        _ACTIVITY.c.at >= bindparam("since"),
        _ACTIVITY.c.served.is_(true()),
    )
)


def profile(session: Session, user_id: str) -> GuardianProfile | None:
    """The user's protective settings, if any were ever stored (preloaded on the turn path)."""
    return get_row(session, GuardianProfile, user_id)


def ensure_profile(session: Session, user_id: str, now: datetime) -> GuardianProfile:
    """The profile row, created empty on first need."""
    row = profile(session, user_id)
    if row is None:
        row = GuardianProfile(user_id=user_id, age_verification="declared", updated_at=now)
        session.add(row)
        session.flush()
    return row


# ---- consent -----------------------------------------------------------------------


def consents(session: Session, user_id: str) -> list[ConsentRecord]:
    """Every consent ever given for ``user_id``, as records."""
    rows = session.scalars(select(GuardianConsent).where(GuardianConsent.user_id == user_id)).all()
    return [_record(r) for r in rows]


def _record(row: GuardianConsent) -> ConsentRecord:
    return ConsentRecord(
        user_id=row.user_id,
        guardian_id=row.guardian_id,
        scope=ConsentScope(row.scope),
        granted_at=as_utc(row.granted_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def active_consent_rows(
    session: Session,
    *,
    user_id: str | None = None,
    guardian_id: str | None = None,
) -> list[GuardianConsent]:
    """Consents not revoked, filtered by ward and/or guardian."""
    query = select(GuardianConsent).where(GuardianConsent.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(GuardianConsent.user_id == user_id)
    if guardian_id is not None:
        query = query.where(GuardianConsent.guardian_id == guardian_id)
    return list(session.scalars(query.order_by(GuardianConsent.granted_at)))


def new_guardian(session: Session, *, contact: dict[str, Any] | None, now: datetime) -> GuardianAccount:
    """Create a guardian account, its contact sealed under the guardian's own key."""
    account = GuardianAccount(id=uuid.uuid4().hex, created_at=now)
    accounts.set_contact(session, account, contact or {})
    session.add(account)
    session.flush()
    return account


def open_contact(session: Session, user_id: str, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored guardian contact, unsealed by the store's codec (encrypted at rest when installed)."""
    if not stored:
        return None
    if "sealed" in stored:
        contact: dict[str, Any] = json.loads(
            repo.codec_for(session).open(session, user_id, str(stored["sealed"]))
        )
        return contact
    return dict(stored)


def guardian_contacts(session: Session, user_id: str) -> list[dict[str, Any]]:
    """Contacts of a ward's guardians: the provider-declared one and every consenting guardian's."""
    out: list[dict[str, Any]] = []
    row = profile(session, user_id)
    declared = open_contact(session, user_id, row.guardian_contact if row else None)
    if declared:
        out.append(declared)
    for consent in active_consent_rows(session, user_id=user_id):
        account = session.get(GuardianAccount, consent.guardian_id)
        if account is not None and (account.email or account.webhook):
            out.append(accounts.contact_of(session, account))
    return out


def forget_declared_copies(session: Session, user_id: str) -> int:
    """Before a ward's data is deleted (D4): clear the provider-declared guardian contact from accounts.

    Consents given before that copy was stopped put the ward's declared guardian contact
    into the consenting guardian's account (in clear; sealed under the guardian's key by
    :func:`~companion_guard.guardians.accounts.seal_plain_accounts` since). The declared contact is the ward's
    data and dies with it: every field of an account of this ward's guardians that equals
    it is cleared (the account, its credential and the consent record stay). Call it
    while the ward's profile and data key still exist. Returns how many accounts changed.
    """
    row = profile(session, user_id)
    declared = open_contact(session, user_id, row.guardian_contact if row else None)
    if not declared:
        return 0
    email = str(declared.get("email") or "").strip().casefold()
    webhook = str(declared.get("webhook") or "").strip()
    guardian_ids = set(
        session.scalars(select(GuardianConsent.guardian_id).where(GuardianConsent.user_id == user_id))
    )
    changed = 0
    for guardian_id in sorted(guardian_ids):
        account = session.get(GuardianAccount, guardian_id)
        if account is None:
            continue
        contact = accounts.contact_of(session, account)
        hit = False
        if email and contact.get("email", "").strip().casefold() == email:
            del contact["email"]
            hit = True
        if webhook and contact.get("webhook", "").strip() == webhook:
            del contact["webhook"]
            hit = True
        if hit and contact.get("name") and contact["name"] == declared.get("name"):
            del contact["name"]
        if hit:
            accounts.set_contact(session, account, contact)  # what is left, sealed again
        changed += hit
    return changed


# ---- activity, alerts, wallet --------------------------------------------------------


def record_activity(
    session: Session,
    *,
    user_id: str,
    at: datetime,
    persona_id: str,
    served: bool,
    dependency_hit: bool = False,
    event_kinds: Sequence[str] = (),
) -> None:
    """Note one turn (time, persona, events; never text). One statement on the cursor: it is on every turn."""
    _INSERT_ACTIVITY.execute(
        session,
        {
            "user_id": user_id,
            "at": at,
            "persona_id": persona_id,
            "served": served,
            "dependency_hit": dependency_hit,
            "event_kinds": sorted(set(event_kinds)),
        },
    )


def activity_since(session: Session, user_id: str, since: datetime) -> list[GuardianActivity]:
    """The user's activity rows from ``since`` on, oldest first."""
    return list(
        session.scalars(
            select(GuardianActivity)
            .where(GuardianActivity.user_id == user_id, GuardianActivity.at >= since)
            .order_by(GuardianActivity.at, GuardianActivity.id)
        )
    )


def usage_since(session: Session, user_id: str, since: datetime) -> list[tuple[datetime, bool]]:
    """``(at, dependency_hit)`` of the user's served turns from ``since`` on (columns only: the hot path)."""
    rows = _USAGE_SINCE.all(session, {"user_id": user_id, "since": since})
    return [(as_utc(at), bool(hit)) for at, hit in rows]


def as_activity(rows: Sequence[GuardianActivity]) -> list[Activity]:
    """Rows as the pure overview's :class:`Activity`."""
    return [Activity(as_utc(r.at), r.persona_id, tuple(r.event_kinds or ()), r.served) for r in rows]


def add_alert(
    session: Session,
    *,
    user_id: str,
    kind: str,
    requirement: str,
    level: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    dedupe_within: timedelta | None = None,
) -> GuardianAlert | None:
    """Record an alert for the ward's guardians; ``None`` when the same kind was raised within ``dedupe_within``."""
    if dedupe_within is not None:
        recent = session.scalar(
            select(GuardianAlert.id).where(
                GuardianAlert.user_id == user_id,
                GuardianAlert.kind == kind,
                GuardianAlert.created_at >= now - dedupe_within,
            )
        )
        if recent is not None:
            return None
    alert = GuardianAlert(
        user_id=user_id, kind=kind, requirement=requirement, level=level, created_at=now, data=data or {}
    )
    session.add(alert)
    session.flush()
    return alert


def alerts(session: Session, user_id: str, *, limit: int = 100) -> list[GuardianAlert]:
    """The ward's newest alerts first."""
    return list(
        session.scalars(
            select(GuardianAlert)
            .where(GuardianAlert.user_id == user_id)
            .order_by(GuardianAlert.created_at.desc(), GuardianAlert.id.desc())
            .limit(limit)
        )
    )


def approved_topups(session: Session, user_id: str, since: datetime) -> list[tuple[datetime, Any, str]]:
    """Allowed top-ups since ``since`` as ``(at, amount, currency)``."""
    rows = session.scalars(
        select(WalletAuthorization).where(
            WalletAuthorization.user_id == user_id,
            WalletAuthorization.allowed.is_(True),
            WalletAuthorization.created_at >= since,
        )
    )
    return [(as_utc(r.created_at), r.amount, r.currency) for r in rows]
