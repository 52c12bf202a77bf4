"""The append-only, hash-chained audit log (D1).

Each entry's hash covers its fields and the previous entry's hash, so editing or
removing any entry breaks every link after it; the head row anchors the tail, so
cutting entries off the end shows too. Appends lock the head row, so replicas on
PostgreSQL write one chain. Database triggers (migration ``0003_rights``) refuse
UPDATE and DELETE on the log. Entries never hold user content: reasons, ids and
counts only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from companion_guard.rights.roles import Principal
from companion_guard.store.tables_rights import AuditEntry, AuditHead

GENESIS = "0" * 64


class AuditAction:
    """The action names the log uses (plain strings on purpose: they are data)."""

    CONTENT_READ = "content.read"
    EXPORT = "user.export"
    TRANSFER = "user.transfer"
    DELETE_USER = "user.delete"
    DELETE_CONVERSATION = "conversation.delete"
    QUIT = "user.quit"
    CONSENT_GRANT = "consent.grant"
    CONSENT_WITHDRAW = "consent.withdraw"
    RESTRICT = "risk.restrict"
    LIFT = "risk.lift"
    SUSPEND = "risk.suspend"
    KILL_SWITCH = "risk.kill_switch"
    NOTICE = "notice.schedule"
    NOTICE_CANCEL = "notice.cancel"
    INCIDENT = "incident.update"
    COMPLAINT_UPDATE = "complaint.update"
    DECISION = "decision.high_risk"
    KEY_ROTATE = "keys.rotate"


def _iso(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor_role: str,
    actor_id: str,
    action: str,
    subject_user: str | None,
    target: str,
    reason: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical JSON of one entry (what :func:`verify` recomputes)."""
    body = {
        "seq": seq,
        "at": _iso(at),
        "actor_role": actor_role,
        "actor_id": actor_id,
        "action": action,
        "subject_user": subject_user,
        "target": target,
        "reason": reason,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    # A no-op write first: on SQLite it takes the write lock before the head is read
    # (SELECT … FOR UPDATE means nothing there), so concurrent appends queue up.
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def append(
    session: Session,
    *,
    actor: Principal | tuple[str, str],
    action: str,
    at: datetime,
    subject_user: str | None = None,
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry at the end of the chain (inside the caller's transaction).

    Args:
        actor: who did it: a principal, or ``(role, id)`` for the system itself.
        action: an :class:`AuditAction` name.
        at: when (UTC).
        subject_user: the user the action concerns, if any.
        target: what was acted on (complaint id, persona id, flow id …).
        reason: why, in the actor's words (required for content reads by the routes).
        details: content-free facts (counts, levels, ids).
    """
    role, actor_id = (actor.role.value, actor.subject) if isinstance(actor, Principal) else actor
    head = _lock_head(session)
    at = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    details = json.loads(json.dumps(details or {}, default=str))
    seq = head.seq + 1
    digest = entry_hash(
        seq=seq,
        at=at,
        actor_role=role,
        actor_id=actor_id,
        action=action,
        subject_user=subject_user,
        target=target,
        reason=reason,
        details=details,
        prev_hash=head.hash,
    )
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_role=role,
        actor_id=actor_id,
        action=action,
        subject_user=subject_user,
        target=target,
        reason=reason,
        details=details,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class Problem:
    """One break in the chain."""

    seq: int
    kind: str  # edited | missing | reordered | truncated | head
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` found."""

    entries: int
    head_seq: int
    head_hash: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the chain is whole."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": [{"seq": p.seq, "kind": p.kind, "detail": p.detail} for p in self.problems],
        }


def check_chain(rows: Iterable[AuditEntry], *, head: AuditHead | None) -> VerifyReport:
    """Check a sequence of entries (ordered by ``seq``) against itself and the head."""
    problems: list[Problem] = []
    prev_hash, expected_seq, count, last_seq = GENESIS, 1, 0, 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            kind = "missing" if row.seq > expected_seq else "reordered"
            problems.append(Problem(expected_seq, kind, f"expected entry {expected_seq}, found {row.seq}"))
        if row.prev_hash != prev_hash:
            problems.append(Problem(row.seq, "missing", "previous-hash link does not match the entry before"))
        digest = entry_hash(
            seq=row.seq,
            at=row.at,
            actor_role=row.actor_role,
            actor_id=row.actor_id,
            action=row.action,
            subject_user=row.subject_user,
            target=row.target,
            reason=row.reason,
            details=row.details or {},
            prev_hash=row.prev_hash,
        )
        if digest != row.hash:
            problems.append(Problem(row.seq, "edited", "content does not match its hash"))
        prev_hash, expected_seq, last_seq = row.hash, row.seq + 1, row.seq
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    if head_seq > last_seq:
        problems.append(
            Problem(last_seq + 1, "truncated", f"head says {head_seq} entries, log ends at {last_seq}")
        )
    elif head_hash != prev_hash:
        problems.append(Problem(last_seq, "head", "last entry's hash differs from the recorded head"))
    return VerifyReport(entries=count, head_seq=head_seq, head_hash=head_hash, problems=tuple(problems))


def _stream(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(session: Session) -> VerifyReport:
    """Walk the whole log and report every edited, removed or truncated entry."""
    head = session.get(AuditHead, 1)
    head_copy = None if head is None else AuditHead(id=1, seq=head.seq, hash=head.hash)
    return check_chain(_stream(session), head=head_copy)


def entries(
    session: Session,
    *,
    subject_user: str | None = None,
    action: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[AuditEntry]:
    """Read entries (for auditors and for a user's own export)."""
    q = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(limit)
    if subject_user is not None:
        q = q.where(AuditEntry.subject_user == subject_user)
    if action is not None:
        q = q.where(AuditEntry.action == action)
    return list(session.scalars(q))


def entry_dict(row: AuditEntry) -> dict[str, Any]:
    """Plain JSON form of an entry."""
    return {
        "seq": row.seq,
        "at": _iso(row.at),
        "actor_role": row.actor_role,
        "actor_id": row.actor_id,
        "action": row.action,
        "subject_user": row.subject_user,
        "target": row.target,
        "reason": row.reason,
        "details": row.details or {},
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }
