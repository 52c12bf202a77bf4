"""Guardian alerts and the notifications that carry them (M4), never with message content."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from companion_guard.duties.contacts import Channel
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.messages import shipped_pack, text
from companion_guard.policy.schema import PolicyPack
from companion_guard.turn import Notification
from companion_guard.types import Display, Event

#: The same alert kind for the same ward is notified at most once in this window.
NOTIFY_WINDOW = timedelta(hours=1)

#: Alert kinds with their own summary (``guardian.alert.<kind>`` in the pack); others read ``guardian.alert.default``.
SUMMARY_KINDS = ("block.persona", "dependency", "spending.denied", "crisis")


def _summary(pack: PolicyPack, kind: str, locale: str) -> str:
    key = f"guardian.alert.{kind}"
    return text(key if key in pack.messages else "guardian.alert.default", locale, pack=pack)


def guardian_channels(session: Session, user_id: str) -> list[Channel]:
    """Every way to reach the ward's guardians, de-duplicated."""
    from companion_guard.duties.contacts import contact_channels

    seen: set[tuple[str, str]] = set()
    out: list[Channel] = []
    for contact in grepo.guardian_contacts(session, user_id):
        for ch in contact_channels(contact):
            if (ch.channel, ch.target) not in seen:
                seen.add((ch.channel, ch.target))
                out.append(ch)
    return out


def alert_guardians(
    session: Session,
    *,
    user_id: str,
    kind: str,
    requirement: str,
    level: str,
    now: datetime,
    data: dict[str, Any],
    dedupe_key: str,
    locale: str,
    pack: PolicyPack | None = None,
) -> tuple[list[Notification], list[Event]]:
    """Record an alert; return the notifications to queue and the events that show they were queued.

    Nothing is sent when no guardian is reachable or the same kind was notified within
    :data:`NOTIFY_WINDOW`; the alert is recorded either way. Texts come from ``pack``
    (the shipped pack when none is given).
    """
    pack = pack or shipped_pack()
    alert = grepo.add_alert(
        session, user_id=user_id, kind=kind, requirement=requirement, level=level, now=now, data=data
    )
    if alert is None or _notified_recently(session, user_id, kind, now, alert.id):
        return [], []
    zh, en = _summary(pack, kind, "zh-CN"), _summary(pack, kind, "en-US")
    notes: list[Notification] = []
    events: list[Event] = []
    for ch in guardian_channels(session, user_id):
        channel, target, masked = ch.channel, ch.target, ch.masked
        payload = {
            "kind": "notify.guardian",
            "event": kind,
            "requirement": requirement,
            "user_id": user_id,
            "level": level,
            "time": now.isoformat(),
            "summary_zh": zh,
            "summary_en": en,
        }
        notes.append(
            Notification(
                kind="notify.guardian",
                requirement=requirement,
                channel=channel,
                target=target,
                recipient_masked=masked,
                payload=payload,
                dedupe_key=f"{dedupe_key}:{channel}:{target}",
            )
        )
        events.append(
            Event(
                kind="notify.guardian",
                requirement=requirement,
                level=level,
                message=text("notify.guardian.alert", locale, pack=pack, recipient=ch.name or masked),
                display=Display.INLINE,
                data={"recipient": masked, "channel": channel, "reason": kind},
            )
        )
    return notes, events


def _notified_recently(session: Session, user_id: str, kind: str, now: datetime, except_id: int) -> bool:
    from sqlalchemy import select

    from companion_guard.store.tables_guardians import GuardianAlert

    return (
        session.scalar(
            select(GuardianAlert.id).where(
                GuardianAlert.user_id == user_id,
                GuardianAlert.kind == kind,
                GuardianAlert.id != except_id,
                GuardianAlert.created_at >= now - NOTIFY_WINDOW,
            )
        )
        is not None
    )


def enqueue_now(
    session: Session, notes: list[Notification], *, user_id: str, turn_id: str | None, now: datetime
) -> None:
    """Queue notifications directly (gates and routes, which the pipeline's queueing does not cover)."""
    from companion_guard.store import repositories as repo
    from companion_guard.store.tables import OutboxMessage

    for n in notes:
        repo.enqueue(
            session,
            OutboxMessage(
                dedupe_key=n.dedupe_key,
                turn_id=turn_id,
                user_id=user_id,
                kind=n.kind,
                requirement=n.requirement,
                channel=n.channel,
                target=n.target,
                recipient_masked=n.recipient_masked,
                payload=n.payload,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            ),
        )
