"""Operator and auditor routes (D1, D5, D4): content reads with a reason, restrictions,
suspension, the kill switch, service-end notices, incidents, complaint triage, flows, audit.

Every change is an audit entry; every read of a user's messages needs a reason
and is an audit entry too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Query

from companion_guard.exceptions import InputError
from companion_guard.rights import audit, complaints, controls, flows, incidents, notices
from companion_guard.rights.audit import AuditAction
from companion_guard.rights.roles import Permission, Role
from companion_guard.rights.schemas import (
    ComplaintUpdate,
    IncidentRequest,
    IncidentUpdate,
    KillSwitchRequest,
    NoticeRequest,
    ReasonRequest,
    RestrictionRequest,
    SuspendRequest,
)
from companion_guard.rights.timefmt import iso
from companion_guard.service.routes.rights import CallerDep, RightsDep, actor, check
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.operators import (
    AuditLog,
    AuditVerification,
    ComplaintStats,
    FlowRegister,
    IncidentList,
    IncidentOut,
    KillSwitchOut,
    MessagesRead,
    NoticeList,
    RestrictionList,
    RestrictionOut,
    Unsuspended,
)
from companion_guard.service.schemas.rights import ComplaintList, ComplaintOut, NoticeOut
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(tags=["operators"], route_class=ModelRoute)

#: The shortest reason accepted for reading a user's messages.
MIN_REASON = 10

UserId = Path(min_length=1, max_length=128, description="The provider's id for the end user.")


# --------------------------------------------------------------------------- content reads


@router.get("/v1/operator/users/{user_id}/messages", response_model=MessagesRead)
def read_messages(
    who: CallerDep,
    r: RightsDep,
    user_id: str = UserId,
    reason: str | None = Query(
        None,
        max_length=2000,
        description=f"Why you need to read them (audited); at least {MIN_REASON} characters.",
    ),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Read a user's recent messages. A reason is required; the read is audited."""
    # Who may read comes first: a caller without the right is refused (403) whatever the
    # reason; only an operator is told that the reason is missing or too short (400).
    check(who, Permission.CONTENT_READ)
    if reason is None or len(reason.strip()) < MIN_REASON:
        raise InputError(f"`reason` is required: at least {MIN_REASON} characters saying why (it is audited)")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in reason):
        raise InputError("reason contains control characters")
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        rows = repo.recent_messages(session, user_id, limit)
        data = [
            {
                "id": m.id,
                "turn_id": m.turn_id,
                "persona_id": m.persona_id,
                "role": m.role,
                "content": repo.message_text(session, m),
                "created_at": iso(m.created_at),
            }
            for m in rows
        ]
        audit.append(
            session,
            actor=who,
            action=AuditAction.CONTENT_READ,
            at=now,
            subject_user=user_id,
            reason=reason,
            details={"messages": len(data)},
        )
        return {"user_id": user_id, "data": data}


# --------------------------------------------------------------------------- restrictions and suspension


