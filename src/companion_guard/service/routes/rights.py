"""Data-rights routes (D3, D4): export, delete, quit, consents, transfer, complaints, notices.

Every route names the :class:`~companion_guard.rights.roles.Permission` it needs;
end users reach only their own id, guardians only their wards'. Reads of
content and every change are written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.exceptions import AccessDenied, NotFoundError, UpstreamError
from companion_guard.rights import audit, complaints, consents, deletion, export, flows, notices
from companion_guard.rights.audit import AuditAction
from companion_guard.rights.layer import Rights
from companion_guard.rights.roles import Permission, Principal, Role, may
from companion_guard.rights.schemas import ComplaintRequest, ConsentRequest, QuitRequest, TransferRequest
from companion_guard.rights.setup import rights_of
from companion_guard.rights.timefmt import iso
from companion_guard.service.deps import bearer, services
from companion_guard.service.errors import Forbidden
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.rights import (
    AccountStatus,
    ComplaintFiled,
    ComplaintList,
    ComplaintOut,
    ConsentList,
    ConsentOut,
    Export,
    FlowLog,
    PublicNotices,
    QuitResult,
    Receipt,
    Transferred,
)
from companion_guard.store.db import session_scope

router = APIRouter(tags=["data rights"], route_class=ModelRoute)

UserId = Path(min_length=1, max_length=128, description="The provider's id for the end user.")
PersonaId = Path(min_length=1, max_length=128, description="The persona (model) id.")


# --------------------------------------------------------------------------- callers


def _wards(session: Session, guardian_id: str) -> frozenset[str]:
    from companion_guard.store.tables_guardians import GuardianConsent

    rows = session.scalars(
        select(GuardianConsent.user_id).where(
            GuardianConsent.guardian_id == guardian_id, GuardianConsent.revoked_at.is_(None)
        )
    )
    return frozenset(rows)


def _principal(request: Request, key: str | None) -> Principal:
    svc = services(request)
    p = svc.verifier.verify(key)
    try:
        role = Role(p.role)
    except ValueError as exc:
        raise Forbidden(f"unknown role {p.role!r}") from exc
    subject = p.subject or f"key:{p.key_id}"
    wards: frozenset[str] = frozenset()
    if role is Role.GUARDIAN:
        with session_scope(svc.sessions) as session:
            wards = _wards(session, subject)
    return Principal(role, subject, wards)


def caller(request: Request) -> Principal:
    """The authenticated caller (401 without or with a wrong key)."""
    return _principal(request, bearer(request))


def optional_caller(request: Request) -> Principal | None:
    """The caller when credentials are sent; ``None`` for the public. A wrong key is still 401."""
    if not request.headers.get("authorization"):
        return None
    return _principal(request, bearer(request))


CallerDep = Annotated[Principal, Depends(caller)]
PublicDep = Annotated[Principal | None, Depends(optional_caller)]


def check(principal: Principal, permission: Permission, user_id: str | None = None) -> None:
    """403 unless the caller holds ``permission`` (on ``user_id``)."""
    if not may(principal, permission, user_id):
        target = f" for user {user_id!r}" if user_id is not None else ""
        raise Forbidden(f"role {principal.role.value!r} may not {permission.value}{target}")


def actor(principal: Principal) -> str:
    """How a principal is named in records (``role:subject``)."""
    return f"{principal.role.value}:{principal.subject}"


def rights(request: Request) -> Rights:
    """The installed rights layer."""
    return rights_of(services(request))


RightsDep = Annotated[Rights, Depends(rights)]


# --------------------------------------------------------------------------- export


@router.get(
    "/v1/users/{user_id}/export",
    response_model=Export,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
def export_user(
    who: CallerDep,
    r: RightsDep,
    user_id: str = UserId,
    format: str = Query("json", pattern="^(json|zip)$", description="json, or zip (with a README)"),
) -> Response:
    """Export everything stored about a user, as JSON or as a ZIP with a README."""
    check(who, Permission.EXPORT, user_id)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        data = export.build(session, r.data_keys, user_id, at=now)
        audit.append(
            session,
            actor=who,
            action=AuditAction.EXPORT,
            at=now,
            subject_user=user_id,
            target=format,
            details={"messages": len(data["messages"]), "format": format},
        )
    if format == "zip":
        return Response(
            export.to_zip(data),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="companion-guard-export-{_safe(user_id)}.zip"'
            },
        )
    return JSONResponse(data)


def _safe(user_id: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in user_id)[:64]


# --------------------------------------------------------------------------- delete and quit


@router.delete("/v1/users/{user_id}/data", response_model=Receipt)
def delete_user_data(who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """Delete all of a user's data: rows removed, data key destroyed; a content-free receipt remains."""
    check(who, Permission.DELETE, user_id)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        receipt = deletion.delete_user(session, r.data_keys, user_id, by=actor(who), at=now)
        audit.append(
            session,
            actor=who,
            action=AuditAction.DELETE_USER,
            at=now,
            subject_user=user_id,
            target=receipt.id,
            details={"rows_deleted": receipt.rows_deleted, "key_destroyed": receipt.key_destroyed},
        )
    deletion.scrub_sqlite(r.engine)
    return receipt.to_dict()


