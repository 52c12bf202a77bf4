"""FastAPI dependencies: the running services and the caller's role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.pipeline import Guard
from companion_guard.service.auth import KeyVerifier, Principal
from companion_guard.service.errors import Forbidden
from companion_guard.settings import Settings


@dataclass(slots=True)
class Services:
    """Everything the routes need, built once by the app's lifespan."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    guard: Guard
    verifier: KeyVerifier
    extras: dict[str, Any] = field(default_factory=dict)


def services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services  # type: ignore[no-any-return]


async def _services(request: Request) -> Services:
    # FastAPI runs a sync dependency in a worker thread: a thread hop per request on the hot path.
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(_services)]


def bearer(request: Request) -> str | None:
    """The bearer token of the request, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that admits only callers with one of ``roles`` (401 without a key, 403 with a wrong role)."""

    async def _check(request: Request) -> Principal:
        verifier: KeyVerifier = request.app.state.services.verifier
        key = bearer(request)
        # A key seen in the last seconds is answered on the loop; a lookup goes to a worker thread.
        principal = verifier.cached(key) or await anyio.to_thread.run_sync(verifier.verify, key)
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role!r} may not call this route")
        limiter = request.app.state.services.extras.get("ratelimit")
        if limiter is not None:
            limiter.check(principal.key_id, principal.role)
        return principal

    return _check


ProviderDep = Annotated[Principal, Depends(require("provider"))]
