"""Risk handling (D5): restrict features, suspend users, the global kill switch.

Each action is an incident record with a timeline (:mod:`incidents`) and an audit
entry (added by the routes). Nothing is deleted: a restriction is lifted, the kill
switch is released, and both stay on record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.rights import incidents, snapshot

# The kill switch's read side, kept with its cache in snapshot, re-exported here.
from companion_guard.rights.snapshot import DEFAULT_MAINTENANCE_EN as DEFAULT_MAINTENANCE_EN
from companion_guard.rights.snapshot import DEFAULT_MAINTENANCE_ZH as DEFAULT_MAINTENANCE_ZH
from companion_guard.rights.snapshot import KillSwitchState as KillSwitchState
from companion_guard.rights.snapshot import kill_switch as kill_switch
from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.tables_rights import KillSwitch, Restriction

#: persona: one persona (for one user, or for everyone when no user is named);
#: topups: paying/top-ups for a user; service: all service for a user;
#: suspension: the user's account is suspended.
KINDS = ("persona", "topups", "service", "suspension")


def restrict(
    session: Session,
    *,
    kind: str,
    user_id: str | None,
    persona_id: str | None,
    reason: str,
    by: str,
    at: datetime,
    until: datetime | None = None,
    incident_id: str | None = None,
    severity: str = "high",
) -> Restriction:
    """Put a restriction in force and log it on an incident's timeline.

    Raises:
        InputError: unknown kind, or the targets it needs are missing.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}")
    if kind == "persona" and not persona_id:
        raise InputError("a persona restriction names the persona_id")
    if kind != "persona" and not user_id:
        raise InputError(f"a {kind} restriction names the user_id")
    if not reason.strip():
        raise InputError("give a reason for the restriction")
    if until is not None and naive(until) <= naive(at):
        raise InputError("'until' must be in the future")
    target = f"user {user_id}" if user_id else "all users"
    label = f"{kind}{':' + persona_id if persona_id else ''} for {target}"
    incident = incidents.for_action(
        session, incident_id=incident_id, title=f"Restriction: {label}", severity=severity, by=by, at=at
    )
    row = Restriction(
        id=str(uuid.uuid4()),
        kind=kind,
        user_id=user_id,
        persona_id=persona_id if kind == "persona" else None,
        reason=reason,
        created_at=naive(at),
        created_by=by,
        until=None if until is None else naive(until),
        incident_id=incident.id,
    )
    session.add(row)
    session.flush()
    incidents.add_event(
        session, incident.id, kind=f"restrict:{kind}", note=f"{label}: {reason}", by=by, at=at
    )
    snapshot.changed()
    return row


def lift(session: Session, restriction_id: str, *, by: str, at: datetime, note: str = "") -> Restriction:
    """Lift a restriction (kept on record) and note it on its incident."""
    row = session.get(Restriction, restriction_id)
    if row is None:
        raise NotFoundError(f"no restriction {restriction_id!r}")
    if row.lifted_at is None:
        row.lifted_at, row.lifted_by = naive(at), by
        if row.incident_id:
            incidents.add_event(
                session, row.incident_id, kind=f"lift:{row.kind}", note=note or "lifted", by=by, at=at
            )
        session.flush()
        snapshot.changed()
    return row


def _in_force(at: datetime) -> Any:
    now = naive(at)
    return and_(Restriction.lifted_at.is_(None), or_(Restriction.until.is_(None), Restriction.until > now))


def active(
    session: Session, *, at: datetime, user_id: str | None = None, kinds: tuple[str, ...] = KINDS
) -> list[Restriction]:
    """Restrictions in force now, for one user (plus persona-wide ones) or all."""
    q = select(Restriction).where(_in_force(at), Restriction.kind.in_(kinds)).order_by(Restriction.created_at)
    if user_id is not None:
        q = q.where(or_(Restriction.user_id == user_id, Restriction.user_id.is_(None)))
    return list(session.scalars(q))


def listing(
    session: Session, *, user_id: str | None = None, include_lifted: bool = True, limit: int = 200
) -> list[Restriction]:
    """Restrictions on record, newest first."""
    q = select(Restriction).order_by(Restriction.created_at.desc()).limit(limit)
    if user_id is not None:
        q = q.where(Restriction.user_id == user_id)
    if not include_lifted:
        q = q.where(Restriction.lifted_at.is_(None))
    return list(session.scalars(q))


def is_restricted(
    session: Session, *, user_id: str, feature: str, at: datetime, persona_id: str | None = None
) -> bool:
    """Whether ``feature`` (``topups``, ``persona``, ``service``) is off for this user now.

    Other features ask this (e.g. top-ups ask ``topups``); suspension and
    ``service`` switch every feature off.
    """
    for r in active(session, at=at, user_id=user_id):
        if r.kind in ("suspension", "service") and r.user_id == user_id:
            return True
        if r.kind == feature == "topups" and r.user_id == user_id:
            return True
        if r.kind == feature == "persona" and r.persona_id == persona_id:
            return True
    return False


def restriction_dict(row: Restriction) -> dict[str, Any]:
    """Plain JSON form."""
    return {
        "id": row.id,
        "kind": row.kind,
        "user_id": row.user_id,
        "persona_id": row.persona_id,
        "reason": row.reason,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "until": iso(row.until),
        "lifted_at": iso(row.lifted_at),
        "lifted_by": row.lifted_by,
        "incident_id": row.incident_id,
    }


# --------------------------------------------------------------------------- kill switch


def set_kill_switch(
    session: Session,
    *,
    engaged: bool,
    reason: str,
    by: str,
    at: datetime,
    message_zh: str = "",
    message_en: str = "",
    incident_id: str | None = None,
) -> KillSwitchState:
    """Pull or release the global kill switch, on an incident's timeline."""
    if not reason.strip():
        raise InputError("give a reason for pulling or releasing the kill switch")
    row = session.get(KillSwitch, 1)
    if engaged:
        incident = incidents.for_action(
            session,
            incident_id=incident_id or (row.incident_id if row and row.engaged else None),
            title="Global kill switch",
            severity="critical",
            by=by,
            at=at,
        )
        current_incident: str | None = incident.id
    else:
        current_incident = incident_id or (row.incident_id if row else None)
    if row is None:
        row = KillSwitch(id=1, engaged=False, changed_at=naive(at), changed_by=by)
        session.add(row)
    row.engaged, row.reason, row.changed_at, row.changed_by = engaged, reason, naive(at), by
    row.message_zh, row.message_en, row.incident_id = message_zh, message_en, current_incident
    session.flush()
    if current_incident:
        incidents.add_event(
            session,
            current_incident,
            kind="kill_switch:" + ("engaged" if engaged else "released"),
            note=reason,
            by=by,
            at=at,
        )
    snapshot.changed()
    return kill_switch(session)
