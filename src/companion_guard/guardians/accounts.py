"""Guardian accounts' contact details, sealed at rest under the guardian's own key (D3).

A guardian is a person of their own, often bound to several wards, so their name,
e-mail and webhook are sealed under a data key of theirs (owner ``guardian:<id>``)
rather than under any ward's: erasing one ward's data (crypto-shredding that ward's
key) leaves the guardian reachable for the other wards, and nothing of the erased
ward in the account (:func:`companion_guard.guardians.repository.forget_declared_copies`
clears copies of the ward's declared contact first). The e-mail also has a keyed hash
beside it (:meth:`~companion_guard.store.repositories.FieldCodec.digest`) so an account
can be found by address without opening every row.

Databases written before sealing hold plain values: they are read as they are, and
:func:`seal_plain_accounts` (run once at every start; a sealed value is recognisable
by its ``cg1:`` prefix) seals them in place. The Alembic migration cannot do it: it
runs without the master key.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Engine, String, cast, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.rights.aead import PREFIX, is_sealed
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables_guardians import GuardianAccount, GuardianProfile

log = logging.getLogger("companion_guard.guardians")

#: The contact fields an account keeps, each sealed.
FIELDS = ("name", "email", "webhook")
#: What the e-mail digest is keyed for (one key for every guardian's address).
EMAIL_INDEX = "guardian-email"


def owner(guardian_id: str) -> str:
    """The key owner a guardian's fields are sealed under."""
    return f"guardian:{guardian_id}"


def normalised_email(email: str) -> str:
    """The form an address is hashed in: trimmed and case-folded."""
    return email.strip().casefold()


def email_digest(session: Session, email: str) -> str:
    """The keyed hash stored beside a sealed e-mail (and looked up by)."""
    return repo.codec_for(session).digest(session, EMAIL_INDEX, normalised_email(email))


def contact_of(session: Session, account: GuardianAccount) -> dict[str, str]:
    """The account's contact, opened: only the fields it has."""
    codec = repo.codec_for(session)
    out: dict[str, str] = {}
    for field in FIELDS:
        stored = getattr(account, field)
        if stored:
            out[field] = codec.open(session, owner(account.id), stored) if is_sealed(stored) else stored
    return out


def set_contact(session: Session, account: GuardianAccount, contact: dict[str, Any]) -> None:
    """Store ``contact``'s name, e-mail and webhook sealed (a missing or empty field is cleared)."""
    codec = repo.codec_for(session)
    for field in FIELDS:
        value = contact.get(field)
        setattr(account, field, codec.seal(session, owner(account.id), str(value)) if value else None)
    email = contact.get("email")
    account.email_digest = email_digest(session, str(email)) if email else None


def by_email(session: Session, email: str) -> list[GuardianAccount]:
    """Accounts with this address (case-insensitive), found by the digest: no row is opened."""
    digest = email_digest(session, email)
    return list(
        session.scalars(
            select(GuardianAccount).where(GuardianAccount.email_digest == digest).order_by(GuardianAccount.id)
        )
    )


def _plain(column: Any) -> Any:
    return column.is_not(None) & column.not_like(f"{PREFIX}%")


def seal_plain_accounts(session: Session) -> int:
    """Seal every account field still in plain text and fill missing digests; how many accounts changed.

    Idempotent: sealed rows are not selected again. Under a codec that does not
    encrypt nothing is sealed. Two replicas starting together may both seal a row;
    either result opens.
    """
    rows = session.scalars(
        select(GuardianAccount).where(
            or_(
                *(_plain(getattr(GuardianAccount, f)) for f in FIELDS),
                GuardianAccount.email.is_not(None) & GuardianAccount.email_digest.is_(None),
            )
        )
    ).all()
    changed = 0
    for account in rows:
        before = [getattr(account, f) for f in (*FIELDS, "email_digest")]
        set_contact(session, account, contact_of(session, account))
        changed += before != [getattr(account, f) for f in (*FIELDS, "email_digest")]
    return changed


def seal_plain_declared(session: Session) -> int:
    """Seal provider-declared guardian contacts still stored as plain JSON (under the ward's key)."""
    as_text = cast(GuardianProfile.guardian_contact, String)
    rows = session.scalars(
        select(GuardianProfile).where(as_text.like("{%"), as_text.not_like('{"sealed"%'))
    ).all()
    codec = repo.codec_for(session)
    changed = 0
    for row in rows:
        stored = row.guardian_contact
        if not isinstance(stored, dict) or not stored or "sealed" in stored:
            continue
        sealed = codec.seal(session, row.user_id, json.dumps(stored, ensure_ascii=False))
        if is_sealed(sealed):
            row.guardian_contact = {"sealed": sealed}
            changed += 1
    return changed


def seal_at_start(sessions: sessionmaker[Session]) -> int:
    """The start-up pass: seal what older versions stored in plain text; how many rows changed.

    On SQLite the plain bytes must not outlive the update in freed cells or the WAL:
    ``secure_delete`` zeroes what the update frees, and a truncating checkpoint empties
    the journal (as deletion does, :func:`companion_guard.rights.deletion.scrub_sqlite`).
    """
    with session_scope(sessions) as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            session.execute(text("PRAGMA secure_delete=ON"))
        changed = seal_plain_accounts(session) + seal_plain_declared(session)
        bind = session.get_bind()
    if changed:
        if sqlite and isinstance(bind, Engine):
            with bind.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        log.info("sealed the contact details of %d guardian row(s) stored in plain text", changed)
    return changed


__all__ = [
    "EMAIL_INDEX",
    "FIELDS",
    "by_email",
    "contact_of",
    "email_digest",
    "normalised_email",
    "owner",
    "seal_at_start",
    "seal_plain_accounts",
    "seal_plain_declared",
]
