"""``/guardian``: the guardian portal (M4, M3, M2) — wards, alerts, usage, limits, consent.

Sign in with the guardian's own key (the answer of ``POST /v1/guardian/consent``).
Each page calls the guardian route's own function with the guardian as the caller,
so "only your own wards" is checked exactly where the API checks it. Usage shows
minutes, personas and reminders — never message content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.requests import Request as StarletteRequest

from companion_guard.exceptions import CompanionGuardError, InputError
from companion_guard.service.deps import services
from companion_guard.service.routes import guardians as g
from companion_guard.service.web.access import Caller, current, sign_in, sign_out, signin_page
from companion_guard.service.web.charts import bar_chart
from companion_guard.service.web.session import csrf_ok
from companion_guard.service.web.state import (
    error_code,
    error_text,
    form_data,
    form_fields,
    redirect,
    render,
    translator,
)
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(prefix="/guardian", include_in_schema=False)


def _signed_in(request: Request) -> Caller | Response:
    """The signed-in caller, or the sign-in page to answer with."""
    session, caller = current(request, "guardian")
    if caller is None:
        return signin_page(request, "guardian", session, status=401)
    return caller


def _error(request: Request, caller: Caller, exc: CompanionGuardError) -> Response:
    return render(request, "error.html", caller.session, status=error_code(exc), message=error_text(exc))


@router.post("/signin")
async def guardian_signin(request: Request) -> Response:
    """Sign in with a guardian key."""
    return await sign_in(request, "guardian")


@router.post("/signout")
async def guardian_signout(request: Request) -> Response:
    """Sign out."""
    return await sign_out(request, "guardian")


@router.get("")
def wards(request: Request) -> Response:
    """The guardian's wards."""
    caller = _signed_in(request)
    if isinstance(caller, Response):
        return caller
    listing = g.list_wards(services(request), caller.principal)
    return render(
        request,
        "guardian/wards.html",
        caller.session,
        wards=listing["wards"],
        flash=request.query_params.get("flash"),
    )


@router.get("/wards/{user_id}")
def ward(request: Request, user_id: str) -> Response:
    """One ward: alerts, a usage chart, the block-list, the spending cap, minor mode, consent."""
    caller = _signed_in(request)
    if isinstance(caller, Response):
        return caller
    svc = services(request)
    t = translator(request)
    try:
        summary = g.get_ward(svc, caller.principal, user_id=user_id)
        alerts = g.get_alerts(svc, caller.principal, user_id=user_id, limit=50)["alerts"]
        usage = g.get_usage(svc, caller.principal, user_id=user_id, days=7)
    except CompanionGuardError as exc:
        return _error(request, caller, exc)
    with session_scope(svc.sessions) as session:
        personas = [
            {"id": p.id, "name": p.display_name, "relationship": p.relationship}
            for p in repo.list_personas(session)
        ]
    persona_use: Counter[str] = Counter()
    reminders: Counter[str] = Counter()
    for day in usage["days"]:
        persona_use.update(day.get("personas") or {})
        reminders.update(day.get("reminders") or {})
    chart = bar_chart(
        usage["days"], label=t("guardian.usage.chart_label"), unit=t("guardian.usage.minutes_unit")
    )
    return render(
        request,
        "guardian/ward.html",
        caller.session,
        ward=summary,
        alerts=alerts,
        usage=usage,
        chart=chart,
        personas=personas,
        persona_use=persona_use.most_common(),
        reminders=reminders.most_common(),
        flash=request.query_params.get("flash"),
    )


async def _act(
    request: Request, user_id: str, act: Callable[[Caller, dict[str, str]], Any], back: str | None = None
) -> Response:
    caller = _signed_in(request)
    if isinstance(caller, Response):
        return caller
    form = await form_fields(request)
    form["_multi_personas"] = ",".join((await form_data(request)).get("personas", []))
    if not csrf_ok(caller.session, form.get("csrf")):
        return render(
            request,
            "error.html",
            caller.session,
            status=400,
            message=translator(request)("common.csrf_failed"),
        )
    try:
        act(caller, form)
    except CompanionGuardError as exc:
        return _error(request, caller, exc)
    return redirect(request, back or f"/guardian/wards/{user_id}", caller.session, flash="done")


def _number(value: str | None) -> str | None:
    return value.strip() or None if value else None


@router.post("/wards/{user_id}/blocked")
async def blocked(request: Request, user_id: str) -> Response:
    """Replace the ward's persona block-list."""

    def act(caller: Caller, form: dict[str, str]) -> None:
        chosen = [p for p in form["_multi_personas"].split(",") if p]
        g.put_blocked(g.BlockList(personas=chosen), services(request), caller.principal, user_id=user_id)

    return await _act(request, user_id, act)


@router.post("/wards/{user_id}/cap")
async def cap(request: Request, user_id: str) -> Response:
    """Set (or clear) the ward's spending cap."""

    def act(caller: Caller, form: dict[str, str]) -> None:
        body = (
            None
            if form.get("clear") == "1"
            else {
                "per_payment": _number(form.get("per_payment")),
                "per_month": _number(form.get("per_month")),
                "currency": (form.get("currency") or "CNY").strip(),
            }
        )
        g.put_cap(services(request), caller.principal, user_id=user_id, body=body)

    return await _act(request, user_id, act)


@router.post("/wards/{user_id}/minor-mode")
async def minor_mode(request: Request, user_id: str) -> Response:
    """Personalise minor mode: reminder interval, daily limit, quiet hours."""

    def act(caller: Caller, form: dict[str, str]) -> None:
        body: dict[str, Any] = {}
        for name in ("reality_reminder_minutes", "daily_limit_minutes"):
            value = _number(form.get(name))
            if value is not None:
                try:
                    body[name] = int(value)
                except ValueError as exc:
                    raise InputError(f"{name} must be a whole number of minutes") from exc
        start, end = _number(form.get("quiet_start")), _number(form.get("quiet_end"))
        if start and end:
            body["quiet_hours"] = {"start": start, "end": end}
        g.put_minor_mode(services(request), caller.principal, user_id=user_id, body=body or None)

    return await _act(request, user_id, act)


@router.post("/wards/{user_id}/withdraw")
async def withdraw(request: Request, user_id: str) -> Response:
    """Withdraw consent for a ward: service stops at once (the guardian's key ends with their last ward)."""

    def act(caller: Caller, form: dict[str, str]) -> None:
        if form.get("confirm") != "1":
            raise InputError(translator(request)("guardian.consent.confirm_missing"))
        # The API's function reads the caller from the Authorization header: hand it the session's key.
        scope = dict(request.scope)
        scope["headers"] = [h for h in request.scope["headers"] if h[0] != b"authorization"] + [
            (b"authorization", f"Bearer {caller.key}".encode())
        ]
        g.revoke_consent(
            StarletteRequest(scope), services(request), body=g.RevokeRequest(user=user_id), user=user_id
        )

    return await _act(request, user_id, act, back="/guardian")
