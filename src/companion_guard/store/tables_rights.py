"""Tables of the data-rights layer (D1, D3, D4, D5), on the gateway's ``Base``.

``info={"user_data": ...}`` tells export and deletion what to do with a table that
holds a ``user_id`` (see :mod:`companion_guard.rights.datamap`):
``retain`` keeps content-free records (audit, receipts, flow log), ``export`` shows
the rows in an export but keeps them on deletion (their sealed text dies with the
user's key). Tables without the mark are exported and deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from companion_guard.store.tables import Base

RETAIN = {"user_data": "retain"}
EXPORT_ONLY = {"user_data": "export"}


class WrappedDataKey(Base):
    """A user's data key, wrapped by the master key. Deleting the row shreds the user's data.

    Not an API key (``ApiKey``): see :mod:`companion_guard.rights.data_keys`.
    """

    __tablename__ = "rights_user_keys"
    __table_args__ = {"info": RETAIN}

    user_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Account(Base):
    """Whether a user closed their account (D4 quit). Content-free; kept after deletion."""

    __tablename__ = "rights_accounts"
    __table_args__ = {"info": RETAIN}

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DeletionReceipt(Base):
    """Proof that a deletion happened, without any of the deleted content (D4)."""

    __tablename__ = "rights_deletion_receipts"
    __table_args__ = {"info": RETAIN}

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # user | conversation
    persona_id: Mapped[str | None] = mapped_column(String(128))
    requested_by: Mapped[str] = mapped_column(String(160))
    completed_at: Mapped[datetime] = mapped_column(DateTime)
    rows_deleted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    key_destroyed: Mapped[bool] = mapped_column(Boolean, default=False)


class Consent(Base):
    """A user's consent to a purpose, e.g. sharing interaction data with one recipient (D3)."""

    __tablename__ = "rights_consents"
    __table_args__ = (Index("ix_rights_consents_user_purpose", "user_id", "purpose", "recipient"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(255), default="")
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    granted_by: Mapped[str] = mapped_column(String(160))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(160))


class FlowLogEntry(Base):
    """One attempt to send interaction data out, allowed or refused (D3). Content-free."""

    __tablename__ = "rights_flow_log"
    __table_args__ = (Index("ix_rights_flow_log_user", "user_id", "at"), {"info": RETAIN})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(128))
    carries_content: Mapped[bool] = mapped_column(Boolean)
    third_party: Mapped[bool] = mapped_column(Boolean)
    allowed: Mapped[bool] = mapped_column(Boolean)
    basis: Mapped[str] = mapped_column(String(64))  # first_party | no_content | consent:<id> | refused


class AuditEntry(Base):
    """One link of the append-only, hash-chained audit log (D1). Never updated or deleted."""

    __tablename__ = "rights_audit_log"
    __table_args__ = (Index("ix_rights_audit_subject", "subject_user"), {"info": RETAIN})

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_user: Mapped[str | None] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's tip (one row): serialises appends and anchors the tail against truncation."""

    __tablename__ = "rights_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class Complaint(Base):
    """A complaint, appeal or report from a user or the public, with its handling times (D4)."""

    __tablename__ = "rights_complaints"
    __table_args__ = (Index("ix_rights_complaints_status", "status", "created_at"), {"info": EXPORT_ONLY})

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # complaint | appeal | report
    status: Mapped[str] = mapped_column(String(16), default="open")
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    #: The key the text is sealed under: the user's, or ``complaint:<id>`` for the public.
    key_owner: Mapped[str] = mapped_column(String(160))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    message_ref: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(160))
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Restriction(Base):
    """An operator's restriction or suspension (D5); lifted, never deleted."""

    __tablename__ = "rights_restrictions"
    __table_args__ = (Index("ix_rights_restrictions_user", "user_id", "lifted_at"), {"info": EXPORT_ONLY})

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # persona | topups | service | suspension
    user_id: Mapped[str | None] = mapped_column(String(128))
    persona_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(160))
    until: Mapped[datetime | None] = mapped_column(DateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(160))
    incident_id: Mapped[str | None] = mapped_column(String(36))


class KillSwitch(Base):
    """The global kill switch (one row): when engaged every turn gets the maintenance message (D5)."""

    __tablename__ = "rights_kill_switch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engaged: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    message_zh: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    changed_by: Mapped[str] = mapped_column(String(160))
    incident_id: Mapped[str | None] = mapped_column(String(36))


class Notice(Base):
    """A scheduled end of a persona or of the service, shown from ``notice_from`` (D4)."""

    __tablename__ = "rights_notices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # service | persona
    persona_id: Mapped[str | None] = mapped_column(String(128))
    notice_from: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    message_zh: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(160))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)


class Incident(Base):
    """A safety incident and its handling (D1 emergency response, D5)."""

    __tablename__ = "rights_incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | mitigated | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    opened_by: Mapped[str] = mapped_column(String(160))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class IncidentEvent(Base):
    """One line of an incident's timeline."""

    __tablename__ = "rights_incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("rights_incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
