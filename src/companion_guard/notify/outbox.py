"""Deliver queued notifications: claim with a lease, send, mark; retry with back-off.

A row is claimed by setting ``locked_until`` in its own transaction, so replicas
never send the same row at once. A crash after sending but before marking means
the lease expires and the row is sent again with the same delivery id, which the
receiver drops: delivered once, as seen by the receiver.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 3600


class Channel(Protocol):
    """A way out (webhook, e-mail)."""

    name: str

    async def send(self, *, target: str, delivery_id: str, payload: dict[str, Any]) -> None:
        """Deliver or raise."""
        ...


def backoff_seconds(attempts: int) -> float:
    """2, 4, 8 … seconds, capped at an hour."""
    return float(min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


class OutboxWorker:
    """Sweeps the outbox; run :meth:`run` as a background task or call :meth:`sweep`."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, channels: dict[str, Channel], *, batch: int = 50
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels
        self.batch = batch

    def _claim(self) -> list[tuple[int, str, str, dict[str, Any]]]:
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            ids = session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch)
            ).all()
            claimed = []
            for row_id in ids:
                got = session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row_id,
                        OutboxMessage.status == "pending",
                        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                    )
                    .values(locked_until=now + LEASE)
                ).rowcount
                if got:
                    row = session.get(OutboxMessage, row_id)
                    assert row is not None
                    target = repo.codec().open(session, row.user_id, row.target)  # sealed at rest
                    claimed.append((row.id, row.channel, target, dict(row.payload)))
        return claimed

    def _mark(self, row_id: int, error: str | None) -> None:
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.locked_until = None
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
            else:
                row.last_error = error[:1000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                else:
                    row.next_attempt_at = now + timedelta(seconds=backoff_seconds(row.attempts))

    async def sweep(self) -> int:
        """Deliver every due row once; return how many were delivered."""
        delivered = 0
        for row_id, channel_name, target, payload in await asyncio.to_thread(self._claim):
            channel = self.channels.get(channel_name)
            error: str | None
            if channel is None:
                error = f"no channel {channel_name!r} configured"
            else:
                try:
                    await channel.send(target=target, delivery_id=f"cg-outbox-{row_id}", payload=payload)
                    error = None
                except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
                    error = f"{type(exc).__name__}: {exc}"
            await asyncio.to_thread(self._mark, row_id, error)
            if error is None:
                delivered += 1
            else:
                log.warning("outbox %s via %s failed: %s", row_id, channel_name, error)
        return delivered

    async def run(self, interval: float) -> None:
        """Sweep forever (cancelled at shutdown)."""
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - a failed sweep must not kill the worker
                log.exception("outbox sweep failed")
            await asyncio.sleep(interval)
