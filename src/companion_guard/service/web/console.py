"""``/console``: operators and auditors (D1, D5, D4, I2, E1).

Sign in with an operator or auditor key (``companion-guard keys create --role operator``).
Each page calls the API route's own function, so the permission table
(:mod:`companion_guard.rights.roles`), the validation and the audit entries are the API's;
auditors see every page read-only (the forms are not shown, and the functions refuse them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from companion_guard.exceptions import CompanionGuardError, InputError
from companion_guard.rights.layer import Rights
from companion_guard.rights.roles import Permission, may
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
from companion_guard.rights.setup import rights_of
from companion_guard.service.deps import services
from companion_guard.service.routes import help_cases as hc
from companion_guard.service.routes import operators as ops
from companion_guard.service.web.access import Caller, current, sign_in, sign_out, signin_page
from companion_guard.service.web.figures import delivery, live_figures, scorecards
from companion_guard.service.web.session import csrf_ok
from companion_guard.service.web.state import (
    error_code,
    error_text,
    form_fields,
    redirect,
    render,
    translator,
)
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(prefix="/console", include_in_schema=False)

QUEUES: tuple[hc.Queue, ...] = ("crisis", "elderly_help")
#: Case level → incident severity, for "escalate".
SEVERITY = {"critical": "critical", "high": "high", "medium": "medium"}


def _page(request: Request, caller: Caller, template: str, **context: Any) -> Response:
    rp = caller.rights(request)
    return render(
        request,
        template,
        caller.session,
        role=caller.role,
        can_write=may(rp, Permission.RISK_WRITE),
        flash=request.query_params.get("flash"),
        **context,
    )


def _signed_in(request: Request) -> Caller | Response:
    """The signed-in caller, or the sign-in page to answer with."""
    session, caller = current(request, "console")
    if caller is None:
        return signin_page(request, "console", session, status=401)
    return caller


def _view(request: Request, build: Callable[[Caller, Rights], Response]) -> Response:
    caller = _signed_in(request)
    if isinstance(caller, Response):
        return caller
    try:
        return build(caller, rights_of(services(request)))
    except CompanionGuardError as exc:
        return render(request, "error.html", caller.session, status=error_code(exc), message=error_text(exc))


async def _act(
    request: Request, act: Callable[[Caller, Rights, dict[str, str]], str | Response], back: str
) -> Response:
    """A form post: signed in, CSRF, then the API function; errors come back as a page."""
    caller = _signed_in(request)
    if isinstance(caller, Response):
        return caller
    form = await form_fields(request)
    if not csrf_ok(caller.session, form.get("csrf")):
        return render(
            request,
            "error.html",
            caller.session,
            status=400,
            message=translator(request)("common.csrf_failed"),
        )
    try:
        out = act(caller, rights_of(services(request)), form)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return render(
            request, "error.html", caller.session, status=400, message=f"{where}: {first.get('msg')}"
        )
    except CompanionGuardError as exc:
        return render(request, "error.html", caller.session, status=error_code(exc), message=error_text(exc))
    except ValueError as exc:  # a date or number the form could not be read as
        return render(request, "error.html", caller.session, status=400, message=str(exc)[:300])
    if isinstance(out, Response):
        return out
    return redirect(request, out or back, caller.session, flash="done")


def _opt(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value and value.strip() else None


# --------------------------------------------------------------------------- sign-in


@router.post("/signin")
async def console_signin(request: Request) -> Response:
    """Sign in with an operator or auditor key."""
    return await sign_in(request, "console")


@router.post("/signout")
async def console_signout(request: Request) -> Response:
    """Sign out."""
    return await sign_out(request, "console")


# --------------------------------------------------------------------------- queues (I2, E1)


@router.get("")
def queue(request: Request, queue: str = "crisis", status: str = "open") -> Response:
    """The crisis or elderly-help queue: time since detection against the target, who was told."""
    picked: hc.Queue = next((q for q in QUEUES if q == queue), "crisis")
    status_filter = status if status in ("open", "closed") else None

    def build(caller: Caller, r: Rights) -> Response:
        svc = services(request)
        listing = hc.list_help_cases(svc, caller.principal, queue=picked, status=status_filter)
        stats = hc.help_case_stats(svc, caller.principal, queue=picked)
        with session_scope(svc.sessions) as session:
            sent = delivery(session, [c["id"] for c in listing["cases"]])
        return _page(
            request,
            caller,
            "console/queue.html",
            queue=picked,
            cases=listing["cases"],
            filter_status=status,
            stats=stats,
            delivery=sent,
        )

    return _view(request, build)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int) -> Response:
    """One case with its log and the actions."""

    def build(caller: Caller, r: Rights) -> Response:
        case = hc.get_help_case(services(request), caller.principal, case_id)
        with session_scope(r.sessions) as session:
            sent = delivery(session, [case_id])
        return _page(request, caller, "console/case.html", case=case, delivery=sent)

    return _view(request, build)


@router.post("/cases/{case_id}")
async def case_action(request: Request, case_id: int) -> Response:
    """Acknowledge, note, resolve or escalate a case (operators)."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        if caller.role != "operator":
            raise _forbid(caller)
        svc = services(request)
        action, note = form.get("action", ""), form.get("note", "").strip()
        if action == "escalate":
            case = hc.get_help_case(svc, caller.principal, case_id)
            incident = ops.open_incident(
                IncidentRequest.model_validate(
                    {
                        "title": f"{case['queue']} case #{case_id} ({case['level']})",
                        "severity": SEVERITY.get(case["level"], "low"),
                        "note": note[:2000],
                    }
                ),
                caller.rights(request),
                r,
            )
            note = f"escalated to incident {incident['id']}" + (f": {note}" if note else "")
            action = "note"
        if action not in ("acknowledge", "note", "resolve"):
            raise InputError("choose acknowledge, note, resolve or escalate")
        hc.respond_help_case(
            hc.CaseAnswer.model_validate({"action": action, "note": note[:2000]}),
            svc,
            caller.principal,
            case_id,
        )
        return f"/console/cases/{case_id}"

    return await _act(request, act, f"/console/cases/{case_id}")


