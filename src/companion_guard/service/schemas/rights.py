"""Data-rights responses (D3, D4): deletion receipts, quit, consents, flows, complaints, notices, export."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from companion_guard.service.schemas.common import Bilingual, IsoTime, LaxRelationship, Number, ResponseModel

ComplaintKind = Literal["complaint", "appeal", "report"]
ComplaintStatus = Literal["open", "in_progress", "answered", "closed"]


class Receipt(ResponseModel):
    """What a deletion did, without content: rows removed per table, and whether the data key is gone."""

    receipt_id: str
    user_id: str
    scope: Literal["user", "conversation"]
    persona_id: str | None
    completed_at: IsoTime
    rows_deleted: dict[str, int]
    key_destroyed: bool


class QuitResult(ResponseModel):
    """The account is closed in one step (D4); the data deleted unless kept on request."""

    user_id: str
    status: Literal["closed"]
    closed_at: IsoTime
    receipt: Receipt | None = Field(description="`null` when the data was kept.")
    message: Bilingual


class AccountStatus(ResponseModel):
    """The account's status after reopening."""

    user_id: str
    status: Literal["active", "closed"]


class ConsentOut(ResponseModel):
    """A user's consent to share interaction data with one recipient (D3)."""

    id: str
    user_id: str
    purpose: str = Field(description="`third_party_sharing`.")
    recipient: str = Field(description="A host name, or `*` for any declared recipient.")
    granted_at: IsoTime
    granted_by: str
    withdrawn_at: IsoTime | None
    active: bool


class ConsentList(ResponseModel):
    """A user's consents, in force and withdrawn."""

    data: list[ConsentOut]


class FlowLogEntry(ResponseModel):
    """One time data left, or was refused, and on what basis."""

    id: int
    at: IsoTime
    flow_id: str = Field(description="e.g. `upstream.llm`, `export.transfer`, `notify.webhook`.")
    recipient: str
    user_id: str | None
    carries_content: bool
    third_party: bool
    allowed: bool
    basis: str = Field(description="`first_party`, `no_content`, `consent:<id>` or `refused`.")


class FlowLog(ResponseModel):
    """Where a user's data was sent, newest first."""

    data: list[FlowLogEntry]


class Transferred(ResponseModel):
    """The export was sent to the other platform."""

    user_id: str
    recipient: str
    status: Literal["sent"]
    messages: int


class ComplaintOut(ResponseModel):
    """A complaint, appeal or report with its times; the text fields only for its filer and operators."""

    id: str
    kind: ComplaintKind
    status: ComplaintStatus
    user_id: str | None
    message_ref: str | None
    assignee: str | None
    created_at: IsoTime
    first_response_at: IsoTime | None
    answered_at: IsoTime | None
    closed_at: IsoTime | None
    updated_at: IsoTime
    first_response_seconds: Number | None
    resolution_seconds: Number | None
    subject: str | None = Field(None, description="Absent for auditors; `null` once unreadable.")
    body: str | None = Field(None, description="Absent for auditors; `null` once unreadable.")
    contact: str | None = Field(None, description="Absent for auditors.")
    answer: str | None = Field(None, description="Absent for auditors.")


class ComplaintFiled(ComplaintOut):
    """A filed complaint; a public filer also gets the token to follow it."""

    token: str = Field(
        "", description="Present for a filer without an account (send it as X-Complaint-Token)."
    )


class ComplaintList(ResponseModel):
    """Complaints with their status."""

    data: list[ComplaintOut]


class NoticeOut(ResponseModel):
    """A scheduled end of a persona or of the service (D4)."""

    id: str
    scope: Literal["service", "persona"]
    persona_id: str | None
    notice_from: IsoTime
    ends_at: IsoTime
    message_zh: str = Field(description="The operator's own text; empty for the default.")
    message_en: str
    created_at: IsoTime
    created_by: str
    cancelled_at: IsoTime | None


class PublicNotice(NoticeOut):
    """An announced end, with the text users read."""

    text: Bilingual


class PublicNotices(ResponseModel):
    """Announced ends still to come."""

    data: list[PublicNotice]


class AuditEntryOut(ResponseModel):
    """One entry of the hash-chained audit log."""

    seq: int
    at: IsoTime
    actor_role: str
    actor_id: str
    action: str
    subject_user: str | None
    target: str
    reason: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class ExportPersona(ResponseModel):
    """A persona the user talked to."""

    id: str
    display_name: str
    relationship: LaxRelationship


class Export(ResponseModel):
    """``GET /v1/users/{id}/export``: everything stored about the user (D4), machine-readable."""

    format: Literal["companion-guard.export/1"]
    user_id: str
    generated_at: IsoTime
    profile: dict[str, Any] | None = Field(description="The user's row, decrypted.")
    messages: list[dict[str, Any]] = Field(description="Every message, oldest first, decrypted.")
    personas: list[ExportPersona]
    turns: list[dict[str, Any]]
    events: list[dict[str, Any]] = Field(description="Every event shown, with its turn id and time.")
    reminders: list[dict[str, Any]] = Field(description="The `reminder.*` events.")
    consents: list[ConsentOut]
    complaints: list[ComplaintOut]
    access_log: list[AuditEntryOut] = Field(
        description="Audit entries about the user: who read or changed what."
    )
    other: dict[str, list[dict[str, Any]]] = Field(
        description="Rows of every other per-user table, by table."
    )
    unreadable_values: int = Field(description="Values that could not be decrypted (key destroyed).")


class PortalLink(ResponseModel):
    """A signed, expiring link to the user's own data page (``/me``)."""

    url: str
    user: str
    expires_at: IsoTime
