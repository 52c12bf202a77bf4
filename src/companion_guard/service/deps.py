"""FastAPI dependencies: the running services and the caller's role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

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


ServicesDep = Annotated[Services, Depends(services)]


def bearer(request: Request) -> str | None:
    """The bearer token of the request, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that admits only callers with one of ``roles`` (401 without a key, 403 with a wrong role)."""

    def _check(request: Request) -> Principal:
        principal = services(request).verifier.verify(bearer(request))
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role!r} may not call this route")
        return principal

    return _check


ProviderDep = Annotated[Principal, Depends(require("provider"))]
