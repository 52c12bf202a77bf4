"""``/me``: the user's own data page (D3, D4), reached through a signed, expiring link.

The provider's app asks ``POST /v1/users/{id}/portal-link`` (provider role) and opens
the URL it gets. The link carries a sealed token (user id, expiry); opening it starts a
one-hour session for that user alone, and the token leaves the address bar at once.
Every action calls the data-rights route's own function with the user as the caller,
so the role checks and the audit entries are the API's.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from companion_guard.exceptions import CompanionGuardError, NotFoundError
from companion_guard.rights.roles import Principal as RightsPrincipal
from companion_guard.rights.roles import Role
from companion_guard.rights.schemas import ComplaintRequest, QuitRequest
from companion_guard.rights.setup import rights_of
from companion_guard.service.deps import ProviderDep, ServicesDep, services
from companion_guard.service.routes.rights import (
    delete_user_data,
    export_user,
    file_complaint,
    list_consents,
    quit_service,
    user_complaints,
    withdraw_consent,
)
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.rights import PortalLink
from companion_guard.service.web.session import WebSession, csrf_ok
from companion_guard.service.web.state import error_text, form_fields, redirect, render, translator, web_state
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["data rights"], route_class=ModelRoute)

#: How long a portal link opens the page (minutes), by default and at most.
LINK_MINUTES, MAX_LINK_MINUTES = 15, 24 * 60
PURPOSE = "portal-link"


def portal_link(request: Request, user_id: str, minutes: int = LINK_MINUTES) -> dict[str, Any]:
    """A signed link to ``/me`` for ``user_id``, valid for ``minutes``."""
    token = web_state(request).sealer.seal({"user": user_id}, purpose=PURPOSE, ttl=minutes * 60)
    expires = datetime.fromtimestamp(time.time() + minutes * 60, tz=UTC)
    return {
        "url": str(request.base_url).rstrip("/") + f"/me/enter?t={token}",
        "user": user_id,
        "expires_at": expires.isoformat(timespec="seconds"),
    }


@api_router.post("/v1/users/{user_id}/portal-link", response_model=PortalLink)
def make_portal_link(
    request: Request,
    svc: ServicesDep,
    _: ProviderDep,
    user_id: Annotated[str, Path(min_length=1, max_length=128, description="The end user's id.")],
    minutes: Annotated[
        int, Query(ge=1, le=MAX_LINK_MINUTES, description="How long the link works.")
    ] = LINK_MINUTES,
) -> dict[str, Any]:
    """A signed, expiring link to the user's own data page (export, delete, quit, consents, complaints)."""
    with session_scope(svc.sessions) as session:
        if repo.get_user(session, user_id) is None:
            raise NotFoundError(f"unknown user {user_id!r}")
    return portal_link(request, user_id, minutes)


def _who(session: WebSession) -> RightsPrincipal | None:
    user = session.get("user")
    return RightsPrincipal(Role.USER, str(user)) if user else None


def _page(
    request: Request,
    session: WebSession,
    who: RightsPrincipal,
    *,
    error: str | None = None,
    status: int = 200,
    done: dict[str, Any] | None = None,
) -> Response:
    r = rights_of(services(request))
    consents = list_consents(who, r, user_id=who.subject)["data"]
    complaints = user_complaints(who, r, user_id=who.subject)["data"]
    return render(
        request,
        "me/index.html",
        session,
        status=status,
        user_id=who.subject,
        consents=consents,
        complaints=complaints,
        error=error,
        done=done,
        flash=request.query_params.get("flash"),
    )


@router.get("/me/enter")
def enter(request: Request, t: str = "") -> Response:
    """Open a portal link: start the user's session and drop the token from the address."""
    state = web_state(request)
    data = state.sealer.open(t, purpose=PURPOSE)
    session = state.sessions.load(request, "me")
    if data is None:
        return render(request, "me/expired.html", session, status=401)
    fresh = WebSession("me", secrets.token_urlsafe(24), {"user": data["user"]})
    return redirect(request, "/me", fresh)


@router.get("/me")
def me(request: Request) -> Response:
    """The user's page, or how to get a link."""
    session = web_state(request).sessions.load(request, "me")
    who = _who(session)
    if who is None:
        return render(request, "me/expired.html", session, status=401)
    return _page(request, session, who)


