"""Service-termination notices (D4): the end of a persona or of the service, announced ahead.

From ``notice_from`` until ``ends_at`` every turn in scope carries a
``notice.service_end`` event telling the user when it ends and how to export;
after ``ends_at`` the persona (or the service) no longer answers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.rights import snapshot
from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.tables_rights import Notice

SCOPES = ("service", "persona")


def schedule(
    session: Session,
    *,
    scope: str,
    persona_id: str | None,
    notice_from: datetime,
    ends_at: datetime,
    by: str,
    at: datetime,
    message_zh: str = "",
    message_en: str = "",
) -> Notice:
    """Schedule an end.

    Raises:
        InputError: bad scope, missing persona, or dates out of order.
    """
    if scope not in SCOPES:
        raise InputError(f"scope must be one of {', '.join(SCOPES)}")
    if scope == "persona" and not persona_id:
        raise InputError("a persona notice names the persona_id")
    if naive(ends_at) <= naive(notice_from):
        raise InputError("ends_at must come after notice_from")
    if naive(ends_at) <= naive(at):
        raise InputError("ends_at must be in the future")
    row = Notice(
        id=str(uuid.uuid4()),
        scope=scope,
        persona_id=persona_id if scope == "persona" else None,
        notice_from=naive(notice_from),
        ends_at=naive(ends_at),
        message_zh=message_zh,
        message_en=message_en,
        created_at=naive(at),
        created_by=by,
    )
    session.add(row)
    session.flush()
    snapshot.changed()
    return row


def cancel(session: Session, notice_id: str, *, at: datetime) -> Notice:
    """Cancel a scheduled end (the service goes on)."""
    row = session.get(Notice, notice_id)
    if row is None:
        raise NotFoundError(f"no notice {notice_id!r}")
    if row.cancelled_at is None:
        row.cancelled_at = naive(at)
        session.flush()
        snapshot.changed()
    return row


def _in_scope(persona_id: str | None) -> Any:
    if persona_id is None:
        return Notice.scope == "service"
    return or_(Notice.scope == "service", Notice.persona_id == persona_id)


def announcing(session: Session, *, at: datetime, persona_id: str | None) -> list[Notice]:
    """Notices to show now for a turn with this persona (between notice date and end)."""
    now = naive(at)
    return list(
        session.scalars(
            select(Notice)
            .where(
                Notice.cancelled_at.is_(None),
                Notice.notice_from <= now,
                Notice.ends_at > now,
                _in_scope(persona_id),
            )
            .order_by(Notice.ends_at)
        )
    )


def ended(session: Session, *, at: datetime, persona_id: str | None) -> Notice | None:
    """The notice whose end has come for this persona or the service, if any."""
    now = naive(at)
    return session.scalars(
        select(Notice)
        .where(Notice.cancelled_at.is_(None), Notice.ends_at <= now, _in_scope(persona_id))
        .order_by(Notice.ends_at)
        .limit(1)
    ).first()


def in_force(session: Session, *, at: datetime, persona_id: str | None) -> tuple[Notice | None, list[Notice]]:
    """One query for a turn: ``(ended, announcing)`` for this persona and the service."""
    now = naive(at)
    rows = list(
        session.scalars(
            select(Notice)
            .where(Notice.cancelled_at.is_(None), Notice.notice_from <= now, _in_scope(persona_id))
            .order_by(Notice.ends_at)
        )
    )
    ended = next((n for n in rows if n.ends_at <= now), None)
    return ended, [n for n in rows if n.ends_at > now]


def listing(session: Session, *, include_cancelled: bool = False) -> list[Notice]:
    """All notices, soonest end first."""
    q = select(Notice).order_by(Notice.ends_at)
    if not include_cancelled:
        q = q.where(Notice.cancelled_at.is_(None))
    return list(session.scalars(q))


def text(row: Notice | snapshot.NoticeView, locale: str) -> str:
    """The notice in the user's language (the operator's words, or a standard text)."""
    zh = locale.lower().startswith("zh")
    custom = row.message_zh if zh else row.message_en
    if custom:
        return custom
    end = naive(row.ends_at).strftime("%Y-%m-%d %H:%M UTC")
    if row.scope == "persona":
        return (
            f"角色「{row.persona_id}」将于 {end} 停止服务。在此之前，您可以随时导出您的对话数据。"
            if zh
            else f"The character '{row.persona_id}' will stop on {end}. You can export your conversations until then."
        )
    return (
        f"本服务将于 {end} 终止。在此之前，您可以随时导出或删除您的数据。"
        if zh
        else f"This service will end on {end}. You can export or delete your data until then."
    )


def notice_dict(row: Notice) -> dict[str, Any]:
    """Plain JSON form."""
    return {
        "id": row.id,
        "scope": row.scope,
        "persona_id": row.persona_id,
        "notice_from": iso(row.notice_from),
        "ends_at": iso(row.ends_at),
        "message_zh": row.message_zh,
        "message_en": row.message_en,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "cancelled_at": iso(row.cancelled_at),
    }
