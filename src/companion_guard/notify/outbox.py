"""Deliver queued notifications: claim with a lease, send, mark; retry with back-off.

A row is claimed by setting ``locked_until`` in its own transaction, so replicas
never send the same row at once. A crash after sending but before marking means
the lease expires and the row is sent again with the same delivery id, which the
receiver drops: delivered once, as seen by the receiver.

Rows are sent concurrently, each bounded by a per-target timeout, so one slow or
hanging receiver never delays anyone else's notification. A per-target circuit
breaker stops calling a receiver that keeps failing for a while (its rows wait,
without spending attempts). The lease is only a little longer than the timeout,
so rows claimed by a process that died are picked up again within seconds.
Errors written to the row or the log never carry the address (:func:`redact`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.notify.targets import redact
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 3600
#: Seconds one send may take before it counts as failed.
DEFAULT_TIMEOUT = 5.0
#: The lease beyond the send timeout: a dead process's rows come back after timeout + this.
LEASE_MARGIN = timedelta(seconds=5)


class Channel(Protocol):
    """A way out (webhook, e-mail)."""

    name: str

    async def send(self, *, target: str, delivery_id: str, payload: dict[str, Any]) -> None:
        """Deliver or raise."""
        ...


def backoff_seconds(attempts: int) -> float:
    """2, 4, 8 … seconds, capped at an hour."""
    return float(min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


class CircuitBreaker:
    """Per target: after ``failures`` failures in a row, no calls for ``cooldown`` seconds.

    After the cooldown one call is let through (half-open); success closes the circuit,
    failure opens it again.
    """

    def __init__(
        self, failures: int = 3, cooldown: float = 60.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._now = now
        self._state: dict[str, tuple[int, float]] = {}  # key → (failures in a row, open until)

    def wait(self, key: str) -> float:
        """Seconds until this target may be called again (0: call now)."""
        _, until = self._state.get(key, (0, 0.0))
        return max(0.0, until - self._now())

    def record(self, key: str, ok: bool) -> None:
        """Note the outcome of one call."""
        if ok:
            self._state.pop(key, None)
            return
        count = self._state.get(key, (0, 0.0))[0] + 1
        until = self._now() + self.cooldown if count >= self.failures else 0.0
        self._state[key] = (count, until)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed row, with its target opened."""

    id: int
    channel: str
    target: str
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        """The breaker key: a digest of channel and target, never the address itself."""
        return hashlib.sha256(f"{self.channel}\0{self.target}".encode()).hexdigest()


class OutboxWorker:
    """Sweeps the outbox; run :meth:`run` as a background task or call :meth:`sweep`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: dict[str, Channel],
        *,
        batch: int = 50,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = 32,
        breaker: CircuitBreaker | None = None,
        metrics: Any = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels
        self.batch = batch
        self.timeout = timeout
        self.lease = timedelta(seconds=timeout) + LEASE_MARGIN
        self.breaker = breaker or CircuitBreaker()
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: set[asyncio.Task[bool]] = set()
        #: Prometheus instruments (sent / failed counters), or ``None``.
        self.metrics = metrics
        #: Channels already reported missing: the log says it once, not on every retry.
        self._missing: set[str] = set()
        # SQLite has one writer. The gateway writes turns on the event loop; an outbox write from a
        # worker thread would wait in SQLite's busy loop behind them, starve under load past its lease
        # and get the row sent again. So on SQLite the outbox's short writes run on the loop too.
        bind = sessions.kw.get("bind")
        self._inline = bind is not None and bind.dialect.name == "sqlite"

    async def _db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._inline:
            return fn(*args, **kwargs)
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _claim(self) -> list[Claimed]:
        """Lease up to ``batch`` due rows in one transaction; rows another replica holds are skipped.

        PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so replicas sweeping at once take
        different rows without waiting on each other. Everywhere: the lease is set by one
        conditional ``UPDATE … RETURNING``, so a row is claimed by one sweep only.
        """
        now = self.clock.now()
        due = or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)
        pending = (OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now, due)
        with session_scope(self.sessions) as session:
            ids = session.scalars(
                select(OutboxMessage.id)
                .where(*pending)
                .order_by(OutboxMessage.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not ids:
                return []
            rows = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), *pending)
                .values(locked_until=now + self.lease)
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.user_id,
                    OutboxMessage.channel,
                    OutboxMessage.target,
                    OutboxMessage.payload,
                )
            ).all()
            # The target is sealed at rest; open it inside the transaction (the key may be read).
            return [
                Claimed(
                    r.id,
                    r.channel,
                    repo.codec_for(session).open(session, r.user_id, r.target),
                    dict(r.payload),
                )
                for r in sorted(rows, key=lambda r: r.id)
            ]

    def _mark(self, row_id: int, error: str | None, *, retry_in: float | None = None) -> None:
        """Record an outcome; ``retry_in`` puts the row back without spending an attempt."""
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.locked_until = None
            if retry_in is not None:
                row.next_attempt_at = now + timedelta(seconds=retry_in)
                row.last_error = error
                return
            row.attempts += 1
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
            else:
                row.last_error = error[:1000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                else:
                    row.next_attempt_at = now + timedelta(seconds=backoff_seconds(row.attempts))

    async def _send(self, item: Claimed) -> str | None:
        channel = self.channels.get(item.channel)
        if channel is None:
            return f"no channel {item.channel!r} configured"
        try:
            await asyncio.wait_for(
                channel.send(target=item.target, delivery_id=f"cg-outbox-{item.id}", payload=item.payload),
                self.timeout,
            )
        except TimeoutError:
            return f"timed out after {self.timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            return redact(f"{type(exc).__name__}: {exc}".replace(item.target, "<target>"))
        return None

    async def deliver(self, item: Claimed) -> bool:
        """Send one claimed row (unless its target's circuit is open) and record the outcome."""
        async with self._slots:
            wait = self.breaker.wait(item.key)
            if wait > 0:
                await self._db(self._mark, item.id, "circuit open: target failed repeatedly", retry_in=wait)
                return False
            error = await self._send(item)
            if item.channel in self.channels:
                self.breaker.record(item.key, error is None)
            await self._db(self._mark, item.id, error)
        if self.metrics is not None:
            (self.metrics.sent if error is None else self.metrics.failed).labels(item.channel).inc()
        if error is not None and item.channel not in self.channels:
            if item.channel not in self._missing:
                self._missing.add(item.channel)
                log.warning(
                    "outbox: no channel %r configured; its notifications wait and are retried (said once)",
                    item.channel,
                )
        elif error is not None:
            log.warning("outbox %s via %s failed: %s", item.id, item.channel, error)
        return error is None

    async def sweep(self) -> int:
        """Deliver every due row once, concurrently; return how many were delivered."""
        claimed = await self._db(self._claim)
        results = await asyncio.gather(*(self.deliver(c) for c in claimed))
        return sum(results)

    async def run(self, interval: float) -> None:
        """Claim due rows every ``interval`` and send each in its own task (cancelled at shutdown)."""
        try:
            while True:
                try:
                    for item in await self._db(self._claim):
                        task = asyncio.create_task(self.deliver(item))
                        self._inflight.add(task)
                        task.add_done_callback(self._inflight.discard)
                except Exception:  # noqa: BLE001 - a failed sweep must not kill the worker
                    log.exception("outbox sweep failed")
                await asyncio.sleep(interval)
        finally:
            for task in list(self._inflight):
                task.cancel()
