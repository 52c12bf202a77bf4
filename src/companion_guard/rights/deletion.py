"""Deletion (D4) by crypto-shredding, and quitting (closing the account).

Deleting a user removes their rows from every per-user table, destroys their
data key (so any copy of the ciphertext, in a backup or a free page, is noise)
and leaves only a receipt with counts, never content. Deleting one conversation
removes its rows and gives the user a new data key, re-sealing what remains, so
the old conversation's ciphertext is shredded as well.

On SQLite, deletion runs with ``secure_delete`` on and checkpoints the WAL
afterwards (:func:`scrub_sqlite`), so neither freed pages nor the journal keep
the wrapped key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from companion_guard.rights.aead import DecryptionError, is_sealed, open_with, seal_with
from companion_guard.rights.data_keys import DataKeys
from companion_guard.rights.datamap import SEALED_COLUMNS, user_tables  # noqa: F401 - the list re-keying covers
from companion_guard.rights.timefmt import iso, naive
from companion_guard.store.db import affected_rows
from companion_guard.store.preload import get_row
from companion_guard.store.tables_rights import Account, DeletionReceipt

#: Per-conversation tables: (table, persona column). Rows of one user × persona.
CONVERSATION_TABLES: dict[str, str] = {
    "messages": "persona_id",
    "turns": "persona_id",
    "persona_relationships": "persona_id",
}


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a deletion did, without content."""

    id: str
    user_id: str
    scope: str
    persona_id: str | None
    completed_at: datetime
    rows_deleted: dict[str, int]
    key_destroyed: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "receipt_id": self.id,
            "user_id": self.user_id,
            "scope": self.scope,
            "persona_id": self.persona_id,
            "completed_at": iso(self.completed_at),
            "rows_deleted": self.rows_deleted,
            "key_destroyed": self.key_destroyed,
        }