def _forbid(caller: Caller) -> CompanionGuardError:
    from companion_guard.service.errors import Forbidden

    return Forbidden(f"role {caller.role!r} may not act on cases")


# --------------------------------------------------------------------------- complaints (D4)


@router.get("/complaints")
def complaints_page(request: Request, status: str = "") -> Response:
    """Complaints, appeals and reports with their status; operators answer them."""
    wanted = status if status in ("open", "in_progress", "answered", "closed") else None

    def build(caller: Caller, r: Rights) -> Response:
        who = caller.rights(request)
        rows = ops.triage_queue(who, r, status=wanted)["data"]
        stats = ops.complaint_stats(who, r, since=None)
        return _page(
            request, caller, "console/complaints.html", complaints=rows, stats=stats, filter_status=status
        )

    return _view(request, build)


@router.post("/complaints/{complaint_id}")
async def complaint_update(request: Request, complaint_id: str) -> Response:
    """Answer or move a complaint."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        body = ComplaintUpdate.model_validate(
            {"status": _opt(form.get("status")), "answer": _opt(form.get("answer"))}
        )
        ops.triage(body, caller.rights(request), r, complaint_id=complaint_id[:64])
        return "/console/complaints"

    return await _act(request, act, "/console/complaints")


# --------------------------------------------------------------------------- users (D1, D5)


@router.get("/users")
def users_page(request: Request, user: str = "") -> Response:
    """Look a user up: restrictions on record; suspend, restrict, read messages with a reason."""
    user = user.strip()[:128]

    def build(caller: Caller, r: Rights) -> Response:
        rows = ops.list_restrictions(caller.rights(request), r, user_id=user or None, active=False)["data"]
        with session_scope(r.sessions) as session:
            known = bool(user) and repo.get_user(session, user) is not None
            personas = [p.id for p in repo.list_personas(session)]
        return _page(
            request,
            caller,
            "console/users.html",
            user=user,
            known=known,
            restrictions=rows,
            personas=personas,
            messages=None,
            reason="",
        )

    return _view(request, build)


@router.post("/users/messages")
async def user_messages(request: Request) -> Response:
    """Read a user's recent messages: a reason is required and the read is audited (the API's function)."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> Response:
        user, reason = form.get("user", "").strip()[:128], form.get("reason", "")
        data = ops.read_messages(caller.rights(request), r, user_id=user, reason=reason, limit=50)["data"]
        rows = ops.list_restrictions(caller.rights(request), r, user_id=user, active=False)["data"]
        with session_scope(r.sessions) as session:
            personas = [p.id for p in repo.list_personas(session)]
        return _page(
            request,
            caller,
            "console/users.html",
            user=user,
            known=True,
            restrictions=rows,
            personas=personas,
            messages=data,
            reason=reason,
        )

    return await _act(request, act, "/console/users")


