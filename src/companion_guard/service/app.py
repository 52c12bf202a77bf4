"""``create_app(settings)``: the FastAPI gateway, a thin layer over :class:`Guard`.

The lifespan builds everything (engine, migrations, packs, detectors, upstream,
outbox worker); nothing happens at import.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from companion_guard._version import __version__
from companion_guard.clock import Clock, OffsetClock, SystemClock
from companion_guard.detectors.registry import default_registry
from companion_guard.duties import load_duties
from companion_guard.exceptions import ConfigError
from companion_guard.imports import load_object
from companion_guard.metrics import build_metrics
from companion_guard.notify.outbox import Channel, CircuitBreaker, OutboxWorker
from companion_guard.notify.webhook import WebhookChannel
from companion_guard.personas import seed_personas
from companion_guard.pipeline import Guard
from companion_guard.policy.engine import PolicyEngine
from companion_guard.policy.loader import load_pack
from companion_guard.service.auth import KeyVerifier, ensure_provider_key
from companion_guard.service.deps import Services
from companion_guard.service.docs_ui import install_docs
from companion_guard.service.errors import install_error_handlers
from companion_guard.service.limits import BodyLimit
from companion_guard.service.ratelimit import KeyRateLimiter
from companion_guard.service.routes import load_routers
from companion_guard.service.routes.health import sandbox_router
from companion_guard.service.web import install_web
from companion_guard.settings import Settings
from companion_guard.store.db import make_engine, make_sessionmaker, session_scope
from companion_guard.store.migrate import upgrade
from companion_guard.store.tables import Turn
from companion_guard.upstream.base import Upstream, make_upstream

log = logging.getLogger("companion_guard")

#: Called with the built :class:`Services` before serving ("module:function"). Features add theirs.
STARTUP_HOOKS: tuple[str, ...] = (
    "companion_guard.rights.setup:install",
    "companion_guard.guardians.setup:install",
    "companion_guard.reports.setup:install",
)
#: Beyond the upstream timeout: a turn still "decided" this much later was cut by a crash.
INTERRUPTED_MARGIN = timedelta(seconds=10)
#: Seconds between sweeps for interrupted turns while serving.
RECOVERY_INTERVAL = 5.0


def recover_interrupted(sessions: Any, clock: Clock, settings: Settings) -> int:
    """Mark turns cut by a crash (still ``decided`` past the upstream timeout) ``interrupted``."""
    cutoff = clock.now() - timedelta(seconds=settings.upstream_timeout) - INTERRUPTED_MARGIN
    with session_scope(sessions) as session:
        result = session.execute(
            update(Turn)
            .where(Turn.status == "decided", Turn.created_at < cutoff)
            .values(status="interrupted", error="process stopped mid-turn")
        )
        return int(result.rowcount or 0)


async def _recover_forever(svc: Services) -> None:
    while True:
        await asyncio.sleep(RECOVERY_INTERVAL)
        try:
            await asyncio.to_thread(recover_interrupted, svc.sessions, svc.clock, svc.settings)
        except Exception:  # noqa: BLE001 - a failed sweep must not stop the gateway
            log.exception("recovery sweep failed")


def _secret_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    upstream: Upstream | None = None,
    http: httpx.AsyncClient | None = None,
) -> Services:
    """Build and migrate everything a gateway needs; raises :class:`ConfigError` on bad config."""
    packs = [load_pack(name) for name in settings.policy_packs]
    if not packs:
        raise ConfigError("no policy pack in force (COMPANION_GUARD_POLICY_PACKS is empty)")
    clock = clock or (OffsetClock() if settings.sandbox else SystemClock())
    engine = make_engine(settings.resolved_db_url())
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = clock.now()
    if settings.upstream.startswith("demo"):  # the six demo personas belong to the demo companion only
        with session_scope(sessions) as session:
            seed_personas(session, now)
    recover_interrupted(sessions, clock, settings)
    guard = Guard(
        sessions=sessions,
        registry=_registry(settings),
        policy=PolicyEngine(packs),
        upstream=upstream
        or make_upstream(
            settings.upstream, api_key=settings.upstream_api_key or None, timeout=settings.upstream_timeout
        ),
        clock=clock,
        duties=load_duties(),
        history_messages=settings.history_turns,
    )
    secret = settings.webhook_secret.encode() or _secret_file(settings.home / "webhook-secret")
    http = http or httpx.AsyncClient(timeout=10.0)
    svc = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        guard=guard,
        verifier=KeyVerifier(sessions),
        extras={"http": http, "webhook_secret": secret},
    )
    channels: dict[str, Channel] = {
        "webhook": WebhookChannel(secret, http, allow_private=settings.allow_private_webhooks)
    }
    svc.extras["channels"] = channels
    svc.extras["ratelimit"] = KeyRateLimiter(
        provider_rate=settings.rate_limit_provider, other_rate=settings.rate_limit
    )
    metrics = build_metrics()
    metrics.watch_store(engine, sessions, clock)
    guard.metrics = svc.extras["metrics"] = metrics
    for hook in STARTUP_HOOKS:
        load_object(hook)(svc)
    guard.channels = frozenset(channels)  # the user is told of a notification only when one can leave
    svc.extras["outbox"] = OutboxWorker(
        sessions,
        clock,
        channels,
        timeout=settings.notify_timeout,
        concurrency=settings.notify_concurrency,
        breaker=CircuitBreaker(settings.notify_breaker_failures, settings.notify_breaker_cooldown),
        metrics=metrics,
    )
    key = ensure_provider_key(sessions, configured=settings.api_key, home=settings.home, now=now)
    if key:
        log.info("first start: provider API key written to %s/provider-key", settings.home)
        svc.extras["new_provider_key"] = key
    return svc


def _registry(settings: Settings) -> Any:
    """The detectors in force; the learned tier's encoder is loaded now, not on the first turn."""
    registry = default_registry(learned=settings.learned_tier)
    if any(getattr(d, "tier", "") == "learned" for d in registry):
        from companion_guard.detectors.encoder import shared_encoder

        shared_encoder().warm()
    return registry


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
        task = asyncio.create_task(svc.extras["outbox"].run(settings.outbox_interval)) if run_outbox else None
        recovery = asyncio.create_task(_recover_forever(svc))
        try:
            yield
        finally:
            recovery.cancel()
            if task is not None:
                task.cancel()
            await svc.guard.upstream.aclose()
            await svc.extras["http"].aclose()
            svc.engine.dispose()

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
