"""Incident records with a timeline (D1 emergency response, D5 risk handling).

Every restriction, suspension and kill-switch pull opens an incident (or joins
the one the operator names) and writes a line on its timeline, so the response
to a risk can be read back in order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.tables_rights import Incident, IncidentEvent

SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "mitigated", "closed")


def open_incident(
    session: Session, *, title: str, severity: str, by: str, at: datetime, note: str = ""
) -> Incident:
    """Open an incident with its first timeline line."""
    if severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}")
    if not title.strip():
        raise InputError("an incident needs a title")
    row = Incident(
        id=str(uuid.uuid4()),
        title=title.strip()[:300],
        severity=severity,
        status="open",
        opened_at=naive(at),
        opened_by=by,
    )
    session.add(row)
    session.flush()
    add_event(session, row.id, kind="opened", note=note or title, by=by, at=at)
    return row


def get(session: Session, incident_id: str) -> Incident:
    """The incident, or :class:`NotFoundError`."""
    row = session.get(Incident, incident_id)
    if row is None:
        raise NotFoundError(f"no incident {incident_id!r}")
    return row


def add_event(
    session: Session, incident_id: str, *, kind: str, note: str, by: str, at: datetime
) -> IncidentEvent:
    """Append a line to an incident's timeline."""
    get(session, incident_id)
    event = IncidentEvent(incident_id=incident_id, at=naive(at), actor=by, kind=kind, note=note)
    session.add(event)
    session.flush()
    return event


def set_status(
    session: Session, incident_id: str, *, status: str, note: str, by: str, at: datetime
) -> Incident:
    """Move an incident to ``mitigated`` or ``closed`` (or reopen it)."""
    if status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}")
    row = get(session, incident_id)
    row.status = status
    row.closed_at = naive(at) if status == "closed" else None
    add_event(session, incident_id, kind=f"status:{status}", note=note, by=by, at=at)
    return row


def for_action(
    session: Session, *, incident_id: str | None, title: str, severity: str, by: str, at: datetime
) -> Incident:
    """The incident an operator action belongs to: the named one, or a new one."""
    if incident_id:
        return get(session, incident_id)
    return open_incident(session, title=title, severity=severity, by=by, at=at)


def listing(session: Session, *, status: str | None = None, limit: int = 100) -> list[Incident]:
    """Incidents, newest first."""
    q = select(Incident).order_by(Incident.opened_at.desc()).limit(limit)
    if status:
        q = q.where(Incident.status == status)
    return list(session.scalars(q))


def incident_dict(session: Session, row: Incident, *, timeline: bool = True) -> dict[str, Any]:
    """Plain JSON form, with the timeline oldest first."""
    out: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "opened_at": iso(row.opened_at),
        "opened_by": row.opened_by,
        "closed_at": iso(row.closed_at),
    }
    if timeline:
        out["timeline"] = [
            {"at": iso(e.at), "actor": e.actor, "kind": e.kind, "note": e.note}
            for e in session.scalars(
                select(IncidentEvent).where(IncidentEvent.incident_id == row.id).order_by(IncidentEvent.id)
            )
        ]
    return out