@router.post("/users/suspend")
async def user_suspend(request: Request) -> Response:
    """Suspend a user, or lift every suspension."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        user = form.get("user", "").strip()[:128]
        if form.get("lift") == "1":
            ops.unsuspend(
                ReasonRequest(reason=form.get("reason", "")), caller.rights(request), r, user_id=user
            )
        else:
            ops.suspend(
                SuspendRequest(reason=form.get("reason", "")), caller.rights(request), r, user_id=user
            )
        return f"/console/users?user={user}"

    return await _act(request, act, "/console/users")


@router.post("/users/restrict")
async def user_restrict(request: Request) -> Response:
    """Restrict one feature for a user (a persona, top-ups, all service)."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        user = form.get("user", "").strip()[:128]
        body = RestrictionRequest.model_validate(
            {
                "kind": form.get("kind", ""),
                "user_id": user or None,
                "persona_id": _opt(form.get("persona_id")),
                "reason": form.get("reason", ""),
            }
        )
        ops.add_restriction(body, caller.rights(request), r)
        return f"/console/users?user={user}"

    return await _act(request, act, "/console/users")


@router.post("/restrictions/{restriction_id}/lift")
async def restriction_lift(request: Request, restriction_id: str) -> Response:
    """Lift a restriction (it stays on record)."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        ops.lift_restriction(caller.rights(request), r, restriction_id=restriction_id[:64])
        back = form.get("back", "")
        return back if back.startswith("/console") else "/console/users"

    return await _act(request, act, "/console/users")


# --------------------------------------------------------------------------- personas, kill switch, notices (D5, D4)


@router.get("/personas")
def personas_page(request: Request) -> Response:
    """Personas, and which are disabled for everyone."""

    def build(caller: Caller, r: Rights) -> Response:
        active = ops.list_restrictions(caller.rights(request), r, user_id=None, active=True)["data"]
        disabled = {x["persona_id"]: x for x in active if x["kind"] == "persona" and not x.get("user_id")}
        with session_scope(r.sessions) as session:
            personas = [
                {"id": p.id, "name": p.display_name, "relationship": p.relationship}
                for p in repo.list_personas(session)
            ]
        return _page(request, caller, "console/personas.html", personas=personas, disabled=disabled)

    return _view(request, build)


@router.post("/personas/{persona_id}/disable")
async def persona_disable(request: Request, persona_id: str) -> Response:
    """Disable a persona for every user."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        ops.add_restriction(
            RestrictionRequest(kind="persona", persona_id=persona_id[:128], reason=form.get("reason", "")),
            caller.rights(request),
            r,
        )
        return "/console/personas"

    return await _act(request, act, "/console/personas")


@router.get("/controls")
def controls_page(request: Request) -> Response:
    """The kill switch and the service-end notices."""

    def build(caller: Caller, r: Rights) -> Response:
        who = caller.rights(request)
        with session_scope(r.sessions) as session:
            personas = [p.id for p in repo.list_personas(session)]
        return _page(
            request,
            caller,
            "console/controls.html",
            kill=ops.get_kill_switch(who, r),
            notices=ops.list_notices(who, r, include_cancelled=False)["data"],
            personas=personas,
        )

    return _view(request, build)


@router.post("/kill-switch")
async def kill_switch(request: Request) -> Response:
    """Pull or release the kill switch."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        body = KillSwitchRequest(
            engaged=form.get("engaged") == "1",
            reason=form.get("reason", ""),
            message_zh=form.get("message_zh", ""),
            message_en=form.get("message_en", ""),
        )
        ops.put_kill_switch(body, caller.rights(request), r)
        return "/console/controls"

    return await _act(request, act, "/console/controls")


@router.post("/notices")
async def notice_new(request: Request) -> Response:
    """Schedule the end of the service or of a persona."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        body = NoticeRequest.model_validate(
            {
                "scope": form.get("scope", "service"),
                "persona_id": _opt(form.get("persona_id")),
                "ends_at": _when(form.get("ends_at")),
                "message_zh": form.get("message_zh", ""),
                "message_en": form.get("message_en", ""),
            }
        )
        ops.schedule_notice(body, caller.rights(request), r)
        return "/console/controls"

    return await _act(request, act, "/console/controls")


