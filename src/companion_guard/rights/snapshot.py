"""Operator controls for the turn's hot path: read at most once a second, not four times a turn.

The kill switch, the restrictions in force and the service notices change
rarely and are read on every turn. :class:`ControlsCache` keeps them for
``TTL`` seconds; every write in this process (``controls``, ``notices``) calls
:func:`changed`, so this replica sees its own changes at once and other
replicas within ``TTL``.

A snapshot holds plain frozen values, never ORM rows: it is shared by every
turn of the process, and a row outlives the session that loaded it (after a
rolled-back turn it is detached and every attribute read fails).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.tables_rights import KillSwitch, Notice, Restriction

DEFAULT_MAINTENANCE_ZH = "服务正在维护中，暂时无法对话。给您带来不便，敬请谅解。如遇紧急情况，请拨打 12356 心理援助热线或 110/120。"
DEFAULT_MAINTENANCE_EN = (
    "The service is down for maintenance and cannot chat right now. "
    "If you are in danger, call your local emergency number."
)

#: Seconds a snapshot is trusted (the most another replica lags behind a change).
TTL = 1.0

_lock = threading.Lock()
_generation = 0


def changed() -> None:
    """Tell every cache in this process that controls changed."""
    global _generation
    with _lock:
        _generation += 1


@dataclass(frozen=True, slots=True)
class RestrictionView:
    """The columns of a restriction the gate reads, copied out of the row."""

    id: str
    kind: str
    user_id: str | None
    persona_id: str | None
    until: datetime | None
    lifted_at: datetime | None


@dataclass(frozen=True, slots=True)
class NoticeView:
    """The columns of a service-end notice the gate and the event read, copied out of the row."""

    id: str
    scope: str
    persona_id: str | None
    notice_from: datetime
    ends_at: datetime
    message_zh: str
    message_en: str


def restriction_view(row: Any) -> RestrictionView:
    """A plain copy of a :class:`~companion_guard.store.tables_rights.Restriction`."""
    return RestrictionView(row.id, row.kind, row.user_id, row.persona_id, row.until, row.lifted_at)


def notice_view(row: Any) -> NoticeView:
    """A plain copy of a :class:`~companion_guard.store.tables_rights.Notice`."""
    return NoticeView(
        row.id,
        row.scope,
        row.persona_id,
        row.notice_from,
        row.ends_at,
        row.message_zh or "",
        row.message_en or "",
    )


@dataclass(frozen=True, slots=True)
class KillSwitchState:
    """The kill switch as the gate sees it."""

    engaged: bool
    message_zh: str = DEFAULT_MAINTENANCE_ZH
    message_en: str = DEFAULT_MAINTENANCE_EN
    reason: str = ""
    changed_at: datetime | None = None
    changed_by: str = ""
    incident_id: str | None = None

    def message(self, locale: str) -> str:
        """The maintenance message in the user's language."""
        return self.message_zh if locale.lower().startswith("zh") else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "engaged": self.engaged,
            "reason": self.reason,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "changed_at": iso(self.changed_at),
            "changed_by": self.changed_by,
            "incident_id": self.incident_id,
        }


def kill_switch(session: Session) -> KillSwitchState:
    """The kill switch now (released when never touched)."""
    row = session.get(KillSwitch, 1)
    if row is None:
        return KillSwitchState(engaged=False)
    return KillSwitchState(
        engaged=row.engaged,
        message_zh=row.message_zh or DEFAULT_MAINTENANCE_ZH,
        message_en=row.message_en or DEFAULT_MAINTENANCE_EN,
        reason=row.reason,
        changed_at=row.changed_at,
        changed_by=row.changed_by,
        incident_id=row.incident_id,
    )


@dataclass(frozen=True, slots=True)
class ControlsSnapshot:
    """What operators switched on, as of one read (plain values only)."""

    kill: KillSwitchState
    restrictions: tuple[RestrictionView, ...]
    notices: tuple[NoticeView, ...]

    def restrictions_for(self, user_id: str, at: datetime) -> list[RestrictionView]:
        """Restrictions in force now for this user (and persona-wide ones), oldest first."""
        now = naive(at)
        return [
            r
            for r in self.restrictions
            if r.lifted_at is None and (r.until is None or r.until > now) and r.user_id in (user_id, None)
        ]

    def _scoped(self, persona_id: str | None) -> list[NoticeView]:
        return [
            n
            for n in self.notices
            if n.scope == "service" or (persona_id is not None and n.persona_id == persona_id)
        ]

    def ended(self, persona_id: str | None, at: datetime) -> NoticeView | None:
        """The notice whose end has come for this persona or the service."""
        now = naive(at)
        return next((n for n in self._scoped(persona_id) if n.ends_at <= now), None)

    def announcing(self, persona_id: str | None, at: datetime) -> list[NoticeView]:
        """Notices to show now (between their notice date and their end)."""
        now = naive(at)
        return [n for n in self._scoped(persona_id) if n.notice_from <= now < n.ends_at]


class ControlsCache:
    """One per gateway; :meth:`get` re-reads when stale or changed."""

    def __init__(self) -> None:
        self._snap: ControlsSnapshot | None = None
        self._read_at = 0.0
        self._generation = -1

    def get(self, session: Session) -> ControlsSnapshot:
        """The current snapshot, re-read from ``session`` when needed."""
        now = time.monotonic()
        if self._snap is not None and self._generation == _generation and now - self._read_at < TTL:
            return self._snap
        generation = _generation
        snap = ControlsSnapshot(
            kill=kill_switch(session),
            restrictions=tuple(
                restriction_view(r)
                for r in session.scalars(
                    select(Restriction)
                    .where(Restriction.lifted_at.is_(None))
                    .order_by(Restriction.created_at)
                )
            ),
            notices=tuple(
                notice_view(n)
                for n in session.scalars(
                    select(Notice).where(Notice.cancelled_at.is_(None)).order_by(Notice.ends_at)
                )
            ),
        )
        self._snap, self._read_at, self._generation = snap, now, generation
        return snap
