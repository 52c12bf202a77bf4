"""``build_guard(settings)``: the one assembly of a gateway, for ``serve`` and library users alike.

A gateway is an engine and its sessions (migrated), the rights layer (master key, and the
encrypting field codec on those sessions), the detectors, the packs, the upstream, the duties
in their one list (:data:`companion_guard.duties.DEFAULT_DUTIES`), what each feature adds, the
outbox and the metrics. A feature's ``install(parts)`` returns a :class:`Feature`; nothing is
put into module globals, so two gateways in one process keep their keys, notify targets and
channels apart. The HTTP service (:func:`companion_guard.service.app.build_services`) adds
only what HTTP needs: API keys, rate limits, pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock, OffsetClock, SystemClock
from companion_guard.detectors.registry import DetectorRegistry, default_registry
from companion_guard.duties import DEFAULT_DUTIES, load_duties
from companion_guard.duties.contacts import Resolver
from companion_guard.exceptions import ConfigError
from companion_guard.imports import load_object
from companion_guard.metrics import Metrics, build_metrics
from companion_guard.notify.outbox import Channel, CircuitBreaker, OutboxWorker
from companion_guard.notify.webhook import WebhookChannel
from companion_guard.personas import seed_personas
from companion_guard.pipeline import Guard
from companion_guard.policy.engine import PolicyEngine
from companion_guard.policy.loader import load_pack
from companion_guard.rights.layer import Rights
from companion_guard.rights.setup import install_rights
from companion_guard.secretfile import read_or_create_secret
from companion_guard.settings import Settings
from companion_guard.store.db import make_engine, make_sessionmaker, session_scope
from companion_guard.store.migrate import upgrade
from companion_guard.store.tables import Turn
from companion_guard.upstream.base import Upstream
from companion_guard.upstream.factory import make_upstream

log = logging.getLogger("companion_guard")

#: Features beyond the core, each ``module:install`` taking :class:`Parts` and returning a :class:`Feature`.
FEATURES: tuple[str, ...] = (
    "companion_guard.guardians.setup:install",
    "companion_guard.reports.setup:install",
)
#: Beyond the upstream timeout: a turn still "decided" this much later was cut by a crash.
INTERRUPTED_MARGIN = timedelta(seconds=10)


@dataclass(slots=True)
class Parts:
    """What exists before the duties and features are built: what their constructors may use."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    rights: Rights


@dataclass(slots=True)
class Feature:
    """What one feature adds to a gateway: notify targets, delivery channels, a start-up step."""

    resolvers: dict[str, Resolver] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    #: Run once the gateway is assembled (e.g. record the pack and detector versions in force).
    on_start: Callable[[Gateway], None] | None = None


@dataclass(slots=True)
class Gateway:
    """One assembled gateway; whoever built it closes it with :meth:`aclose`."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    rights: Rights
    guard: Guard
    #: Delivery channels by name; the outbox reads this dict, so a test may swap one in place.
    channels: dict[str, Channel]
    outbox: OutboxWorker
    metrics: Metrics
    http: httpx.AsyncClient
    webhook_secret: bytes

    async def aclose(self) -> None:
        """Close the upstream, the HTTP client and the database pool."""
        await self.guard.upstream.aclose()
        await self.http.aclose()
        self.engine.dispose()


def recover_interrupted(sessions: sessionmaker[Session], clock: Clock, settings: Settings) -> int:
    """Mark turns cut by a crash (still ``decided`` past the upstream timeout) ``interrupted``."""
    cutoff = clock.now() - timedelta(seconds=settings.upstream_timeout) - INTERRUPTED_MARGIN
    with session_scope(sessions) as session:
        result = session.execute(
            update(Turn)
            .where(Turn.status == "decided", Turn.created_at < cutoff)
            .values(status="interrupted", error="process stopped mid-turn")
        )
        return int(getattr(result, "rowcount", 0) or 0)


def build_registry(settings: Settings) -> DetectorRegistry:
    """The detectors in force; the learned tier's encoder is loaded now, not on the first turn."""
    registry = default_registry(learned=settings.learned_tier)
    if any(d.tier == "learned" for d in registry):
        from companion_guard.detectors.encoder import shared_encoder

        shared_encoder().warm()
    return registry


def build_guard(
    settings: Settings,
    *,
    clock: Clock | None = None,
    upstream: Upstream | None = None,
    http: httpx.AsyncClient | None = None,
    duties: tuple[str, ...] = DEFAULT_DUTIES,
    features: tuple[str, ...] = FEATURES,
) -> Gateway:
    """Build and migrate a whole gateway; raises :class:`ConfigError` on bad configuration (fail closed)."""
    packs = [load_pack(name) for name in settings.policy_packs]
    if not packs:
        raise ConfigError("no policy pack in force (COMPANION_GUARD_POLICY_PACKS is empty)")
    clock = clock or (OffsetClock() if settings.sandbox else SystemClock())
    upstream = upstream or make_upstream(
        settings.upstream, api_key=settings.upstream_api_key or None, timeout=settings.upstream_timeout
    )
    engine = make_engine(settings.resolved_db_url())
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    # The codec goes onto the sessions before anything is written through them.
    rights = install_rights(settings, sessions=sessions, engine=engine, clock=clock, upstream=upstream)
    parts = Parts(settings, engine, sessions, clock, rights)
    if settings.upstream.startswith("demo"):
        with session_scope(sessions) as session:  # the six demo personas belong to the demo companion only
            seed_personas(session, clock.now())
    recover_interrupted(sessions, clock, settings)

    secret = settings.webhook_secret.encode() or read_or_create_secret(Path(settings.home) / "webhook-secret")
    http = http or httpx.AsyncClient(timeout=10.0)
    channels: dict[str, Channel] = {
        "webhook": WebhookChannel(secret, http, allow_private=settings.allow_private_webhooks)
    }
    resolvers: dict[str, Resolver] = {}  # the Guard always reaches the emergency contact itself
    added = [load_object(path)(parts) for path in features]
    for feature in added:
        resolvers.update(feature.resolvers)
        channels.update(feature.channels)
    metrics = build_metrics()
    metrics.watch_store(engine, sessions, clock)
    guard = Guard(
        sessions=sessions,
        registry=build_registry(settings),
        policy=PolicyEngine(packs),
        upstream=upstream,
        clock=clock,
        duties=load_duties(duties, parts),
        resolvers=resolvers,
        history_messages=settings.history_messages,
        channels=frozenset(channels),  # the user is told of a notification only when one can leave
        metrics=metrics,
    )
    outbox = OutboxWorker(
        sessions,
        clock,
        channels,
        timeout=settings.notify_timeout,
        concurrency=settings.notify_concurrency,
        breaker=CircuitBreaker(settings.notify_breaker_failures, settings.notify_breaker_cooldown),
        metrics=metrics,
    )
    gateway = Gateway(
        settings, engine, sessions, clock, rights, guard, channels, outbox, metrics, http, secret
    )
    for feature in added:
        if feature.on_start is not None:
            feature.on_start(gateway)
    return gateway


__all__ = ["FEATURES", "Feature", "Gateway", "Parts", "build_guard", "build_registry", "recover_interrupted"]
