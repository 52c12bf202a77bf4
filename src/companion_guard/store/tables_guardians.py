"""Tables for minors, guardians and the elderly (M1–M4, E1, I3).

E1 help requests use the gateway's ``review_cases`` (queue ``elderly_help``).

No message content lives here: activity rows keep time, persona and event kinds
only, so a guardian's overview and an under-14 user's pending state hold no text.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from companion_guard.store.tables import Base

_TS = DateTime(timezone=True)


class GuardianProfile(Base):
    """Per-user protective settings and the state the minor/elderly/dependency rules need."""

    __tablename__ = "guardian_profiles"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    age_verification: Mapped[str] = mapped_column(String(16), default="unknown")
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    minor_mode: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    guardian_contact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    persona_blocklist: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    spending_cap: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    possible_minor_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    elderly_onboarded_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    last_reality_reminder_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    last_dependency_reminder_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    dependency_notified_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    dependency_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    dependency_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)


class GuardianAccount(Base):
    """A guardian; their bearer credential is an ``api_keys`` row (role ``guardian``, hashed).

    ``name``, ``email`` and ``webhook`` are sealed under the guardian's own data key
    (owner ``guardian:<id>``, not a ward's: the account outlives any one ward's
    erasure). ``email_digest`` is a keyed hash of the normalised address, for lookups
    by e-mail without opening every row (:mod:`companion_guard.guardians.accounts`).
    """

    __tablename__ = "guardian_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    email: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    webhook: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(_TS)


class GuardianInvitation(Base):
    """An invitation code (hashed) that lets one guardian consent for one user (M2)."""

    __tablename__ = "guardian_invitations"
    #: A consent is a record about the account, kept (and exported) when the child's data is deleted (D4).
    __table_args__ = {"info": {"user_data": "export"}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(_TS)
    expires_at: Mapped[datetime] = mapped_column(_TS)
    used_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    guardian_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("guardian_accounts.id", ondelete="SET NULL"), nullable=True
    )


class GuardianConsent(Base):
    """Who consented for which user, when, to what scope; and when it was withdrawn (M2)."""

    __tablename__ = "guardian_consents"
    #: A consent is a record about the account, kept (and exported) when the child's data is deleted (D4).
    __table_args__ = {"info": {"user_data": "export"}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    guardian_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("guardian_accounts.id", ondelete="CASCADE")
    )
    scope: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(_TS)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)


class GuardianAlert(Base):
    """A safety alert for a ward's guardians (M4): crisis, dependency, blocked persona, spending."""

    __tablename__ = "guardian_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    requirement: Mapped[str] = mapped_column(String(8))
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(_TS, index=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class GuardianActivity(Base):
    """One turn of a user as the guardian rules see it: time, persona, events; never text."""

    __tablename__ = "guardian_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    at: Mapped[datetime] = mapped_column(_TS, index=True)
    persona_id: Mapped[str] = mapped_column(String(128))
    served: Mapped[bool] = mapped_column(Boolean, default=True)
    dependency_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    event_kinds: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class WalletAuthorization(Base):
    """Every top-up decision the wallet route gave (M4)."""

    __tablename__ = "wallet_authorizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(_TS)


__all__ = [
    "GuardianAccount",
    "GuardianActivity",
    "GuardianAlert",
    "GuardianConsent",
    "GuardianInvitation",
    "GuardianProfile",
    "WalletAuthorization",
]
