"""Users' data keys in the store, and the codec the gateway seals fields with (D3).

:class:`DataKeys` finds, creates, rotates and destroys each user's data key, kept
wrapped by the master key (:mod:`.master_key`) in ``rights_user_keys``;
:class:`EncryptingCodec` is what :func:`companion_guard.store.repositories.install_codec`
puts on a gateway's sessions, so message text and contact details are sealed
(:mod:`.aead`) on the way into the database. Deleting a user destroys their wrapped
data key: every ciphertext sealed under it becomes noise, in the live database and
in every backup of it (crypto-shredding). These are not API keys
(:mod:`companion_guard.service.auth`).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from companion_guard.clock import Clock, SystemClock
from companion_guard.exceptions import StoreError
from companion_guard.rights.aead import new_data_key, open_with, seal_with
from companion_guard.rights.master_key import MasterKeyRing
from companion_guard.store.db import affected_rows
from companion_guard.store.repositories import FieldCodec
from companion_guard.store.tables_rights import WrappedDataKey


class KeyDestroyed(StoreError):
    """The user's data key was destroyed (crypto-shredded) or never existed."""


def wrap_context(user_id: str) -> bytes:
    """Associated data that binds a wrapped data key to its user."""
    return f"cg1-dek\x00{user_id}".encode()


class DekCache:
    """A small LRU of unwrapped data keys, so a turn does not unwrap twice.

    Crypto-shredding evicts the user here; other replicas drop theirs when the
    entry ages out (``ttl`` is not tracked: rows are deleted with the key, so a
    stale cached key opens nothing that still exists).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str) -> bytes | None:
        """The cached key, or None."""
        with self._lock:
            dek = self._data.get(user_id)
            if dek is not None:
                self._data.move_to_end(user_id)
            return dek

    def put(self, user_id: str, dek: bytes) -> None:
        """Remember a key."""
        with self._lock:
            self._data[user_id] = dek
            self._data.move_to_end(user_id)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def evict(self, user_id: str) -> None:
        """Forget a key (after shredding)."""
        with self._lock:
            self._data.pop(user_id, None)

    def clear(self) -> None:
        """Forget every key (after rotation)."""
        with self._lock:
            self._data.clear()


#: The purpose every gateway field is sealed for (the codec has no field name).
FIELD = "field"


class DataKeys:
    """Data keys per user (or per key owner, e.g. ``complaint:<id>``), wrapped by the master ring."""

    def __init__(self, master: MasterKeyRing, *, clock: Clock | None = None, cache: DekCache | None = None):
        self.master = master
        self.clock = clock or SystemClock()
        self.cache = cache or DekCache()

    def _now(self) -> datetime:
        return self.clock.now().replace(tzinfo=None)

    def _forget_on_rollback(self, session: Session, owner: str) -> None:
        """A key made or replaced in this transaction is not cached past its rollback."""
        event.listen(session, "after_rollback", lambda _s: self.cache.evict(owner), once=True)

    def existing(self, session: Session, owner: str) -> bytes | None:
        """The owner's data key, or None when there is none (never made, or shredded)."""
        dek = self.cache.get(owner)
        if dek is not None:
            return dek
        row = session.get(WrappedDataKey, owner)
        if row is None:
            return None
        dek = self.master.unwrap(row.master_key_id, row.wrapped, wrap_context(owner))
        self.cache.put(owner, dek)
        return dek

    def ensure(self, session: Session, owner: str) -> bytes:
        """The owner's data key, made and stored on first use (race-safe across replicas)."""
        dek = self.existing(session, owner)
        if dek is not None:
            return dek
        kid, wrapped = self.master.wrap(new_data_key(), wrap_context(owner))
        values = {"user_id": owner, "master_key_id": kid, "wrapped": wrapped, "created_at": self._now()}
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        if dialect in ("postgresql", "sqlite"):
            session.execute(
                insert(WrappedDataKey).values(**values).on_conflict_do_nothing(index_elements=["user_id"])
            )
        else:  # pragma: no cover - other dialects: plain insert
            session.add(WrappedDataKey(**values))
            session.flush()
        row = session.get(WrappedDataKey, owner, populate_existing=True)
        if row is None:  # pragma: no cover - the insert above guarantees a row
            raise KeyDestroyed(f"data key for {owner!r} vanished while being created")
        dek = self.master.unwrap(row.master_key_id, row.wrapped, wrap_context(owner))
        self.cache.put(owner, dek)
        self._forget_on_rollback(session, owner)
        return dek

    def seal(self, session: Session, owner: str, plaintext: str, purpose: str = FIELD) -> str:
        """Encrypt ``plaintext`` for ``owner``."""
        return seal_with(self.ensure(session, owner), plaintext, user_id=owner, purpose=purpose)

    def open(self, session: Session, owner: str, token: str, purpose: str = FIELD) -> str:
        """Decrypt a value sealed for ``owner``.

        Raises:
            KeyDestroyed: the owner's key is gone (crypto-shredded).
            DecryptionError: the value was not sealed for this owner/purpose, or was altered.
        """
        dek = self.existing(session, owner)
        if dek is None:
            raise KeyDestroyed(f"no data key for {owner!r}: deleted, or never stored anything")
        return open_with(dek, token, user_id=owner, purpose=purpose)

    def destroy(self, session: Session, owner: str) -> bool:
        """Delete the owner's wrapped key (crypto-shredding); True if there was one."""
        self.cache.evict(owner)
        return bool(
            affected_rows(session.execute(delete(WrappedDataKey).where(WrappedDataKey.user_id == owner)))
        )

    def replace(self, session: Session, owner: str) -> tuple[bytes | None, bytes]:
        """Give the owner a fresh data key; return ``(old, new)`` so callers can re-seal."""
        old = self.existing(session, owner)
        self.destroy(session, owner)
        self._forget_on_rollback(session, owner)
        session.flush()
        return old, self.ensure(session, owner)

    def rewrap_all(self, session: Session) -> int:
        """Re-wrap every data key under the current master key (master-key rotation).

        Returns:
            How many keys were re-wrapped (those already under the current key are skipped).
        """
        current = self.master.current.key_id
        count = 0
        for row in session.scalars(select(WrappedDataKey).where(WrappedDataKey.master_key_id != current)):
            dek = self.master.unwrap(row.master_key_id, row.wrapped, wrap_context(row.user_id))
            row.master_key_id, row.wrapped = self.master.wrap(dek, wrap_context(row.user_id))
            row.rotated_at = self._now()
            count += 1
        self.cache.clear()
        return count


#: The name before the rename (``rights.keys.UserKeys``), kept for old imports.
UserKeys = DataKeys


class EncryptingCodec(FieldCodec):
    """The gateway's field codec with per-user AES-GCM (installed by the rights layer)."""

    encrypts = True

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    def seal(self, session: Session, user_id: str, plaintext: str) -> str:
        """Seal under the user's data key."""
        return self.keys.seal(session, user_id, plaintext)

    def open(self, session: Session, user_id: str, stored: str) -> str:
        """Open with the user's data key."""
        return self.keys.open(session, user_id, stored)

    def digest(self, session: Session, index: str, value: str) -> str:
        """HMAC-SHA256 under the index's own data key (owner ``index:<name>``, wrapped by the master key).

        A wrapped random key rather than one derived from the master secret: it works
        with a key-management hook (which never shows its secret) and survives master-key
        rotation, so stored digests stay valid. Without the master key nobody can test
        a guessed address against the digests.
        """
        key = self.keys.ensure(session, f"index:{index}")
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
