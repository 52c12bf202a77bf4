"""Complaints, appeals and reports (D4), with status and timestamps for response times.

Users file them about their own account; the public files complaints and reports
without an account and gets a tracking token. Text is sealed at rest under the
user's key (or the complaint's own key for the public), so deleting a user shreds
their complaint text while the handling record (status, times) stays for reports.

Status flow: ``open`` → ``in_progress`` → ``answered`` → ``closed`` (an answered
complaint may be reopened to ``in_progress``; ``closed`` is final).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.rights.aead import DecryptionError
from companion_guard.rights.data_keys import DataKeys, KeyDestroyed
from companion_guard.rights.timefmt import aware, iso, naive
from companion_guard.store.tables_rights import Complaint

KINDS = ("complaint", "appeal", "report")
PUBLIC_KINDS = ("complaint", "report")
STATUSES = ("open", "in_progress", "answered", "closed")
_NEXT = {
    "open": {"in_progress", "answered", "closed"},
    "in_progress": {"answered", "closed"},
    "answered": {"in_progress", "closed"},
    "closed": set(),
}
MAX_TEXT = 8000
PURPOSE = "complaint"


@dataclass(frozen=True, slots=True)
class Filed:
    """A filed complaint plus, for the public, the token to follow it."""

    complaint: Complaint
    token: str | None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean(text: str, field: str, *, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InputError(f"{field} must not be empty")
    if len(text) > MAX_TEXT:
        raise InputError(f"{field} is longer than {MAX_TEXT} characters")
    return text


def file(
    session: Session,
    keys: DataKeys,
    *,
    kind: str,
    subject: str,
    body: str,
    at: datetime,
    user_id: str | None,
    contact: str | None = None,
    message_ref: str | None = None,
) -> Filed:
    """File a complaint, appeal or report.

    Args:
        user_id: the filer when known; ``None`` for the public (then a token is issued).
        message_ref: optional id of the message or turn it is about.

    Raises:
        InputError: unknown kind, empty text, or an appeal without an account.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}")
    if user_id is None and kind not in PUBLIC_KINDS:
        raise InputError("an appeal concerns an account: file it as that user")
    cid = str(uuid.uuid4())
    owner = user_id if user_id is not None else f"complaint:{cid}"
    token = None if user_id is not None else secrets.token_urlsafe(24)
    contact_text = _clean(contact or "", "contact", required=False)
    row = Complaint(
        id=cid,
        kind=kind,
        status="open",
        user_id=user_id,
        key_owner=owner,
        subject=keys.seal(session, owner, _clean(subject, "subject"), PURPOSE),
        body=keys.seal(session, owner, _clean(body, "body"), PURPOSE),
        contact=keys.seal(session, owner, contact_text, PURPOSE) if contact_text else None,
        message_ref=(message_ref or None) and message_ref[:64],
        token_hash=None if token is None else _hash_token(token),
        created_at=naive(at),
        updated_at=naive(at),
    )
    session.add(row)
    session.flush()
    return Filed(row, token)


def get(session: Session, complaint_id: str) -> Complaint:
    """The complaint, or :class:`NotFoundError`."""
    row = session.get(Complaint, complaint_id)
    if row is None:
        raise NotFoundError(f"no complaint {complaint_id!r}")
    return row


def token_matches(row: Complaint, token: str) -> bool:
    """Whether a public filer's token opens this complaint (constant time)."""
    return row.token_hash is not None and secrets.compare_digest(row.token_hash, _hash_token(token))


def update(
    session: Session,
    keys: DataKeys,
    complaint_id: str,
    *,
    by: str,
    at: datetime,
    status: str | None = None,
    answer: str | None = None,
    assignee: str | None = None,
) -> Complaint:
    """Triage: assign, move status, answer. Stamps first response, answer and close times.

    Raises:
        InputError: a status move the flow does not allow.
    """
    row = get(session, complaint_id)
    now = naive(at)
    if answer is not None:
        row.answer = keys.seal(session, row.key_owner, _clean(answer, "answer"), PURPOSE)
        row.answered_at = now
        if status is None and row.status in ("open", "in_progress"):
            status = "answered"
    if assignee is not None:
        row.assignee = assignee[:160] or None
    if status is not None and status != row.status:
        if status not in STATUSES:
            raise InputError(f"status must be one of {', '.join(STATUSES)}")
        if status not in _NEXT[row.status]:
            raise InputError(f"a {row.status} complaint cannot move to {status}")
        row.status = status
        if status == "closed":
            row.closed_at = now
    if row.first_response_at is None and (answer is not None or status is not None or assignee is not None):
        row.first_response_at = now
    row.updated_at = now
    session.flush()
    return row


def listing(
    session: Session, *, status: str | None = None, user_id: str | None = None, limit: int = 200
) -> list[Complaint]:
    """Complaints, oldest open first (the triage order)."""
    q = select(Complaint).order_by(Complaint.created_at).limit(limit)
    if status:
        q = q.where(Complaint.status == status)
    if user_id is not None:
        q = q.where(Complaint.user_id == user_id)
    return list(session.scalars(q))


def _open(session: Session, keys: DataKeys, row: Complaint, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return keys.open(session, row.key_owner, value, PURPOSE)
    except (KeyDestroyed, DecryptionError):
        return None


def complaint_dict(
    session: Session, keys: DataKeys, row: Complaint, *, with_text: bool = True
) -> dict[str, Any]:
    """Plain JSON form; response times in seconds where known."""
    created = aware(row.created_at)
    out: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "user_id": row.user_id,
        "message_ref": row.message_ref,
        "assignee": row.assignee,
        "created_at": iso(row.created_at),
        "first_response_at": iso(row.first_response_at),
        "answered_at": iso(row.answered_at),
        "closed_at": iso(row.closed_at),
        "updated_at": iso(row.updated_at),
        "first_response_seconds": None
        if row.first_response_at is None
        else (aware(row.first_response_at) - created).total_seconds(),
        "resolution_seconds": None
        if row.closed_at is None
        else (aware(row.closed_at) - created).total_seconds(),
    }
    if with_text:
        out.update(
            subject=_open(session, keys, row, row.subject),
            body=_open(session, keys, row, row.body),
            contact=_open(session, keys, row, row.contact),
            answer=_open(session, keys, row, row.answer),
        )
    return out


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def stats(session: Session, *, since: datetime | None = None) -> dict[str, Any]:
    """Counts and response times for reports (A2: handling of complaints and reports)."""
    q = select(Complaint)
    if since is not None:
        q = q.where(Complaint.created_at >= naive(since))
    rows = list(session.scalars(q))
    by_kind: dict[str, int] = {}
    by_status: dict[str, int] = {}
    first, resolve = [], []
    for r in rows:
        by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
        by_status[r.status] = by_status.get(r.status, 0) + 1
        if r.first_response_at is not None:
            first.append((aware(r.first_response_at) - aware(r.created_at)).total_seconds())
        if r.closed_at is not None:
            resolve.append((aware(r.closed_at) - aware(r.created_at)).total_seconds())
    return {
        "total": len(rows),
        "by_kind": by_kind,
        "by_status": by_status,
        "first_response_seconds": {
            "n": len(first),
            "p50": _percentile(first, 0.5),
            "p90": _percentile(first, 0.9),
        },
        "resolution_seconds": {
            "n": len(resolve),
            "p50": _percentile(resolve, 0.5),
            "p90": _percentile(resolve, 0.9),
        },
    }