async def _checked(request: Request) -> tuple[WebSession, RightsPrincipal, dict[str, str]] | Response:
    """The session, user and form of a signed-in post with a good CSRF token, or the page to answer with."""
    session = web_state(request).sessions.load(request, "me")
    form = await form_fields(request)
    who = _who(session)
    if who is None:
        return render(request, "me/expired.html", session, status=401)
    if not csrf_ok(session, form.get("csrf")):
        return _page(request, session, who, error=translator(request)("common.csrf_failed"), status=400)
    return session, who, form


@router.post("/me/export")
async def me_export(request: Request) -> Response:
    """Download everything stored about the user, as JSON or ZIP (audited like the API)."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    _, who, form = checked
    fmt = "zip" if form.get("format") == "zip" else "json"
    response = export_user(who, rights_of(services(request)), user_id=who.subject, format=fmt)
    if fmt == "json":
        response.headers["Content-Disposition"] = 'attachment; filename="companion-guard-export.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/me/delete")
def me_delete_confirm(request: Request) -> Response:
    """The confirmation step before deleting."""
    session = web_state(request).sessions.load(request, "me")
    who = _who(session)
    if who is None:
        return render(request, "me/expired.html", session, status=401)
    return render(request, "me/delete.html", session, user_id=who.subject, error=None)


@router.post("/me/delete")
async def me_delete(request: Request) -> Response:
    """Delete all of the user's data (crypto-shredding); a content-free receipt is shown."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    session, who, form = checked
    t = translator(request)
    if form.get("confirm", "").strip() not in (t("me.delete.word"), "DELETE", "删除"):
        return render(
            request,
            "me/delete.html",
            session,
            status=400,
            user_id=who.subject,
            error=t("me.delete.confirm_missing", word=t("me.delete.word")),
        )
    try:
        receipt = delete_user_data(who, rights_of(services(request)), user_id=who.subject)
    except CompanionGuardError as exc:
        return _page(request, session, who, error=error_text(exc), status=400)
    return _finished(request, t("me.delete.done"), receipt)


@router.post("/me/quit")
async def me_quit(request: Request) -> Response:
    """Close the account in one step (deleting the data unless the user keeps it)."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    session, who, form = checked
    try:
        out = quit_service(
            request,
            who,
            rights_of(services(request)),
            QuitRequest(delete_data=form.get("keep") != "1"),
            user_id=who.subject,
        )
    except CompanionGuardError as exc:
        return _page(request, session, who, error=error_text(exc), status=400)
    t = translator(request)
    message = out["message"]["zh" if t.lang == "zh-CN" else "en"]
    return _finished(request, message, out.get("receipt"))


def _finished(request: Request, title: str, receipt: dict[str, Any] | None) -> Response:
    """The last page of a deletion or a closed account: the session ends with it."""
    response = render(request, "me/done.html", None, title=title, receipt=receipt)
    web_state(request).sessions.clear(response, request, "me")
    return response


@router.post("/me/complaints")
async def me_complain(request: Request) -> Response:
    """File a complaint or appeal for oneself."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    session, who, form = checked
    try:
        body = ComplaintRequest.model_validate(
            {
                "kind": form.get("kind", "complaint"),
                "subject": form.get("subject", ""),
                "body": form.get("body", ""),
            }
        )
        file_complaint(body, who, rights_of(services(request)))
    except (CompanionGuardError, ValueError) as exc:
        return _page(
            request,
            session,
            who,
            error=translator(request)("me.complaints.invalid") + f" ({exc})"[:300],
            status=400,
        )
    return redirect(request, "/me", session, flash="complaint_filed")


@router.post("/me/consents/{consent_id}/withdraw")
async def me_withdraw(request: Request, consent_id: str) -> Response:
    """Withdraw one consent to share data."""
    checked = await _checked(request)
    if isinstance(checked, Response):
        return checked
    session, who, _ = checked
    try:
        withdraw_consent(who, rights_of(services(request)), user_id=who.subject, consent_id=consent_id[:64])
    except CompanionGuardError as exc:
        return _page(request, session, who, error=error_text(exc), status=400)
    return redirect(request, "/me", session, flash="consent_withdrawn")
