"""A1: when a security assessment is due (Q9), and telling the operators the first time each trigger fires.

Triggers: the service's launch and each new related feature or major technical change
an operator records; a new policy-pack or detector-model version in force (recorded by
the guard itself); registered users or monthly active users reaching the pack's
thresholds (``assessment:`` in the pack; 1,000,000 and 100,000 in cn-2026). Each fires
once: an ``assessment.due`` record, an operator notice and an audit entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from companion_guard.policy.schema import PolicyPack
from companion_guard.reports.figures import naive
from companion_guard.store.tables import Turn, User
from companion_guard.store.tables_reports import AssessmentDue, OperatorNotice, ServiceChange

_CHANGE_SWITCH = {
    "launch": "on_launch",
    "feature": "on_feature",
    "major_change": "on_major_change",
    "policy_pack": "on_pack_change",
    "detector_model": "on_model_change",
}

_TEXT = {
    "registered_users": (
        "注册用户数达到{value:,}（阈值{threshold:,}），需要开展安全评估。",
        "Registered users reached {value:,} (threshold {threshold:,}): a security assessment is due.",
    ),
    "monthly_active_users": (
        "月活跃用户数达到{value:,}（阈值{threshold:,}），需要开展安全评估。",
        "Monthly active users reached {value:,} (threshold {threshold:,}): an assessment is due.",
    ),
    "change": (
        "已记录变更「{title}」（{kind}），需要开展安全评估。",
        "Change recorded: \u201c{title}\u201d ({kind}); a security assessment is due.",
    ),
}


def counts(session: Session, *, now: datetime, window_days: int) -> dict[str, int]:
    """Registered users, and users with a turn in the last ``window_days`` days (MAU)."""
    registered = session.scalar(select(func.count()).select_from(User).where(User.registered.is_(True))) or 0
    since = naive(now) - timedelta(days=window_days)
    mau = session.scalar(select(func.count(distinct(Turn.user_id))).where(Turn.created_at >= since)) or 0
    return {"registered_users": int(registered), "monthly_active_users": int(mau)}


def fire(
    session: Session,
    *,
    trigger: str,
    kind: str,
    at: datetime,
    facts: dict[str, Any],
    message: tuple[str, str],
) -> AssessmentDue | None:
    """Record ``assessment.due`` for ``trigger`` unless it fired before; notify operators; audit it."""
    if session.scalar(select(AssessmentDue.id).where(AssessmentDue.trigger == trigger)) is not None:
        return None
    row = AssessmentDue(trigger=trigger, kind=kind, fired_at=naive(at), facts=facts)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another replica fired it at the same moment
        return None
    session.add(
        OperatorNotice(
            kind="assessment.due",
            requirement="A1",
            message_zh=message[0],
            message_en=message[1],
            data={"trigger": trigger, "due_id": row.id, **facts},
            created_at=naive(at),
        )
    )
    from companion_guard.rights import audit

    audit.append(
        session,
        actor=("system", "assessment"),
        action="assessment.due",
        at=at,
        target=trigger,
        details={"kind": kind, **{k: v for k, v in facts.items() if isinstance(v, (int, str, bool))}},
    )
    return row


def fire_for_change(
    session: Session, change: ServiceChange, *, pack: PolicyPack, at: datetime
) -> AssessmentDue | None:
    """The trigger of one recorded change, when the pack says such a change makes an assessment due."""
    switch = _CHANGE_SWITCH.get(change.kind)
    if switch is None or not getattr(pack.assessment, switch):
        return None
    zh, en = _TEXT["change"]
    return fire(
        session,
        trigger=f"{change.kind}:{change.id}",
        kind=change.kind,
        at=at,
        facts={"change_id": change.id, "title": change.title},
        message=(
            zh.format(title=change.title, kind=change.kind),
            en.format(title=change.title, kind=change.kind),
        ),
    )


def check(session: Session, *, pack: PolicyPack, now: datetime) -> list[AssessmentDue]:
    """Count users and fire the scale triggers that reached their thresholds; return what fired now."""
    cfg = pack.assessment
    got = counts(session, now=now, window_days=cfg.mau_window_days)
    fired = []
    for key, threshold in (
        ("registered_users", cfg.registered_users),
        ("monthly_active_users", cfg.monthly_active_users),
    ):
        value = got[key]
        if value < threshold:
            continue
        zh, en = _TEXT[key]
        row = fire(
            session,
            trigger=key,
            kind="user_scale",
            at=now,
            facts={"value": value, "threshold": threshold},
            message=(
                zh.format(value=value, threshold=threshold),
                en.format(value=value, threshold=threshold),
            ),
        )
        if row is not None:
            fired.append(row)
    return fired


def due(session: Session) -> list[AssessmentDue]:
    """Every trigger that fired, newest first."""
    return list(
        session.scalars(
            select(AssessmentDue).order_by(AssessmentDue.fired_at.desc(), AssessmentDue.id.desc())
        )
    )


def notices(session: Session, *, unread: bool = False) -> list[OperatorNotice]:
    """Operator notices, newest first."""
    query = select(OperatorNotice)
    if unread:
        query = query.where(OperatorNotice.read_at.is_(None))
    return list(session.scalars(query.order_by(OperatorNotice.created_at.desc(), OperatorNotice.id.desc())))


def due_view(row: AssessmentDue) -> dict[str, Any]:
    """An ``assessment.due`` record as the API and CLI show it."""
    return {
        "id": row.id,
        "trigger": row.trigger,
        "kind": row.kind,
        "fired_at": row.fired_at.isoformat() + "Z",
        "facts": dict(row.facts or {}),
        "assessed_at": row.assessed_at.isoformat() + "Z" if row.assessed_at else None,
        "event": "assessment.due",
        "requirement": "A1",
    }
