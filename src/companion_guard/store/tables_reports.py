"""Tables of the compliance reports (A1–A3, X2): changes, assessment triggers, operator notices, filings, tips.

Written by :mod:`companion_guard.reports`; nothing here holds message content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from companion_guard.store.tables import Base


class ServiceChange(Base):
    """A change to the service (A1, A3): a launch, a feature, a major technical change, a pack or model version."""

    __tablename__ = "compliance_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: launch | feature | major_change | policy_pack | detector_model
    kind: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    #: A fingerprint of what changed (pack or model versions), for changes the guard records itself.
    version: Mapped[str | None] = mapped_column(String(128))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    #: ``operator:<id>`` or ``system``.
    recorded_by: Mapped[str] = mapped_column(String(160))


class AssessmentDue(Base):
    """An ``assessment.due`` record: one trigger of A1 fired, once per trigger key."""

    __tablename__ = "compliance_assessment_due"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ``registered_users``, ``monthly_active_users``, ``launch:3``, ``feature:7`` …; unique, so a trigger fires once.
    trigger: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    fired_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: When an assessment covering it was recorded as done (``companion-guard filing record --kind assessment``).
    assessed_at: Mapped[datetime | None] = mapped_column(DateTime)


class OperatorNotice(Base):
    """A notification to the provider's operators and compliance staff (the console and CLI list them)."""

    __tablename__ = "compliance_operator_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(48))
    requirement: Mapped[str] = mapped_column(String(8))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class FilingRecord(Base):
    """An algorithm filing (A3) or a finished security assessment, as submitted."""

    __tablename__ = "compliance_filings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: initial | change | annual | cancellation | assessment
    kind: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    recorded_by: Mapped[str] = mapped_column(String(160))
    #: What was filed: pack and model fingerprints, personas (so the next draft lists what changed since).
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SafetyTipsShown(Base):
    """When a user was shown the onboarding safety tips (X2), so they are shown once."""

    __tablename__ = "compliance_safety_tips"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    shown_at: Mapped[datetime] = mapped_column(DateTime)
    locale: Mapped[str] = mapped_column(String(16))
