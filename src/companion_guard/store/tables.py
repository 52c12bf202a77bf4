"""The gateway's tables (SQLAlchemy 2). Other features add theirs in ``tables_*.py`` on the same ``Base``.

Times are stored as UTC; SQLite hands them back naive, so read them through
:func:`companion_guard.clock.as_utc`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every companion-guard table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def table_of(cls: type[Base]) -> Table:
    """The Core table of a mapped class, for prebuilt statements (SQLAlchemy types ``__table__`` as any FromClause)."""
    table = cls.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{cls.__name__} is not mapped to a table")
    return table


class User(Base):
    """An end user of the provider, by the provider's own id."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    age: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[date | None] = mapped_column(Date)
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")
    #: Sensitive contact details (JSON text; encrypted at rest by the data-rights layer).
    emergency_contact: Mapped[str | None] = mapped_column(Text)
    #: The name the user registered (sealed): guardians and contacts are told who needs them (I2).
    display_name: Mapped[str | None] = mapped_column(Text)
    registered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Persona(Base):
    """A character the companion plays (``model`` on the wire)."""

    __tablename__ = "personas"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(16), default="friend")
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    upstream_model: Mapped[str] = mapped_column(String(200), default="")
    #: What the persona is for (S1): ``companion`` or a kind the Measures leave out (``customer_service`` …).
    kind: Mapped[str] = mapped_column(String(32), default="companion", server_default="companion")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Turn(Base):
    """One pass through the pipeline, recorded before the upstream is called."""

    __tablename__ = "turns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    persona_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: received → decided → completed | blocked | upstream_failed
    status: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(24), default="allow")
    max_level: Mapped[int] = mapped_column(Integer, default=0)
    input_signals: Mapped[list[Any]] = mapped_column(default=list)
    output_signals: Mapped[list[Any]] = mapped_column(default=list)
    rules: Mapped[list[Any]] = mapped_column(default=list)
    events: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)


class ChatMessage(Base):
    """A message of a turn: the user's text and the reply actually delivered."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    persona_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    #: What the upstream said when the guard replaced it (kept for review, never shown).
    original_content: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class UsageClock(Base):
    """Continuous-use clock per user, across personas and devices (I4)."""

    __tablename__ = "usage_clocks"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    session_started_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    marks_reminded: Mapped[int] = mapped_column(Integer, default=0)


class PersonaRelationship(Base):
    """When a user's relationship with a persona started (AI disclosure at the start)."""

    __tablename__ = "persona_relationships"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    persona_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    last_disclosed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReviewCase(Base):
    """A case in the human review queue (I2 high/critical crises, E1 help requests)."""

    __tablename__ = "review_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    turn_id: Mapped[str | None] = mapped_column(String(36))
    queue: Mapped[str] = mapped_column(String(32), default="crisis")
    category: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    requirement: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    #: Who was told and when: ``[{"target", "channel", "recipient" (masked), "at"}]`` — never an address.
    notified: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: Why it was closed: ``resolved`` by a person, or ``user_data_deleted``.
    close_reason: Mapped[str | None] = mapped_column(String(64))
    #: What people did: ``[{"action", "by", "at", "note"?}]``, oldest first.
    log: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class OutboxMessage(Base):
    """A notification waiting to leave (webhook, e-mail); delivered once, retried with back-off."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    turn_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    requirement: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    #: Where it goes (URL or address); sensitive (encrypted at rest by the data-rights layer).
    target: Mapped[str] = mapped_column(Text)
    recipient_masked: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiKey(Base):
    """A credential: only its SHA-256 is stored; ``role`` and ``subject`` say what it reaches."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