@router.post("/v1/operator/restrictions", status_code=201, response_model=RestrictionOut)
def add_restriction(body: RestrictionRequest, who: CallerDep, r: RightsDep) -> dict[str, Any]:
    """Restrict a feature: a persona (for one user or all), top-ups, all service, or suspend the user."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = controls.restrict(
            session,
            kind=body.kind,
            user_id=body.user_id,
            persona_id=body.persona_id,
            reason=body.reason,
            by=actor(who),
            at=now,
            until=body.until,
            incident_id=body.incident_id,
            severity=body.severity,
        )
        action = AuditAction.SUSPEND if row.kind == "suspension" else AuditAction.RESTRICT
        audit.append(
            session,
            actor=who,
            action=action,
            at=now,
            subject_user=row.user_id,
            target=row.id,
            reason=body.reason,
            details={"kind": row.kind, "persona_id": row.persona_id, "incident_id": row.incident_id},
        )
        return controls.restriction_dict(row)


@router.get("/v1/operator/restrictions", response_model=RestrictionList)
def list_restrictions(
    who: CallerDep,
    r: RightsDep,
    user_id: str | None = Query(None, min_length=1, max_length=128),
    active: bool = Query(False, description="Only those in force now."),
) -> dict[str, Any]:
    """Restrictions on record (newest first), or only those in force."""
    check(who, Permission.RISK_READ)
    with session_scope(r.sessions) as session:
        if active:
            rows = [
                x
                for x in controls.active(session, at=r.clock.now(), user_id=user_id)
                if user_id is None or x.user_id == user_id
            ]
        else:
            rows = controls.listing(session, user_id=user_id)
        return {"data": [controls.restriction_dict(x) for x in rows]}


@router.delete("/v1/operator/restrictions/{restriction_id}", response_model=RestrictionOut)
def lift_restriction(
    who: CallerDep, r: RightsDep, restriction_id: str = Path(min_length=1, max_length=64)
) -> dict[str, Any]:
    """Lift a restriction (it stays on record and on its incident's timeline)."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = controls.lift(session, restriction_id, by=actor(who), at=now)
        audit.append(
            session,
            actor=who,
            action=AuditAction.LIFT,
            at=now,
            subject_user=row.user_id,
            target=row.id,
            details={"kind": row.kind},
        )
        return controls.restriction_dict(row)


@router.post("/v1/operator/users/{user_id}/suspend", status_code=201, response_model=RestrictionOut)
def suspend(body: SuspendRequest, who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """Suspend a user: every turn is answered with a clear message until it is lifted."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = controls.restrict(
            session,
            kind="suspension",
            user_id=user_id,
            persona_id=None,
            reason=body.reason,
            by=actor(who),
            at=now,
            until=body.until,
            incident_id=body.incident_id,
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.SUSPEND,
            at=now,
            subject_user=user_id,
            target=row.id,
            reason=body.reason,
            details={"incident_id": row.incident_id},
        )
        return controls.restriction_dict(row)


@router.post("/v1/operator/users/{user_id}/unsuspend", response_model=Unsuspended)
def unsuspend(body: ReasonRequest, who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """Lift every suspension of a user."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        lifted = [
            controls.lift(session, x.id, by=actor(who), at=now, note=body.reason)
            for x in controls.active(session, at=now, user_id=user_id, kinds=("suspension",))
            if x.user_id == user_id
        ]
        audit.append(
            session,
            actor=who,
            action=AuditAction.LIFT,
            at=now,
            subject_user=user_id,
            reason=body.reason,
            details={"lifted": [x.id for x in lifted]},
        )
        return {"user_id": user_id, "lifted": [controls.restriction_dict(x) for x in lifted]}


# --------------------------------------------------------------------------- kill switch


@router.get("/v1/operator/kill-switch", response_model=KillSwitchOut)
def get_kill_switch(who: CallerDep, r: RightsDep) -> dict[str, Any]:
    """Whether the global kill switch is engaged."""
    check(who, Permission.RISK_READ)
    with session_scope(r.sessions) as session:
        return controls.kill_switch(session).to_dict()


@router.put("/v1/operator/kill-switch", response_model=KillSwitchOut)
def put_kill_switch(body: KillSwitchRequest, who: CallerDep, r: RightsDep) -> dict[str, Any]:
    """Pull (or release) the global kill switch: every turn gets the maintenance message."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        state = controls.set_kill_switch(
            session,
            engaged=body.engaged,
            reason=body.reason,
            by=actor(who),
            at=now,
            message_zh=body.message_zh,
            message_en=body.message_en,
            incident_id=body.incident_id,
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.KILL_SWITCH,
            at=now,
            target="global",
            reason=body.reason,
            details={"engaged": body.engaged, "incident_id": state.incident_id},
        )
        return state.to_dict()


# --------------------------------------------------------------------------- notices


@router.post("/v1/operator/notices", status_code=201, response_model=NoticeOut)
def schedule_notice(body: NoticeRequest, who: CallerDep, r: RightsDep) -> dict[str, Any]:
    """Schedule the end of a persona or of the service; users see it in every turn until then."""
    check(who, Permission.NOTICE_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = notices.schedule(
            session,
            scope=body.scope,
            persona_id=body.persona_id,
            notice_from=body.notice_from or now,
            ends_at=body.ends_at,
            by=actor(who),
            at=now,
            message_zh=body.message_zh,
            message_en=body.message_en,
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.NOTICE,
            at=now,
            target=row.id,
            details={"scope": row.scope, "persona_id": row.persona_id, "ends_at": iso(row.ends_at)},
        )
        return notices.notice_dict(row)


@router.get("/v1/operator/notices", response_model=NoticeList)
def list_notices(who: CallerDep, r: RightsDep, include_cancelled: bool = Query(False)) -> dict[str, Any]:
    """Every scheduled end, soonest first."""
    check(who, Permission.RISK_READ)
    with session_scope(r.sessions) as session:
        return {
            "data": [
                notices.notice_dict(n) for n in notices.listing(session, include_cancelled=include_cancelled)
            ]
        }


@router.delete("/v1/operator/notices/{notice_id}", response_model=NoticeOut)
def cancel_notice(
    who: CallerDep, r: RightsDep, notice_id: str = Path(min_length=1, max_length=64)
) -> dict[str, Any]:
    """Cancel a scheduled end."""
    check(who, Permission.NOTICE_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = notices.cancel(session, notice_id, at=now)
        audit.append(session, actor=who, action=AuditAction.NOTICE_CANCEL, at=now, target=row.id)
        return notices.notice_dict(row)


# --------------------------------------------------------------------------- incidents


@router.get("/v1/operator/incidents", response_model=IncidentList)
def list_incidents(
    who: CallerDep,
    r: RightsDep,
    status: str | None = Query(None, pattern="^(open|mitigated|closed)$"),
) -> dict[str, Any]:
    """Incidents, newest first."""
    check(who, Permission.RISK_READ)
    with session_scope(r.sessions) as session:
        return {
            "data": [
                incidents.incident_dict(session, i, timeline=False)
                for i in incidents.listing(session, status=status)
            ]
        }


@router.post("/v1/operator/incidents", status_code=201, response_model=IncidentOut)
def open_incident(body: IncidentRequest, who: CallerDep, r: RightsDep) -> dict[str, Any]:
    """Open an incident (emergency response record)."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = incidents.open_incident(
            session, title=body.title, severity=body.severity, by=actor(who), at=now, note=body.note
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.INCIDENT,
            at=now,
            target=row.id,
            details={"opened": True, "severity": row.severity},
        )
        return incidents.incident_dict(session, row)