@router.delete("/v1/users/{user_id}/conversations/{persona_id}", response_model=Receipt)
def delete_conversation(
    who: CallerDep, r: RightsDep, user_id: str = UserId, persona_id: str = PersonaId
) -> dict[str, Any]:
    """Delete one conversation (user × persona); the user's remaining data is re-keyed."""
    check(who, Permission.DELETE, user_id)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        receipt = deletion.delete_conversation(
            session, r.data_keys, user_id, persona_id, by=actor(who), at=now
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.DELETE_CONVERSATION,
            at=now,
            subject_user=user_id,
            target=persona_id,
            details={"rows_deleted": receipt.rows_deleted, "receipt": receipt.id},
        )
    deletion.scrub_sqlite(r.engine)
    return receipt.to_dict()


_QUIT_TEXT = {
    "zh": "账号已注销。{deleted}感谢您的使用，祝一切顺利。",
    "en": "Your account is closed. {deleted}Thank you, and all the best.",
}


@router.post("/v1/users/{user_id}/quit", response_model=QuitResult)
def quit_service(
    request: Request, who: CallerDep, r: RightsDep, body: QuitRequest | None = None, user_id: str = UserId
) -> dict[str, Any]:
    """Close the account in one step (deleting the data unless asked to keep it). No retention flow."""
    check(who, Permission.QUIT, user_id)
    body = body or QuitRequest()
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        account, receipt = deletion.close_account(
            session, r.data_keys, user_id, delete_data=body.delete_data, by=actor(who), at=now
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.QUIT,
            at=now,
            subject_user=user_id,
            details={"delete_data": body.delete_data, "receipt": receipt.id if receipt else None},
        )
    services(request).verifier.forget()  # the user's own keys were dropped
    if receipt is not None:
        deletion.scrub_sqlite(r.engine)
    return {
        "user_id": user_id,
        "status": account.status,
        "closed_at": iso(account.closed_at),
        "receipt": receipt.to_dict() if receipt else None,
        "message": {
            "zh": _QUIT_TEXT["zh"].format(deleted="您的数据已全部删除。" if receipt else ""),
            "en": _QUIT_TEXT["en"].format(deleted="All your data has been deleted. " if receipt else ""),
        },
    }


