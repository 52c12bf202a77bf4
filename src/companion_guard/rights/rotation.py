"""Master-key rotation (D3): re-wrap every user's data key under a new master key.

User data is not re-encrypted (the data keys stay); only their wrapping changes,
so rotation is quick and a crash half-way loses nothing: the key file keeps the
old key beside the new one until every data key is re-wrapped and committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.exceptions import ConfigError
from companion_guard.rights import audit
from companion_guard.rights.audit import AuditAction
from companion_guard.rights.data_keys import DataKeys
from companion_guard.rights.master_key import MasterKey, MasterKeyRing
from companion_guard.rights.master_key_file import KeyFile
from companion_guard.rights.master_key_loading import (
    ENV_KEY_FILE,
    ENV_KMS_HOOK,
    ENV_MASTER_KEY,
    load_master_keyring,
)
from companion_guard.store.db import session_scope


@dataclass(frozen=True, slots=True)
class RotationResult:
    """What a rotation did."""

    source: str
    old_key_ids: tuple[str, ...]
    new_key_id: str
    rewrapped: int


def _rewrap(
    sessions: sessionmaker[Session], ring: MasterKeyRing, clock: Clock, source: str, old_ids: tuple[str, ...]
) -> int:
    keys = DataKeys(ring, clock=clock)
    with session_scope(sessions) as session:
        count = keys.rewrap_all(session)
        audit.append(
            session,
            actor=("system", "cli"),
            action=AuditAction.KEY_ROTATE,
            at=clock.now(),
            target=ring.current.key_id,
            details={"source": source, "rewrapped": count, "retired": list(old_ids)},
        )
    return count


def rotate(
    sessions: sessionmaker[Session], *, key_file: Path, clock: Clock, env: Mapping[str, str]
) -> RotationResult:
    """Rotate the master key wherever it lives.

    - key file (embedded default): a new key is made, every data key re-wrapped,
      then the old key is removed from the file;
    - ``COMPANION_GUARD_MASTER_KEY``: put the new key there and the old one(s) in
      ``COMPANION_GUARD_MASTER_KEY_PREVIOUS``; this re-wraps everything under the new one;
    - a key-management hook: re-wraps whatever is not under the hook's current key.

    ``env`` is the master-key settings by their variable names (:meth:`Settings.key_env`).
    """
    if env.get(ENV_KMS_HOOK) or env.get(ENV_MASTER_KEY):
        ring = load_master_keyring(key_file=key_file, env=env, create=False)
        old = tuple(k for k in ring.key_ids if k != ring.current.key_id)
        count = _rewrap(sessions, ring, clock, ring.source, old)
        return RotationResult(ring.source, old, ring.current.key_id, count)
    path = Path(env[ENV_KEY_FILE]) if env.get(ENV_KEY_FILE) else key_file
    kf = KeyFile(path)
    if not kf.exists():
        raise ConfigError(f"no master key file at {path}; start the gateway once, or point --home at it")
    current, previous = kf.read()
    new = MasterKey.generate()
    kf.write(new, (*previous, current))  # both readable while re-wrapping
    ring = MasterKeyRing(new, (*previous, current), source=f"file:{path}")
    old_ids = tuple(k.key_id for k in (*previous, current))
    count = _rewrap(sessions, ring, clock, ring.source, old_ids)
    kf.write(new)  # every data key is under the new key now: retire the old ones
    return RotationResult(ring.source, old_ids, new.key_id, count)
