"""Guardian consent (M2): invitation codes, consent records, guardian credentials.

Codes and credentials are random, shown once, and stored only as SHA-256
hashes, so a copy of the database gives nobody a way in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from companion_guard.exceptions import AccessDenied, InputError

#: How long an invitation code stays valid.
INVITATION_TTL = timedelta(days=7)
#: Alphabet without look-alikes (0/O, 1/I/L), so a code can be read over the phone.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12
TOKEN_PREFIX = "cg_guardian_"


class ConsentScope(StrEnum):
    """What a guardian agrees to (M2).

    ``service``: companion turns (and the processing of the child's messages they
    need); ``full``: the same plus top-ups within the spending cap (M4).
    """

    SERVICE = "service"
    FULL = "full"

    @classmethod
    def parse(cls, value: str | None) -> ConsentScope:
        """Accept a scope string; missing means ``full``."""
        if value is None:
            return cls.FULL
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise InputError(f"scope must be one of: {allowed}") from None

    @property
    def allows_spending(self) -> bool:
        """Whether top-ups may be authorised at all (still within the cap)."""
        return self is ConsentScope.FULL


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a code or token (what the store keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes, so ``abcd-efgh`` matches ``ABCDEFGH``."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class Invitation:
    """A fresh invitation: the code (shown once) and what the store keeps."""

    code: str
    code_hash: str
    created_at: datetime
    expires_at: datetime


def new_invitation(now: datetime, ttl: timedelta = INVITATION_TTL) -> Invitation:
    """Make a random invitation code valid for ``ttl``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    code = "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))
    return Invitation(
        code=code, code_hash=hash_secret(normalise_code(code)), created_at=now, expires_at=now + ttl
    )


def check_invitation(
    *, code: str, stored_hash: str, expires_at: datetime, used_at: datetime | None, now: datetime
) -> None:
    """Raise :class:`AccessDenied` unless ``code`` matches an unused, unexpired invitation."""
    if not hmac.compare_digest(hash_secret(normalise_code(code)), stored_hash):
        raise AccessDenied("invitation code does not match")
    if used_at is not None:
        raise AccessDenied("invitation code was already used")
    if now >= expires_at:
        raise AccessDenied("invitation code has expired")


def new_guardian_token() -> tuple[str, str]:
    """A bearer credential for a guardian and its hash: ``(token, token_hash)``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_secret(token)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """Who consented for which child, when, to what; and whether it was withdrawn."""

    user_id: str
    guardian_id: str
    scope: ConsentScope
    granted_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """In force at ``now``: granted and not (yet) revoked."""
        return self.granted_at <= now and (self.revoked_at is None or self.revoked_at > now)

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {
            "user": self.user_id,
            "guardian_id": self.guardian_id,
            "scope": self.scope.value,
            "granted_at": self.granted_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def consent_in_force(records: list[ConsentRecord], now: datetime) -> ConsentRecord | None:
    """The most recent active consent among ``records``, or ``None``."""
    active = [r for r in records if r.active(now)]
    return max(active, key=lambda r: r.granted_at) if active else None
