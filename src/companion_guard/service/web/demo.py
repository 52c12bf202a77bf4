"""``/``: the demo chat — talk to a persona through the guard, as the embedded default's front door.

Every message goes through the chat route's own function (the same pipeline as
``POST /v1/chat/completions``, streamed); the page shows each ``guard`` event the way a
client should. The profile panel sets the demo user's age, mode and contacts through
``PUT /v1/users/{id}``'s function. The demo runs only on the built-in demo companion (or
with ``--sandbox``): a gateway in front of a real LLM is not opened to anonymous visitors.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from companion_guard.exceptions import CompanionGuardError, InputError
from companion_guard.service.auth import Principal
from companion_guard.service.deps import Services, services
from companion_guard.service.routes.chat import chat_completions
from companion_guard.service.routes.guardians import ConsentRequest, give_consent, invite_guardian
from companion_guard.service.routes.health import ClockAdvance, advance_clock
from companion_guard.service.routes.users import put_user, user_view
from companion_guard.service.schemas.openai import ChatCompletionRequest, error_body
from companion_guard.service.schemas.users import UserUpdate
from companion_guard.service.web.me import portal_link
from companion_guard.service.web.session import WebSession, csrf_ok
from companion_guard.service.web.state import (
    SECURITY_HEADERS,
    error_code,
    finish,
    render,
    translator,
    web_state,
)
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(include_in_schema=False)

#: The demo acts as the provider's backend would (the chat route only needs "a provider").
DEMO_PROVIDER = Principal("provider", "web-demo", 0)


def demo_enabled(svc: Services) -> bool:
    """The demo chat is open on the built-in demo companion and in the sandbox only."""
    return svc.settings.upstream.startswith("demo") or svc.settings.sandbox


def _session(request: Request) -> WebSession:
    session = web_state(request).sessions.load(request, "demo")
    if not session.get("user"):
        session.data["user"] = "demo-" + secrets.token_hex(6)
    return session


class DemoTurn(BaseModel):
    """What the chat page sends: the persona and the conversation so far."""

    model_config = ConfigDict(extra="forbid")
    persona: str = Field(min_length=1, max_length=128)
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=60)


class DemoProfile(BaseModel):
    """The profile panel."""

    model_config = ConfigDict(extra="forbid")
    age: int | None = Field(None, ge=0, le=130)
    mode: str | None = Field(None, pattern="^(standard|elderly)$")
    name: str | None = Field(None, max_length=100)
    contact_name: str | None = Field(None, max_length=100)
    contact_webhook: str | None = Field(None, max_length=500)
    contact_email: str | None = Field(None, max_length=200)


def _json_error(exc: CompanionGuardError) -> JSONResponse:
    return JSONResponse(
        error_body(str(exc), type_="invalid_request_error"),
        status_code=error_code(exc),
        headers=SECURITY_HEADERS,
    )


def _refuse(request: Request) -> tuple[WebSession, JSONResponse | None]:
    session = _session(request)
    if not demo_enabled(services(request)):
        return session, JSONResponse(error_body("the demo chat is off", type_="invalid_request_error"), 404)
    if not csrf_ok(session, request.headers.get("x-csrf-token")):
        return session, JSONResponse(
            error_body(translator(request)("common.csrf_failed"), type_="invalid_request_error"), 403
        )
    return session, None


#: A new demo user is an adult, so a newcomer sees the plain path first (the panel sets a minor or an elder).
DEMO_AGE = 30


def _ensure_user(request: Request, svc: Services, user_id: str) -> None:
    """Register the demo user (an adult) in the page's language, or follow a language switch."""
    profile = _profile(svc, user_id)
    locale = translator(request).locale
    if profile is None:
        put_user(
            UserUpdate.model_validate({"locale": locale, "age": DEMO_AGE}),
            svc,
            DEMO_PROVIDER,
            user_id=user_id,
        )
    elif profile.get("locale") != locale:
        put_user(UserUpdate.model_validate({"locale": locale}), svc, DEMO_PROVIDER, user_id=user_id)


def _profile(svc: Services, user_id: str) -> dict[str, Any] | None:
    with session_scope(svc.sessions) as session:
        user = repo.get_user(session, user_id)
        return None if user is None or not user.registered else user_view(session, user, svc.clock.now())


@router.get("/")
def home(request: Request) -> Response:
    """The demo chat (or, before a real LLM, a page that points to the other surfaces)."""
    svc = services(request)
    session = _session(request)
    if not demo_enabled(svc):
        return render(request, "landing.html", session)
    with session_scope(svc.sessions) as db:
        personas = [
            {"id": p.id, "name": p.display_name, "relationship": p.relationship}
            for p in repo.list_personas(db)
        ]
    return render(
        request,
        "demo.html",
        session,
        personas=personas,
        user_id=session.get("user"),
        profile=_profile(svc, str(session.get("user"))),
        clock=svc.clock.now().isoformat(timespec="minutes"),
        default_age=DEMO_AGE,
    )