@router.get("/v1/operator/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(
    who: CallerDep, r: RightsDep, incident_id: str = Path(min_length=1, max_length=64)
) -> dict[str, Any]:
    """An incident with its whole timeline."""
    check(who, Permission.RISK_READ)
    with session_scope(r.sessions) as session:
        return incidents.incident_dict(session, incidents.get(session, incident_id))


@router.post("/v1/operator/incidents/{incident_id}/events", response_model=IncidentOut)
def update_incident(
    body: IncidentUpdate, who: CallerDep, r: RightsDep, incident_id: str = Path(min_length=1, max_length=64)
) -> dict[str, Any]:
    """Add a note to an incident's timeline, optionally moving its status."""
    check(who, Permission.RISK_WRITE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        if body.status is not None:
            row = incidents.set_status(
                session, incident_id, status=body.status, note=body.note, by=actor(who), at=now
            )
        else:
            incidents.add_event(session, incident_id, kind="note", note=body.note, by=actor(who), at=now)
            row = incidents.get(session, incident_id)
        audit.append(
            session,
            actor=who,
            action=AuditAction.INCIDENT,
            at=now,
            target=incident_id,
            details={"status": row.status},
        )
        return incidents.incident_dict(session, row)


# --------------------------------------------------------------------------- complaints triage


@router.get("/v1/operator/complaints", response_model=ComplaintList)
def triage_queue(
    who: CallerDep,
    r: RightsDep,
    status: str | None = Query(None, pattern="^(open|in_progress|answered|closed)$"),
) -> dict[str, Any]:
    """Complaints, appeals and reports, oldest first; auditors see times and status, not text."""
    check(who, Permission.COMPLAINT_READ_ALL)
    with session_scope(r.sessions) as session:
        rows = complaints.listing(session, status=status)
        return {
            "data": [
                complaints.complaint_dict(session, r.data_keys, c, with_text=who.role is Role.OPERATOR)
                for c in rows
            ]
        }


@router.get("/v1/operator/complaints/stats", response_model=ComplaintStats)
def complaint_stats(
    who: CallerDep,
    r: RightsDep,
    since: datetime | None = Query(None, description="Only those filed since then."),
) -> dict[str, Any]:
    """Counts by kind and status, and first-response / resolution times (p50, p90) for reports."""
    check(who, Permission.COMPLAINT_READ_ALL)
    with session_scope(r.sessions) as session:
        return complaints.stats(session, since=since)


@router.patch("/v1/operator/complaints/{complaint_id}", response_model=ComplaintOut)
def triage(
    body: ComplaintUpdate, who: CallerDep, r: RightsDep, complaint_id: str = Path(min_length=1, max_length=64)
) -> dict[str, Any]:
    """Assign, answer, move or close a complaint (first-response and close times are stamped)."""
    check(who, Permission.COMPLAINT_TRIAGE)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = complaints.update(
            session,
            r.data_keys,
            complaint_id,
            by=actor(who),
            at=now,
            status=body.status,
            answer=body.answer,
            assignee=body.assignee,
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.COMPLAINT_UPDATE,
            at=now,
            subject_user=row.user_id,
            target=row.id,
            details={"status": row.status, "answered": body.answer is not None},
        )
        return complaints.complaint_dict(session, r.data_keys, row)


# --------------------------------------------------------------------------- flows and audit


@router.get("/v1/operator/flows", response_model=FlowRegister)
def flow_register(who: CallerDep, r: RightsDep, limit: int = Query(200, ge=1, le=1000)) -> dict[str, Any]:
    """The declared outbound flows and the latest entries of the flow log."""
    check(who, Permission.FLOW_READ)
    with session_scope(r.sessions) as session:
        return {
            "declared": [f.to_dict() for f in r.flows.all()],
            "log": flows.log_entries(session, limit=limit),
        }


@router.get("/v1/audit", response_model=AuditLog)
def audit_log(
    who: CallerDep,
    r: RightsDep,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
    subject_user: str | None = Query(None, min_length=1, max_length=128),
    action: str | None = Query(None, min_length=1, max_length=64),
) -> dict[str, Any]:
    """Audit entries in order (auditors only)."""
    check(who, Permission.AUDIT_READ)
    with session_scope(r.sessions) as session:
        rows = audit.entries(session, subject_user=subject_user, action=action, after=after, limit=limit)
        return {"data": [audit.entry_dict(e) for e in rows]}


@router.get("/v1/audit/verify", response_model=AuditVerification)
def audit_verify(who: CallerDep, r: RightsDep) -> dict[str, Any]:
    """Walk the hash chain and report any edited, removed or truncated entry."""
    check(who, Permission.AUDIT_READ)
    with session_scope(r.sessions) as session:
        return audit.verify(session).to_dict()


__all__ = ["router"]
