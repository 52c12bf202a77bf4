"""``create_app(settings)``: the FastAPI gateway, a thin layer over :class:`~companion_guard.pipeline.Guard`.

The lifespan assembles the gateway (:func:`companion_guard.assembly.build_guard`: engine,
migrations, keys, packs, detectors, upstream, outbox); nothing happens at import.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from companion_guard._version import __version__
from companion_guard.assembly import build_guard, recover_interrupted
from companion_guard.clock import Clock
from companion_guard.service.auth import ApiKeyVerifier, ensure_provider_key
from companion_guard.service.deps import Services
from companion_guard.service.docs_ui import install_docs
from companion_guard.service.errors import install_error_handlers
from companion_guard.service.limits import BodyLimit
from companion_guard.service.ratelimit import KeyRateLimiter
from companion_guard.service.routes import load_routers
from companion_guard.service.routes.health import sandbox_router
from companion_guard.service.web import install_web
from companion_guard.settings import Settings
from companion_guard.upstream.base import Upstream

log = logging.getLogger("companion_guard")

#: Seconds between sweeps for interrupted turns while serving.
RECOVERY_INTERVAL = 5.0


async def _recover_forever(svc: Services) -> None:
    while True:
        await asyncio.sleep(RECOVERY_INTERVAL)
        try:
            await asyncio.to_thread(recover_interrupted, svc.sessions, svc.clock, svc.settings)
        except Exception:  # noqa: BLE001 - a failed sweep must not stop the gateway
            log.exception("recovery sweep failed")


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    upstream: Upstream | None = None,
    http: httpx.AsyncClient | None = None,
) -> Services:
    """The gateway (:func:`~companion_guard.assembly.build_guard`) plus what HTTP adds: keys and rate limits."""
    gateway = build_guard(settings, clock=clock, upstream=upstream, http=http)
    key = ensure_provider_key(
        gateway.sessions, configured=settings.api_key, home=settings.home, now=gateway.clock.now()
    )
    if key:
        log.info("first start: provider API key written to %s/provider-key", settings.home)
    return Services(
        gateway=gateway,
        verifier=ApiKeyVerifier(gateway.sessions),
        ratelimit=KeyRateLimiter(provider_rate=settings.rate_limit_provider, other_rate=settings.rate_limit),
        new_provider_key=key,
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    upstream: Upstream | None = None,
    run_outbox: bool = True,
) -> FastAPI:
    """The gateway app; services are built when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = await asyncio.to_thread(build_services, settings, clock=clock, upstream=upstream)
        app.state.services = svc
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry full webhook URLs
        task = asyncio.create_task(svc.outbox.run(settings.outbox_interval)) if run_outbox else None
        recovery = asyncio.create_task(_recover_forever(svc))
        try:
            yield
        finally:
            recovery.cancel()
            if task is not None:
                task.cancel()
            await svc.gateway.aclose()

    app = FastAPI(
        title="companion-guard",
        version=__version__,
        description=(
            "Safety and compliance gateway for AI companion services. OpenAI-compatible chat completions "
            "with a `guard` object (events, decision); user, persona, guardian, data-rights and operator APIs."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from the package
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for router in load_routers():
        app.include_router(router)
    if settings.sandbox:
        app.include_router(sandbox_router)
    install_web(app)  # /, /console, /guardian, /me
    install_docs(app)  # /docs with Swagger UI from swagger-ui-bundle, no CDN
    return app


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` and multi-worker serving: settings from the environment."""
    from companion_guard.logs import configure_logging
    from companion_guard.settings import load_settings

    settings = load_settings()
    configure_logging(fmt=settings.log_format, verbose=settings.verbose)  # each worker is a fresh process
    return create_app(settings)