def _secure(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def _receipt(
    session: Session,
    *,
    user_id: str,
    scope: str,
    persona_id: str | None,
    by: str,
    at: datetime,
    counts: dict[str, int],
    destroyed: bool,
) -> Receipt:
    row = DeletionReceipt(
        id=str(uuid.uuid4()),
        user_id=user_id,
        scope=scope,
        persona_id=persona_id,
        requested_by=by,
        completed_at=naive(at),
        rows_deleted=counts,
        key_destroyed=destroyed,
    )
    session.add(row)
    session.flush()
    return Receipt(row.id, user_id, scope, persona_id, naive(at), counts, destroyed)


def _drop_credentials(session: Session, user_id: str) -> int:
    from companion_guard.store.tables import ApiKey

    return affected_rows(
        session.execute(delete(ApiKey).where(ApiKey.role == "user", ApiKey.subject == user_id))
    )


def delete_user(session: Session, keys: DataKeys, user_id: str, *, by: str, at: datetime) -> Receipt:
    """Delete everything of a user and shred their key (inside the caller's transaction).

    Open review cases are closed with the reason ``user_data_deleted`` first and kept
    only as content-free records under a pseudonym, for the assessment report's counts.
    The provider-declared guardian contact is cleared wherever it was copied into a
    guardian's account (while the profile and the key that open it still exist).
    """
    from companion_guard.guardians.repository import forget_declared_copies
    from companion_guard.store.cases import close_for_deleted_user

    _secure(session)
    counts: dict[str, int] = {}
    closed = close_for_deleted_user(session, user_id, at=naive(at))
    if closed:
        counts["review_cases_closed"] = closed
    cleared = forget_declared_copies(session, user_id)
    if cleared:
        counts["guardian_contacts_cleared"] = cleared
    for ut in reversed(user_tables()):
        if ut.mode != "delete":
            continue
        n = affected_rows(session.execute(delete(ut.table).where(ut.key == user_id)))
        if n:
            counts[ut.name] = n
    destroyed = keys.destroy(session, user_id)
    return _receipt(
        session,
        user_id=user_id,
        scope="user",
        persona_id=None,
        by=by,
        at=at,
        counts=counts,
        destroyed=destroyed,
    )


def _reseal_value(value: Any, old: bytes, new: bytes, *, user_id: str, purpose: str) -> tuple[Any, int]:
    """``value`` with every sealed string in it (nested in JSON too) re-sealed; and how many."""
    if isinstance(value, dict):
        out, n = {}, 0
        for k, v in value.items():
            out[k], m = _reseal_value(v, old, new, user_id=user_id, purpose=purpose)
            n += m
        return out, n
    if isinstance(value, list):
        items = [_reseal_value(v, old, new, user_id=user_id, purpose=purpose) for v in value]
        return [v for v, _ in items], sum(m for _, m in items)
    if not is_sealed(value):
        return value, 0
    try:
        plain = open_with(old, value, user_id=user_id, purpose=purpose)
    except DecryptionError:
        return value, 0  # sealed for another owner (e.g. a public complaint key)
    return seal_with(new, plain, user_id=user_id, purpose=purpose), 1


def _reseal_user(session: Session, keys: DataKeys, user_id: str, old: bytes, new: bytes) -> int:
    """Re-seal every sealed value of the user (:data:`SEALED_COLUMNS`) from ``old`` to ``new``."""
    count = 0
    for ut in user_tables():
        cols = ut.sealed_columns
        if ut.mode == "retain" or not cols:
            continue
        pk = list(ut.table.primary_key.columns)
        rows = session.execute(select(*pk, *cols).where(ut.key == user_id)).mappings().all()
        for row in rows:
            changes: dict[str, Any] = {}
            for col in cols:
                value, n = _reseal_value(row[col.name], old, new, user_id=user_id, purpose=ut.purpose)
                if n:
                    changes[col.name] = value
                    count += n
            if changes:
                session.execute(update(ut.table).where(*(c == row[c.name] for c in pk)).values(**changes))
    return count


def delete_conversation(
    session: Session, keys: DataKeys, user_id: str, persona_id: str, *, by: str, at: datetime
) -> Receipt:
    """Delete one user × persona conversation, then re-key the user so its ciphertext is shredded."""
    _secure(session)
    tables = {ut.name: ut for ut in user_tables()}
    counts: dict[str, int] = {}
    for name in ("messages", "persona_relationships", "turns"):
        ut = tables.get(name)
        if ut is None:
            continue
        col = ut.table.c[CONVERSATION_TABLES[name]]
        n = affected_rows(session.execute(delete(ut.table).where(ut.key == user_id, col == persona_id)))
        if n:
            counts[name] = n
    destroyed = False
    old = keys.existing(session, user_id)
    if old is not None:
        _, new = keys.replace(session, user_id)
        _reseal_user(session, keys, user_id, old, new)
        destroyed = True
    return _receipt(
        session,
        user_id=user_id,
        scope="conversation",
        persona_id=persona_id,
        by=by,
        at=at,
        counts=counts,
        destroyed=destroyed,
    )


def conversation_exists(session: Session, user_id: str, persona_id: str) -> bool:
    """Whether the user has any message with this persona."""
    ut = {u.name: u for u in user_tables()}.get("messages")
    if ut is None:
        return False
    return bool(
        session.scalar(
            select(func.count())
            .select_from(ut.table)
            .where(ut.key == user_id, ut.table.c.persona_id == persona_id)
        )
    )


def scrub_sqlite(engine: Engine) -> None:
    """After a deletion on SQLite: fold the WAL into the database and truncate it."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


# --------------------------------------------------------------------------- accounts


def account_status(session: Session, user_id: str) -> str:
    """``active`` or ``closed`` (the turn path preloads the row or its absence)."""
    row = get_row(session, Account, user_id)
    return "active" if row is None else row.status


def close_account(
    session: Session, keys: DataKeys, user_id: str, *, delete_data: bool, by: str, at: datetime
) -> tuple[Account, Receipt | None]:
    """Quit: close the account in one step, deleting the data unless the user keeps it."""
    receipt = delete_user(session, keys, user_id, by=by, at=at) if delete_data else None
    _drop_credentials(session, user_id)  # a closed account keeps no way in
    row = session.get(Account, user_id)
    if row is None:
        row = Account(user_id=user_id, status="closed", closed_at=naive(at), updated_at=naive(at))
        session.add(row)
    else:
        row.status, row.closed_at, row.updated_at = "closed", naive(at), naive(at)
    session.flush()
    return row, receipt


def reopen_account(session: Session, user_id: str, *, at: datetime) -> Account:
    """Open a closed account again (the user came back)."""
    row = session.get(Account, user_id)
    if row is None:
        row = Account(user_id=user_id, status="active", updated_at=naive(at))
        session.add(row)
    row.status, row.closed_at, row.updated_at = "active", None, naive(at)
    session.flush()
    return row