@router.post("/notices/{notice_id}/cancel")
async def notice_cancel(request: Request, notice_id: str) -> Response:
    """Cancel a scheduled end."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        ops.cancel_notice(caller.rights(request), r, notice_id=notice_id[:64])
        return "/console/controls"

    return await _act(request, act, "/console/controls")


# --------------------------------------------------------------------------- incidents (D1)


@router.get("/incidents")
def incidents_page(request: Request) -> Response:
    """Incidents, newest first."""
    return _view(
        request,
        lambda caller, r: _page(
            request,
            caller,
            "console/incidents.html",
            incidents=ops.list_incidents(caller.rights(request), r, status=None)["data"],
        ),
    )


@router.post("/incidents")
async def incident_new(request: Request) -> Response:
    """Open an incident."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        row = ops.open_incident(
            IncidentRequest.model_validate(
                {
                    "title": form.get("title", ""),
                    "severity": form.get("severity", "high"),
                    "note": form.get("note", ""),
                }
            ),
            caller.rights(request),
            r,
        )
        return f"/console/incidents/{row['id']}"

    return await _act(request, act, "/console/incidents")


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: str) -> Response:
    """An incident with its timeline."""
    return _view(
        request,
        lambda caller, r: _page(
            request,
            caller,
            "console/incident.html",
            incident=ops.get_incident(caller.rights(request), r, incident_id=incident_id[:64]),
        ),
    )


@router.post("/incidents/{incident_id}")
async def incident_update(request: Request, incident_id: str) -> Response:
    """Add to an incident's timeline, optionally moving its status."""

    def act(caller: Caller, r: Rights, form: dict[str, str]) -> str:
        ops.update_incident(
            IncidentUpdate.model_validate({"note": form.get("note", ""), "status": _opt(form.get("status"))}),
            caller.rights(request),
            r,
            incident_id=incident_id[:64],
        )
        return f"/console/incidents/{incident_id[:64]}"

    return await _act(request, act, "/console/incidents")


# --------------------------------------------------------------------------- figures, red team, audit


@router.get("/figures")
def figures_page(request: Request) -> Response:
    """Live figures: turns, signals by level, notifications, queue response times, complaints."""

    def build(caller: Caller, r: Rights) -> Response:
        svc = services(request)
        with session_scope(r.sessions) as session:
            figures = live_figures(session, svc.clock.now())
        stats = {q: hc.help_case_stats(svc, caller.principal, queue=q) for q in QUEUES}
        return _page(
            request,
            caller,
            "console/figures.html",
            figures=figures,
            stats=stats,
            complaints=ops.complaint_stats(caller.rights(request), r, since=None),
        )

    return _view(request, build)


@router.get("/redteam")
def redteam_page(request: Request) -> Response:
    """Red-team scorecards on disk and their release gate."""
    return _view(
        request,
        lambda caller, r: _page(
            request, caller, "console/redteam.html", cards=scorecards(services(request).settings.home)
        ),
    )


@router.get("/reports")
def reports_page(request: Request) -> Response:
    """Assessment triggers (A1): users and MAU against the thresholds, what is due, operators' notices."""
    from companion_guard.service.routes import compliance

    return _view(
        request,
        lambda caller, r: _page(
            request,
            caller,
            "console/reports.html",
            assessment=compliance.assessment_status(services(request), caller.principal),
        ),
    )


@router.get("/audit")
def audit_page(request: Request) -> Response:
    """The audit log and its hash-chain check (auditors)."""

    def build(caller: Caller, r: Rights) -> Response:
        who = caller.rights(request)
        if not may(who, Permission.AUDIT_READ):
            return _page(request, caller, "console/audit.html", entries=None, verify=None)
        entries = ops.audit_log(who, r, after=0, limit=200, subject_user=None, action=None)["data"]
        return _page(
            request,
            caller,
            "console/audit.html",
            entries=list(reversed(entries)),
            verify=ops.audit_verify(who, r),
        )

    return _view(request, build)
