"""Who is on a private page: sign-in with a role key, the same verifier and role checks as the API.

The console admits ``operator`` and ``auditor`` keys, the guardian portal ``guardian``
keys. A key is checked with the gateway's :class:`ApiKeyVerifier` at sign-in and again on
every request; the rights layer's :class:`~companion_guard.rights.roles.Principal`
(with a guardian's wards) is built by the very function the API routes use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from companion_guard.exceptions import AccessDenied
from companion_guard.rights.roles import Principal as RightsPrincipal
from companion_guard.service.auth import Principal
from companion_guard.service.deps import services
from companion_guard.service.routes.rights import _principal as rights_principal
from companion_guard.service.web.session import WebSession, client_id, csrf_ok
from companion_guard.service.web.state import form_fields, redirect, render, translator, web_state

#: Surface → roles whose keys may sign in there.
SURFACE_ROLES: dict[str, tuple[str, ...]] = {"console": ("operator", "auditor"), "guardian": ("guardian",)}


@dataclass(frozen=True, slots=True)
class Caller:
    """A signed-in person on a private page."""

    session: WebSession
    principal: Principal
    key: str

    @property
    def role(self) -> str:
        """``operator``, ``auditor`` or ``guardian``."""
        return self.principal.role

    def rights(self, request: Request) -> RightsPrincipal:
        """The rights layer's principal, as the API builds it (a guardian's wards included)."""
        return rights_principal(request, self.key)


def current(request: Request, surface: str) -> tuple[WebSession, Caller | None]:
    """The surface's session and, when signed in with a key that is still valid for it, the caller."""
    session = web_state(request).sessions.load(request, surface)
    key = session.get("key")
    if not key:
        return session, None
    try:
        principal = services(request).verifier.verify(str(key))
    except AccessDenied:
        session.data.pop("key", None)
        return session, None
    if principal.role not in SURFACE_ROLES[surface]:
        session.data.pop("key", None)
        return session, None
    return session, Caller(session, principal, str(key))


def signin_page(
    request: Request, surface: str, session: WebSession, *, error: str | None = None, status: int = 200
) -> Response:
    """The sign-in form of a surface."""
    response = render(request, f"{surface}/signin.html", session, status=status, error=error)
    return response


async def sign_in(request: Request, surface: str) -> Response:
    """Handle a sign-in form: CSRF, the rate limit, the key and its role."""
    session = web_state(request).sessions.load(request, surface)
    form = await form_fields(request)
    t = translator(request)
    limiter = web_state(request).limiter
    who = f"{surface}:{client_id(request)}"
    if not csrf_ok(session, str(form.get("csrf", ""))):
        return signin_page(request, surface, session, error=t("common.csrf_failed"), status=400)
    wait = limiter.retry_after(who)
    if wait:
        response = signin_page(
            request,
            surface,
            session,
            error=t("signin.too_many", minutes=max(1, (wait + 59) // 60)),
            status=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    key = str(form.get("key", "")).strip()
    try:
        principal = services(request).verifier.verify(key or None)
    except AccessDenied:
        limiter.failed(who)
        return signin_page(request, surface, session, error=t("signin.bad_key"), status=401)
    if principal.role not in SURFACE_ROLES[surface]:
        limiter.failed(who)
        return signin_page(
            request,
            surface,
            session,
            error=t(f"signin.wrong_role_{surface}", role=principal.role),
            status=403,
        )
    limiter.succeeded(who)
    # A new session on sign-in: a fresh CSRF token, so nothing from before carries over.
    fresh = WebSession(surface, secrets.token_urlsafe(24), {"key": key})
    return redirect(request, f"/{surface}", fresh)


async def sign_out(request: Request, surface: str) -> Response:
    """End the session (POST with the CSRF token)."""
    session = web_state(request).sessions.load(request, surface)
    form = await form_fields(request)
    response = redirect(request, f"/{surface}")
    if csrf_ok(session, str(form.get("csrf", ""))):
        web_state(request).sessions.clear(response, request, surface)
    return response


def forbidden(request: Request, session: WebSession, message: str) -> Response:
    """The page a signed-in person sees when their role may not do something."""
    return render(request, "error.html", session, status=403, message=message)
