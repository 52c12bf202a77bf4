"""API keys and roles: keys are stored as SHA-256 only; each has a role and a subject.

These are the credentials clients send as ``Authorization: Bearer`` (table ``api_keys``,
``companion-guard keys``), not the master key or the users' data keys (:mod:`companion_guard.rights`).

Roles: ``provider`` (the provider's backend), ``operator``, ``auditor``,
``guardian`` (subject = guardian id) and ``user`` (subject = end-user id).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.exceptions import AccessDenied
from companion_guard.store.db import session_scope
from companion_guard.store.tables import ApiKey

ROLES = ("provider", "operator", "auditor", "guardian", "user")
#: Seconds a verified key is trusted without asking the database again.
CACHE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling."""

    role: str
    subject: str | None
    key_id: int


def hash_key(key: str) -> str:
    """SHA-256 hex of a key (keys are random 256-bit tokens, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(role: str) -> str:
    """A fresh random key whose prefix names its role."""
    return f"cg-{role[:4]}-{secrets.token_urlsafe(32)}"


def create_key(
    session: Session, *, role: str, subject: str | None, label: str, now: datetime, key: str | None = None
) -> str:
    """Store a new key (hashed) and return the plaintext, shown once."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    key = key or new_key(role)
    session.add(
        ApiKey(
            key_hash=hash_key(key), prefix=key[:12], role=role, subject=subject, label=label, created_at=now
        )
    )
    return key


def revoke_subject_keys(session: Session, *, role: str, subject: str, now: datetime) -> int:
    """Revoke every key of a subject (e.g. a guardian whose consent ended)."""
    keys = session.scalars(
        select(ApiKey).where(ApiKey.role == role, ApiKey.subject == subject, ApiKey.revoked_at.is_(None))
    )
    n = 0
    for key in keys:
        key.revoked_at = now
        n += 1
    return n


class ApiKeyVerifier:
    """Looks API keys up by hash, with a short cache on the hot path."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    def verify(self, key: str | None) -> Principal:
        """Return the principal of a key, or raise :class:`AccessDenied`."""
        if not key:
            raise AccessDenied("missing credentials: send `Authorization: Bearer <key>`")
        digest = hash_key(key)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            principal = hit[1]
        else:
            with session_scope(self.sessions) as session:
                row = session.scalar(
                    select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
                )
                principal = None if row is None else Principal(row.role, row.subject, row.id)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, principal)
        if principal is None:
            raise AccessDenied("invalid or revoked key")
        return principal

    def cached(self, key: str | None) -> Principal | None:
        """The principal of a key verified less than :data:`CACHE_SECONDS` ago, else ``None`` (no I/O)."""
        if not key:
            return None
        hit = self._cache.get(hash_key(key))
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        return None

    def forget(self) -> None:
        """Drop the cache (after a revocation)."""
        self._cache.clear()


def ensure_provider_key(
    sessions: sessionmaker[Session], *, configured: str, home: Path, now: datetime
) -> str | None:
    """Make sure a provider key exists.

    A key from ``COMPANION_GUARD_API_KEY`` is registered as is. Otherwise, on the
    first start, a key is made and written to ``<home>/provider-key`` (mode 0600);
    the plaintext is returned so the caller can print it once.
    """
    with session_scope(sessions) as session:
        if configured:
            if session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(configured))) is None:
                create_key(
                    session,
                    role="provider",
                    subject=None,
                    label="COMPANION_GUARD_API_KEY",
                    now=now,
                    key=configured,
                )
            return None
        if (
            session.scalar(select(ApiKey.id).where(ApiKey.role == "provider", ApiKey.revoked_at.is_(None)))
            is not None
        ):
            return None
        key = create_key(session, role="provider", subject=None, label="first start", now=now)
    home.mkdir(parents=True, exist_ok=True)
    path = home / "provider-key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
