"""Human review queues (I2 crisis, E1 elderly help): what a person on duty sees and does.

A case is opened by the pipeline's ``escalate`` effect. People acknowledge it, add
notes and resolve it; every step lands in the case's log with who and when. Targets
say how fast a first human response must come (crisis: 15 minutes for ``critical``).
Deleting a user's data closes their open cases with a reason and keeps only
content-free records under a pseudonym, for the assessment report's counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from companion_guard.store.db import affected_rows
from companion_guard.store.tables import ReviewCase

#: Open statuses; ``closed`` is the only other one.
OPEN = ("open", "acknowledged")

#: Minutes to the first human response in the crisis queue, by level (I2).
CRISIS_TARGET_MINUTES: dict[str, float] = {"critical": 15, "high": 30, "medium": 240, "low": 1440}

#: The actions a person can take on a case.
ACTIONS = ("acknowledge", "note", "resolve")


class CaseError(ValueError):
    """An action that does not fit the case (e.g. acknowledging a closed case)."""


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Response-time figures of one queue at one moment."""

    waiting: int
    answered: int
    median_first_response_s: float | None
    max_first_response_s: float | None
    over_target: int


def _utc(value: datetime | None) -> str | None:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat() if value else None


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def target_for(case: ReviewCase, default_minutes: float) -> timedelta:
    """How soon this case needs a first human response."""
    if case.queue == "crisis":
        return timedelta(minutes=CRISIS_TARGET_MINUTES.get(case.level, default_minutes))
    return timedelta(minutes=default_minutes)


def view(case: ReviewCase, now: datetime, default_minutes: float = 15) -> dict[str, Any]:
    """The case as the queue shows it: who, how urgent, since when, who was told, what people did."""
    opened, first, now = _naive(case.created_at), case.first_response_at, _naive(now)
    waited = ((first or now) - opened).total_seconds()
    target = target_for(case, default_minutes)
    return {
        "id": case.id,
        "queue": case.queue,
        "user": case.user_id,
        "category": case.category,
        "level": case.level,
        "requirement": case.requirement,
        "status": case.status,
        "detected_at": _utc(opened),
        "opened_at": _utc(opened),
        "first_response_at": _utc(first),
        "first_response_seconds": (first - opened).total_seconds() if first else None,
        "seconds_since_detection": (now - opened).total_seconds(),
        "target_seconds": target.total_seconds(),
        "over_target": waited > target.total_seconds(),
        "notified": list(case.notified or []),
        "closed_at": _utc(case.closed_at),
        "close_reason": case.close_reason,
        "note": case.note,
        "log": list(case.log or []),
    }


def listing(session: Session, queue: str, status: str | None = None) -> list[ReviewCase]:
    """Cases of a queue, most urgent first among open ones, then oldest first."""
    query = select(ReviewCase).where(ReviewCase.queue == queue)
    if status == "open":
        query = query.where(ReviewCase.status.in_(OPEN))
    elif status:
        query = query.where(ReviewCase.status == status)
    return list(session.scalars(query.order_by(ReviewCase.created_at, ReviewCase.id)))


def act(case: ReviewCase, action: str, *, by: str, at: datetime, note: str | None = None) -> ReviewCase:
    """Acknowledge, note or resolve a case; the first of these is its first human response."""
    if action not in ACTIONS:
        raise CaseError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if case.status == "closed":
        raise CaseError(f"case {case.id} is closed ({case.close_reason or 'resolved'})")
    at = _naive(at)
    if case.first_response_at is None:
        case.first_response_at = at
    entry: dict[str, Any] = {"action": action, "by": by, "at": _utc(at)}
    if note:
        entry["note"] = note
        case.note = note
    if action == "acknowledge" and case.status == "open":
        case.status = "acknowledged"
    if action == "resolve":
        case.status, case.closed_at, case.close_reason = "closed", at, "resolved"
    case.log = [*(case.log or []), entry]
    return case


def record_notified(session: Session, case_id: int | None, entries: list[dict[str, Any]]) -> None:
    """Add who was told (masked) and when to a case."""
    if case_id is None or not entries:
        return
    case = session.get(ReviewCase, case_id)
    if case is not None:
        case.notified = [*(case.notified or []), *entries]


def close_for_deleted_user(session: Session, user_id: str, *, at: datetime) -> int:
    """Close a user's open cases (reason ``user_data_deleted``) and detach every case from them.

    What stays is content-free: queue, category, level, requirement and times, under a
    pseudonym that cannot be turned back into the user id.
    """
    pseudonym = "deleted:" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]
    closed = affected_rows(
        session.execute(
            update(ReviewCase)
            .where(ReviewCase.user_id == user_id, ReviewCase.status.in_(OPEN))
            .values(status="closed", closed_at=_naive(at), close_reason="user_data_deleted")
        )
    )
    session.execute(
        update(ReviewCase)
        .where(ReviewCase.user_id == user_id)
        .values(user_id=pseudonym, turn_id=None, note=None, notified=[], log=[])
    )
    return closed


def figures(cases: list[ReviewCase], now: datetime, default_minutes: float) -> QueueFigures:
    """Response times against each case's target; unanswered cases past it count too."""
    now = _naive(now)
    answered = sorted(
        (c.first_response_at - _naive(c.created_at)).total_seconds() for c in cases if c.first_response_at
    )

    def late(c: ReviewCase) -> bool:
        until = c.first_response_at or (now if c.status in OPEN else None)
        return until is not None and until - _naive(c.created_at) > target_for(c, default_minutes)

    over = sum(1 for c in cases if late(c))
    median = None
    if answered:
        mid = len(answered) // 2
        median = answered[mid] if len(answered) % 2 else (answered[mid - 1] + answered[mid]) / 2
    return QueueFigures(
        waiting=sum(1 for c in cases if c.first_response_at is None and c.status in OPEN),
        answered=len(answered),
        median_first_response_s=median,
        max_first_response_s=answered[-1] if answered else None,
        over_target=over,
    )
