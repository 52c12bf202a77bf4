"""Compliance responses: safety tips (X2), service changes and assessment triggers (A1), the report (A2)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from companion_guard.service.schemas.common import Bilingual, IsoDate, IsoTime, ResponseModel


class Tip(ResponseModel):
    """One safety tip."""

    id: str = Field(description="e.g. `healthy_use`, `ai`, `help`, `data_rights`.")
    text: str


class SafetyTips(ResponseModel):
    """Safety tips in the user's language, with the help lines of their locale (X2)."""

    title: str
    language: Literal["zh", "en"]
    tips: list[Tip]
    requirement: Literal["X2"]


class AssessmentDueOut(ResponseModel):
    """An ``assessment.due`` record (A1): what fired, when, on which facts."""

    id: int
    trigger: str
    kind: str
    fired_at: IsoTime
    facts: dict[str, Any]
    assessed_at: IsoTime | None
    event: Literal["assessment.due"]
    requirement: Literal["A1"]


class ChangeRecorded(ResponseModel):
    """A recorded launch, feature or major change, and the assessment it made due."""

    change_id: int
    kind: Literal["launch", "feature", "major_change"]
    title: str
    assessment_due: list[AssessmentDueOut]


class UserCounts(ResponseModel):
    """Registered and monthly active users (A1)."""

    registered_users: int
    monthly_active_users: int


class OperatorNoticeOut(ResponseModel):
    """A notice to the operators and compliance staff."""

    id: int
    kind: str
    message: Bilingual
    data: dict[str, Any]
    created_at: IsoTime


class AssessmentStatus(ResponseModel):
    """Counts against the pack's thresholds, every ``assessment.due`` record and the operators' notices."""

    counts: UserCounts
    thresholds: UserCounts
    due: list[AssessmentDueOut]
    notices: list[OperatorNoticeOut]


class ReportPeriod(ResponseModel):
    """The period the report covers."""

    start: IsoTime = Field(alias="from")
    end: IsoTime = Field(alias="to")
    last_day: IsoDate = Field(description="The day MAU and DAU are counted as of (report time zone).")
    bounded: bool = Field(description="`false`: all recorded time.")


class HeadlineFigures(ResponseModel):
    """The report's headline figures."""

    registered_users: int
    mau: int
    dau: int
    crisis_identifications: dict[str, int] = Field(description="By level.")
    notifications_sent: int
    complaints_received: int
    complaints_resolved: int
    minors: int
    elderly_users: int
    consents: int
    refused_topups: int
    persona_blocks: int
    help_requests: int


class AssessmentReport(ResponseModel):
    """The security assessment report for a period, as JSON (A2)."""

    figures: HeadlineFigures
    title: Bilingual
    requirement: Literal["A2"]
    law: str
    period: ReportPeriod
    generated_at: IsoTime
    generated_by: str
    sections: dict[str, dict[str, Any]] = Field(
        description="By section id: `safety_measures`, `training_data`, `extreme_situations`, `user_scale`, "
        "`usage_duration`, `age_structure`, `complaints`, `minors_and_elderly`."
    )
    order: list[str] = Field(description="Section ids in reading order.")
