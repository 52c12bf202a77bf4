"""FastAPI dependencies: the running services and the caller's role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import anyio
import httpx
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.assembly import Gateway
from companion_guard.clock import Clock
from companion_guard.metrics import Metrics
from companion_guard.notify.outbox import Channel, OutboxWorker
from companion_guard.pipeline import Guard
from companion_guard.rights.layer import Rights
from companion_guard.service.auth import ApiKeyVerifier, Principal
from companion_guard.service.errors import Forbidden
from companion_guard.service.ratelimit import KeyRateLimiter
from companion_guard.settings import Settings

if TYPE_CHECKING:
    from companion_guard.service.web.state import WebState


@dataclass(slots=True)
class Services:
    """Everything the routes need: the assembled gateway plus what HTTP adds (keys, limits, pages)."""

    gateway: Gateway
    verifier: ApiKeyVerifier
    ratelimit: KeyRateLimiter
    #: The provider key made on first start (shown once by ``serve``), else ``None``.
    new_provider_key: str | None = None
    #: The pages' templates, cookie sealer and sign-in limits (made on the first page request).
    web: WebState | None = None

    @property
    def settings(self) -> Settings:
        return self.gateway.settings

    @property
    def engine(self) -> Engine:
        return self.gateway.engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.gateway.sessions

    @property
    def clock(self) -> Clock:
        return self.gateway.clock

    @property
    def guard(self) -> Guard:
        return self.gateway.guard

    @property
    def rights(self) -> Rights:
        return self.gateway.rights

    @property
    def channels(self) -> dict[str, Channel]:
        return self.gateway.channels

    @property
    def outbox(self) -> OutboxWorker:
        return self.gateway.outbox

    @property
    def metrics(self) -> Metrics:
        return self.gateway.metrics

    @property
    def http(self) -> httpx.AsyncClient:
        return self.gateway.http

    @property
    def webhook_secret(self) -> bytes:
        return self.gateway.webhook_secret


def services(request: Request) -> Services:
    """The app's services."""
    svc: Services = request.app.state.services
    return svc


async def _services(request: Request) -> Services:
    # FastAPI runs a sync dependency in a worker thread: a thread hop per request on the hot path.
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(_services)]


def bearer(request: Request) -> str | None:
    """The bearer token of the request, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that admits only callers with one of ``roles`` (401 without a key, 403 with a wrong role)."""

    async def _check(request: Request) -> Principal:
        verifier: ApiKeyVerifier = request.app.state.services.verifier
        key = bearer(request)
        # A key seen in the last seconds is answered on the loop; a lookup goes to a worker thread.
        principal = verifier.cached(key)
        if principal is None:
            principal = await anyio.to_thread.run_sync(verifier.verify, key)
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role!r} may not call this route")
        request.app.state.services.ratelimit.check(principal.key_id, principal.role)
        return principal

    return _check


ProviderDep = Annotated[Principal, Depends(require("provider"))]
