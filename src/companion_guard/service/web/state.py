"""What every web surface shares: templates, sessions, the sign-in limiter, and page helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from companion_guard.exceptions import CompanionGuardError
from companion_guard.service.deps import Services, services
from companion_guard.service.errors import error_status
from companion_guard.service.web.i18n import LANG_COOKIE, Translator, pick_lang
from companion_guard.service.web.session import RateLimiter, Sealer, SessionStore, WebSession, load_secret

#: Headers on every page: no framing, no third-party anything, no referrer (portal links carry a token).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(slots=True)
class WebState:
    """Built once per app, on the first web request (the services exist by then)."""

    env: Environment
    sealer: Sealer
    sessions: SessionStore
    limiter: RateLimiter


def web_state(request: Request) -> WebState:
    """The app's web state (made on first use)."""
    svc = services(request)
    state = svc.web
    if state is None:
        env = Environment(
            loader=PackageLoader("companion_guard.service.web", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        sealer = Sealer(load_secret(svc.settings))
        state = svc.web = WebState(env, sealer, SessionStore(sealer), RateLimiter())
    return state


def translator(request: Request) -> Translator:
    """The translator for this request's language."""
    return Translator(pick_lang(request))


def render(
    request: Request, template: str, session: WebSession | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the shared globals (``t``, ``lang``, ``csrf``) and security headers."""
    state = web_state(request)
    t = translator(request)
    svc: Services = services(request)
    html = state.env.get_template(template).render(
        t=t,
        lang=t.lang,
        csrf=session.csrf if session else "",
        path=request.url.path,
        sandbox=svc.settings.sandbox,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    finish(request, response, session)
    return response


def finish(request: Request, response: Response, session: WebSession | None) -> Response:
    """Write the session cookie and remember an explicit ``?lang=`` choice."""
    if session is not None:
        web_state(request).sessions.save(response, request, session)
    lang = request.query_params.get("lang")
    if lang is not None and lang in ("zh-CN", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax", httponly=True)
    return response


def redirect(
    request: Request, url: str, session: WebSession | None = None, *, flash: str | None = None
) -> Response:
    """A 303 to ``url`` (a local path), carrying a short message key to show there."""
    if not url.startswith("/") or url.startswith("//"):
        url = "/"
    if flash:
        url += ("&" if "?" in url else "?") + f"flash={flash}"
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    return finish(request, response, session)


def error_text(exc: CompanionGuardError) -> str:
    """What to show a person when an API function refused (its message is already plain)."""
    return str(exc)


def error_code(exc: CompanionGuardError) -> int:
    """The HTTP status the API would have answered."""
    return error_status(exc)[0]


#: Largest form body the pages accept (the app's body limit applies too).
MAX_FORM_BYTES = 64 * 1024


async def form_data(request: Request) -> dict[str, list[str]]:
    """The URL-encoded form of a POST (the pages send no files, so no multipart parser is needed)."""
    from urllib.parse import parse_qs

    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200)


async def form_fields(request: Request) -> dict[str, str]:
    """The form's fields, the first value of each."""
    return {k: v[0] for k, v in (await form_data(request)).items()}