@router.post("/v1/users/{user_id}/reopen", response_model=AccountStatus)
def reopen(who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """Open a closed account again (the user came back of their own accord)."""
    check(who, Permission.QUIT, user_id)
    with session_scope(r.sessions) as session:
        account = deletion.reopen_account(session, user_id, at=r.clock.now())
        return {"user_id": user_id, "status": account.status}


# --------------------------------------------------------------------------- consents and flows


@router.get("/v1/users/{user_id}/consents", response_model=ConsentList)
def list_consents(who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """The user's consents to share interaction data, in force and withdrawn."""
    check(who, Permission.CONSENT_READ, user_id)
    with session_scope(r.sessions) as session:
        return {"data": [consents.consent_dict(c) for c in consents.for_user(session, user_id)]}


@router.post("/v1/users/{user_id}/consents", status_code=201, response_model=ConsentOut)
def give_consent(body: ConsentRequest, who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """Record the user's explicit consent to share interaction data with one recipient (D3)."""
    check(who, Permission.CONSENT_WRITE, user_id)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = consents.grant(
            session, user_id=user_id, purpose=body.purpose, recipient=body.recipient, by=actor(who), at=now
        )
        audit.append(
            session,
            actor=who,
            action=AuditAction.CONSENT_GRANT,
            at=now,
            subject_user=user_id,
            target=row.id,
            details={"purpose": row.purpose, "recipient": row.recipient},
        )
        return consents.consent_dict(row)


@router.delete("/v1/users/{user_id}/consents/{consent_id}", response_model=ConsentOut)
def withdraw_consent(
    who: CallerDep,
    r: RightsDep,
    user_id: str = UserId,
    consent_id: str = Path(min_length=1, max_length=64),
) -> dict[str, Any]:
    """Withdraw a consent; flows it covered are refused from now on."""
    check(who, Permission.CONSENT_WRITE, user_id)
    now = r.clock.now()
    with session_scope(r.sessions) as session:
        row = consents.withdraw(session, user_id=user_id, consent_id=consent_id, by=actor(who), at=now)
        audit.append(
            session,
            actor=who,
            action=AuditAction.CONSENT_WITHDRAW,
            at=now,
            subject_user=user_id,
            target=row.id,
            details={"purpose": row.purpose, "recipient": row.recipient},
        )
        return consents.consent_dict(row)


@router.get("/v1/users/{user_id}/flows", response_model=FlowLog)
def user_flows(who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """Where this user's data was sent, or refused, and on what basis."""
    check(who, Permission.CONSENT_READ, user_id)
    with session_scope(r.sessions) as session:
        return {"data": flows.log_entries(session, user_id=user_id)}


@router.post("/v1/users/{user_id}/transfer", response_model=Transferred)
async def transfer(
    body: TransferRequest, request: Request, who: CallerDep, r: RightsDep, user_id: str = UserId
) -> dict[str, Any]:
    """Send the user's export to another platform: only to a declared recipient, only with consent."""
    import anyio

    check(who, Permission.TRANSFER, user_id)
    url = str(body.url)
    host = flows.host_of(url)
    flow = r.flows.find(flows.TRANSFER, host)
    if flow is None:
        raise Forbidden(
            f"{host!r} is not a declared transfer recipient (COMPANION_GUARD_TRANSFER_RECIPIENTS)"
        )

    def _prepare() -> tuple[bool, dict[str, Any] | None]:
        now = r.clock.now()
        with session_scope(r.sessions) as session:
            decision = flows.check(session, flow, user_id=user_id, at=now)
            if not decision.allowed:
                return False, None
            data = export.build(session, r.data_keys, user_id, at=now)
            audit.append(
                session,
                actor=who,
                action=AuditAction.TRANSFER,
                at=now,
                subject_user=user_id,
                target=host,
                details={"basis": decision.basis, "messages": len(data["messages"])},
            )
            return True, data

    allowed, data = await anyio.to_thread.run_sync(_prepare)
    if not allowed or data is None:
        raise Forbidden(str(flows.ConsentRequired(flow)))
    http: httpx.AsyncClient = services(request).http
    try:
        resp = await http.post(url, json=data, timeout=15.0)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"transfer to {host} failed: {type(exc).__name__}") from exc
    if resp.status_code >= 400:
        raise UpstreamError(f"transfer to {host} refused with HTTP {resp.status_code}")
    return {"user_id": user_id, "recipient": host, "status": "sent", "messages": len(data["messages"])}


# --------------------------------------------------------------------------- complaints


@router.post("/v1/complaints", status_code=201, response_model=ComplaintFiled)
def file_complaint(body: ComplaintRequest, who: PublicDep, r: RightsDep) -> dict[str, Any]:
    """File a complaint, appeal or report: users for themselves, the public without an account."""
    if who is None:
        if body.user_id is not None:
            raise AccessDenied("sign in to file for a user account (the public files without user_id)")
        user_id = None
    else:
        user_id = who.subject if who.role is Role.USER else body.user_id
        if who.role is Role.USER and body.user_id not in (None, who.subject):
            raise Forbidden("a user files complaints for themselves only")
        check(who, Permission.COMPLAINT_FILE, user_id)
    with session_scope(r.sessions) as session:
        filed = complaints.file(
            session,
            r.data_keys,
            kind=body.kind,
            subject=body.subject,
            body=body.body,
            at=r.clock.now(),
            user_id=user_id,
            contact=body.contact,
            message_ref=body.message_ref,
        )
        out = complaints.complaint_dict(session, r.data_keys, filed.complaint)
    if filed.token:
        out["token"] = filed.token
    return out


@router.get("/v1/complaints/{complaint_id}", response_model=ComplaintOut)
def get_complaint(
    who: PublicDep,
    r: RightsDep,
    complaint_id: str = Path(min_length=1, max_length=64),
    x_complaint_token: str | None = Header(None, max_length=200, description="The token a public filer got."),
) -> dict[str, Any]:
    """A complaint's status, times and answer: for its filer (token or account) and operators."""
    with session_scope(r.sessions) as session:
        row = complaints.get(session, complaint_id)
        if who is None:
            if not x_complaint_token or not complaints.token_matches(row, x_complaint_token):
                raise AccessDenied("send the complaint's token (X-Complaint-Token) or credentials")
        elif who.role in (Role.OPERATOR, Role.AUDITOR):
            check(who, Permission.COMPLAINT_READ_ALL)
            return complaints.complaint_dict(session, r.data_keys, row, with_text=who.role is Role.OPERATOR)
        elif row.user_id is None or not may(who, Permission.COMPLAINT_READ_OWN, row.user_id):
            raise NotFoundError(f"no complaint {complaint_id!r}")
        return complaints.complaint_dict(session, r.data_keys, row)


@router.get("/v1/users/{user_id}/complaints", response_model=ComplaintList)
def user_complaints(who: CallerDep, r: RightsDep, user_id: str = UserId) -> dict[str, Any]:
    """The user's complaints and appeals with their status."""
    check(who, Permission.COMPLAINT_READ_OWN, user_id)
    with session_scope(r.sessions) as session:
        rows = complaints.listing(session, user_id=user_id)
        return {"data": [complaints.complaint_dict(session, r.data_keys, c) for c in rows]}


# --------------------------------------------------------------------------- notices


@router.get("/v1/notices", response_model=PublicNotices)
def public_notices(r: RightsDep) -> dict[str, Any]:
    """Announced ends of personas or of the service (public, as the Measures ask)."""
    with session_scope(r.sessions) as session:
        now = r.clock.now()
        rows = [n for n in notices.listing(session) if n.ends_at > now.replace(tzinfo=None)]
        return {
            "data": [
                {
                    **notices.notice_dict(n),
                    "text": {"zh": notices.text(n, "zh-CN"), "en": notices.text(n, "en-US")},
                }
                for n in rows
            ]
        }
