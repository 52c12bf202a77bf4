"""Prometheus metrics of one gateway: turns, stage latencies, signals, actions, outbox, database pool.

Built by :func:`build_metrics` (never at import) with a registry of its own, so
several apps in one process (tests) never clash. Several worker processes
(``serve --workers N``) share one view through prometheus-client's multiprocess
mode: ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the
workers start, and ``GET /metrics`` then sums every worker's files.

The outbox and pool figures are read when scraped (:class:`StoreCollector`), so
they are the database's truth across every replica, not this process's guess.

    companion_guard_turns_total{action,stream}          turns answered, by outcome
    companion_guard_turn_seconds                        a whole turn inside the gateway (upstream included)
    companion_guard_stage_seconds{stage}                load, inspect_input, duties, record, upstream,
                                                        inspect_reply, finish
    companion_guard_detector_seconds{direction}         detectors alone (reported apart from the pipeline)
    companion_guard_signals_total{direction,category,level}
    companion_guard_actions_total{kind}                 policy actions triggered (steer, replace, notify …)
    companion_guard_upstream_errors_total{kind}
    companion_guard_notifications_sent_total / _failed_total{channel}   this process's sends
    companion_guard_notifications{status}               outbox rows by status (pending, delivered, failed)
    companion_guard_outbox_lag_seconds                  age of the oldest due, undelivered notification
    companion_guard_db_pool_connections{state}          checked out / idle / overflow of this process's pool
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

#: Latency buckets (seconds) from 0.1 ms to 30 s: the stages are sub-millisecond, the upstream is not.
BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
STAGES = ("load", "inspect_input", "duties", "record", "upstream", "inspect_reply", "finish")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(slots=True)
class Metrics:
    """The gateway's instruments; every method is cheap enough for the hot path (a few µs)."""

    registry: CollectorRegistry
    turns: Counter
    turn_seconds: Histogram
    stage_seconds: Histogram
    detector_seconds: Histogram
    signals: Counter
    actions: Counter
    upstream_errors: Counter
    sent: Counter
    failed: Counter
    #: Collectors read at scrape time (added by :meth:`watch_store`).
    scraped: list[Any] = field(default_factory=list)
    #: Labelled children already made: ``labels()`` validates and locks on every call (about 1 % of a turn).
    _children: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def watch_store(self, engine: Any, sessions: Any, clock: Any) -> None:
        """Report the outbox and the pool of this engine when scraped."""
        collector = StoreCollector(engine, sessions, clock)
        self.registry.register(collector)
        self.scraped.append(collector)

    def stage(self, stage: str, seconds: float) -> None:
        """Record how long one pipeline stage took."""
        self._child(self.stage_seconds, stage).observe(seconds)

    def detected(self, direction: str, seconds: float, signals: list[Any]) -> None:
        """Record one detector pass and the signals it raised (level ``none`` is not counted)."""
        self._child(self.detector_seconds, direction).observe(seconds)
        for s in signals:
            level = getattr(s.level, "label", str(s.level))
            if level != "none":
                self._child(self.signals, direction, s.category, level).inc()

    def turn(self, *, action: str, stream: bool, seconds: float, actions: list[str]) -> None:
        """Record one answered turn."""
        self._child(self.turns, action, "true" if stream else "false").inc()
        self.turn_seconds.observe(seconds)
        for kind in actions:
            self._child(self.actions, kind).inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes (every worker's figures in multiprocess mode)."""
        if os.environ.get(MULTIPROC_ENV):
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
            for collector in self.scraped:
                merged.register(collector)
            return generate_latest(merged)
        return generate_latest(self.registry)


def build_metrics() -> Metrics:
    """Fresh instruments on a registry of their own."""
    reg = CollectorRegistry()
    return Metrics(
        registry=reg,
        turns=Counter("companion_guard_turns", "Turns answered.", ["action", "stream"], registry=reg),
        turn_seconds=Histogram(
            "companion_guard_turn_seconds", "A whole turn inside the gateway.", buckets=BUCKETS, registry=reg
        ),
        stage_seconds=Histogram(
            "companion_guard_stage_seconds", "One pipeline stage.", ["stage"], buckets=BUCKETS, registry=reg
        ),
        detector_seconds=Histogram(
            "companion_guard_detector_seconds",
            "The detectors on one text.",
            ["direction"],
            buckets=BUCKETS,
            registry=reg,
        ),
        signals=Counter(
            "companion_guard_signals", "Signals raised.", ["direction", "category", "level"], registry=reg
        ),
        actions=Counter("companion_guard_actions", "Policy actions triggered.", ["kind"], registry=reg),
        upstream_errors=Counter(
            "companion_guard_upstream_errors", "Upstream calls that failed.", ["kind"], registry=reg
        ),
        sent=Counter(
            "companion_guard_notifications_sent",
            "Notifications delivered by this process.",
            ["channel"],
            registry=reg,
        ),
        failed=Counter(
            "companion_guard_notifications_failed",
            "Notification sends that failed.",
            ["channel"],
            registry=reg,
        ),
    )


class StoreCollector:
    """Outbox and pool gauges, read from the database and the engine when scraped."""

    def __init__(self, engine: Any, sessions: Any, clock: Any) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock

    def describe(self) -> list[Any]:
        """No fixed description (the values are read on collect)."""
        return []

    def collect(self) -> Iterator[Any]:
        """Outbox rows by status, outbox lag and the connection pool."""
        from sqlalchemy import func, select

        from companion_guard.clock import as_utc
        from companion_guard.store.tables import OutboxMessage

        by_status = GaugeMetricFamily(
            "companion_guard_notifications", "Outbox rows by status.", labels=["status"]
        )
        lag = GaugeMetricFamily(
            "companion_guard_outbox_lag_seconds", "Age of the oldest due notification not yet delivered."
        )
        now = self.clock.now()
        try:
            with self.sessions() as session:
                counts = dict(
                    session.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    ).all()
                )
                oldest = session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == "pending",
                        OutboxMessage.next_attempt_at <= now.replace(tzinfo=None),
                    )
                )
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            counts, oldest = {}, None
        for status in ("pending", "delivered", "failed"):
            by_status.add_metric([status], float(counts.get(status, 0)))
        lag.add_metric([], max(0.0, (now - as_utc(oldest)).total_seconds()) if oldest is not None else 0.0)
        yield by_status
        yield lag
        pool = self.engine.pool
        gauge = GaugeMetricFamily(
            "companion_guard_db_pool_connections", "This process's database pool.", labels=["state"]
        )
        for state, fn in (("checked_out", "checkedout"), ("idle", "checkedin"), ("overflow", "overflow")):
            value = getattr(pool, fn, None)
            # QueuePool.overflow() counts up from -pool_size: below zero means no overflow in use.
            gauge.add_metric([state], max(0.0, float(value())) if callable(value) else 0.0)
        yield gauge