@router.post("/demo/chat")
async def demo_chat(request: Request) -> Response:
    """One turn through the guard, streamed as server-sent events (the chat route's own stream)."""
    session, refused = _refuse(request)
    if refused is not None:
        return refused
    try:
        turn = DemoTurn.model_validate(await request.json())
        body = ChatCompletionRequest.model_validate(
            {"model": turn.persona, "user": session.get("user"), "messages": turn.messages, "stream": True}
        )
        svc = services(request)
        _ensure_user(request, svc, str(session.get("user")))
        response: Response = await chat_completions(body, svc, DEMO_PROVIDER)
    except ValidationError as exc:
        return _json_error(InputError(exc.errors()[0].get("msg", "invalid request")))
    except ValueError:
        return _json_error(InputError("request body is not valid JSON"))
    except CompanionGuardError as exc:
        return _json_error(exc)
    response.headers.update({k: v for k, v in SECURITY_HEADERS.items() if k != "Content-Security-Policy"})
    return finish(request, response, session)


@router.post("/demo/profile")
async def demo_profile(request: Request) -> Response:
    """Set the demo user's age, mode, name and emergency contact (``PUT /v1/users/{id}``)."""
    session, refused = _refuse(request)
    if refused is not None:
        return refused
    svc = services(request)
    try:
        form = DemoProfile.model_validate(await request.json())
        fields: dict[str, Any] = {
            "locale": translator(request).locale,
            "age": form.age,
            "mode": form.mode or "standard",
        }
        if form.name:
            fields["name"] = form.name
        if form.contact_webhook or form.contact_email:
            contact = {"name": form.contact_name or ""}
            if form.contact_webhook:
                contact["webhook"] = form.contact_webhook
            if form.contact_email:
                contact["email"] = form.contact_email
            fields["emergency_contact"] = contact
        view = put_user(
            UserUpdate.model_validate(fields), svc, DEMO_PROVIDER, user_id=str(session.get("user"))
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return _json_error(InputError(f"{'.'.join(map(str, first.get('loc', ())))}: {first.get('msg')}"))
    except CompanionGuardError as exc:
        return _json_error(exc)
    return finish(request, JSONResponse(view, headers=SECURITY_HEADERS), session)


@router.post("/demo/clock")
async def demo_clock(request: Request) -> Response:
    """Move the sandbox clock (``--sandbox`` only): two hours of use in a click."""
    session, refused = _refuse(request)
    if refused is not None:
        return refused
    svc = services(request)
    if not svc.settings.sandbox:
        return _json_error(InputError("the clock moves only with --sandbox"))
    try:
        data = await request.json()
        moved = advance_clock(ClockAdvance(advance_seconds=float(data.get("seconds", 0))), svc, DEMO_PROVIDER)
    except (ValidationError, TypeError, ValueError):
        return _json_error(InputError("seconds must be a number from 0 to one year"))
    except CompanionGuardError as exc:
        return _json_error(exc)
    return finish(request, JSONResponse(moved, headers=SECURITY_HEADERS), session)


@router.post("/demo/guardian")
async def demo_guardian(request: Request) -> Response:
    """Invite a guardian for the demo user and consent at once; answers the guardian's key (M2)."""
    session, refused = _refuse(request)
    if refused is not None:
        return refused
    svc = services(request)
    user_id = str(session.get("user"))
    try:
        _ensure_user(request, svc, user_id)
        invitation = invite_guardian(svc, DEMO_PROVIDER, user_id=user_id)
        consent = give_consent(ConsentRequest.model_validate({"code": invitation["code"]}), request, svc)
    except CompanionGuardError as exc:
        return _json_error(exc)
    return finish(
        request,
        JSONResponse({"guardian_key": consent.get("token"), "user": user_id}, headers=SECURITY_HEADERS),
        session,
    )


@router.post("/demo/me-link")
async def demo_me_link(request: Request) -> Response:
    """A signed link to the demo user's own data page (what a provider's app would ask for)."""
    session, refused = _refuse(request)
    if refused is not None:
        return refused
    svc = services(request)
    user_id = str(session.get("user"))
    _ensure_user(request, svc, user_id)
    return finish(request, JSONResponse(portal_link(request, user_id), headers=SECURITY_HEADERS), session)


@router.post("/demo/reset")
async def demo_reset(request: Request) -> Response:
    """Start over as a new demo user."""
    session, refused = _refuse(request)
    if refused is not None:
        return refused
    session.data["user"] = "demo-" + secrets.token_hex(6)
    return finish(request, JSONResponse({"user": session.data["user"]}, headers=SECURITY_HEADERS), session)
