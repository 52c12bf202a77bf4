"""Operator and auditor responses (D1, D5, D4): content reads, restrictions, kill switch, incidents, audit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from companion_guard.service.schemas.common import IsoTime, Number, ResponseModel
from companion_guard.service.schemas.rights import AuditEntryOut, FlowLogEntry, NoticeOut


class StoredMessage(ResponseModel):
    """One message as stored, decrypted for a reader with a reason."""

    id: int
    turn_id: str
    persona_id: str
    role: str
    content: str | None = Field(description="`null` when it cannot be decrypted (key destroyed).")
    created_at: IsoTime


class MessagesRead(ResponseModel):
    """A user's recent messages; the read is audited."""

    user_id: str
    data: list[StoredMessage]


class RestrictionOut(ResponseModel):
    """An operator's restriction or suspension (D5); lifted, never deleted."""

    id: str
    kind: Literal["persona", "topups", "service", "suspension"]
    user_id: str | None = Field(description="`null`: every user.")
    persona_id: str | None
    reason: str
    created_at: IsoTime
    created_by: str
    until: IsoTime | None
    lifted_at: IsoTime | None
    lifted_by: str | None
    incident_id: str | None


class RestrictionList(ResponseModel):
    """Restrictions, newest first."""

    data: list[RestrictionOut]


class Unsuspended(ResponseModel):
    """The suspensions lifted."""

    user_id: str
    lifted: list[RestrictionOut]


class KillSwitchOut(ResponseModel):
    """The global kill switch: when engaged, every turn gets the maintenance message."""

    engaged: bool
    reason: str
    message_zh: str
    message_en: str
    changed_at: IsoTime | None
    changed_by: str
    incident_id: str | None


class NoticeList(ResponseModel):
    """Scheduled ends, soonest first."""

    data: list[NoticeOut]


class IncidentEventOut(ResponseModel):
    """One step on an incident's timeline."""

    at: IsoTime
    actor: str
    kind: str
    note: str


class IncidentOut(ResponseModel):
    """An incident (emergency response record); the timeline is left out of listings."""

    id: str
    title: str
    severity: Literal["low", "medium", "high", "critical"]
    status: Literal["open", "mitigated", "closed"]
    opened_at: IsoTime
    opened_by: str
    closed_at: IsoTime | None
    timeline: list[IncidentEventOut] = Field(
        default_factory=list, description="Oldest first; not in listings."
    )


class IncidentList(ResponseModel):
    """Incidents, newest first."""

    data: list[IncidentOut]


class Percentiles(ResponseModel):
    """How many, and the median and 90th percentile in seconds."""

    n: int
    p50: Number | None
    p90: Number | None


class ComplaintStats(ResponseModel):
    """Counts by kind and status, and response times (A2)."""

    total: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    first_response_seconds: Percentiles
    resolution_seconds: Percentiles


class DeclaredFlow(ResponseModel):
    """A declared way data leaves."""

    id: str
    recipient: str
    carries_content: bool
    third_party: bool
    description: str


class FlowRegister(ResponseModel):
    """The declared outbound flows and the latest entries of the flow log."""

    declared: list[DeclaredFlow]
    log: list[FlowLogEntry]


class AuditLog(ResponseModel):
    """Audit entries in order."""

    data: list[AuditEntryOut]


class ChainProblem(ResponseModel):
    """An edited, removed, reordered or truncated entry."""

    seq: int
    kind: str
    detail: str


class AuditVerification(ResponseModel):
    """The result of walking the hash chain."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: list[ChainProblem]
