"""Request bodies of the data-rights and operator routes (pydantic, ``extra="forbid"``).

Every text field refuses control characters and lone surrogates, so nothing a
client sends can reach the database in a shape it would refuse (500s).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _clean_text(value: str) -> str:
    if any(ch in _CONTROL or "\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text contains control characters or invalid Unicode")
    return value


Short = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_clean_text)]
Reason = Annotated[str, Field(min_length=3, max_length=2000), AfterValidator(_clean_text)]
Body = Annotated[str, Field(min_length=1, max_length=8000), AfterValidator(_clean_text)]
Line = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_clean_text)]
Message = Annotated[str, Field(max_length=2000), AfterValidator(_clean_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuitRequest(_Strict):
    """``POST /v1/users/{user_id}/quit``."""

    delete_data: bool = Field(
        True, description="Also delete all data (default). False keeps it, account closed."
    )


class ConsentRequest(_Strict):
    """``POST /v1/users/{user_id}/consents``: agree to share interaction data with one recipient."""

    purpose: Literal["third_party_sharing"] = Field(
        "third_party_sharing", description="What the consent is for."
    )
    recipient: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_clean_text)] = Field(
        description="The recipient's host name (as in the flow register), or '*' for any."
    )


class TransferRequest(_Strict):
    """``POST /v1/users/{user_id}/transfer``: send the export to another platform."""

    url: HttpUrl = Field(description="Where to POST the export (its host must be a declared recipient).")


class ComplaintRequest(_Strict):
    """``POST /v1/complaints``: a complaint, appeal or report."""

    kind: Literal["complaint", "appeal", "report"] = "complaint"
    subject: Line
    body: Body
    user_id: Short | None = Field(None, description="For the provider or a guardian filing for a user.")
    contact: Message | None = Field(None, description="How to reach a public filer (optional).")
    message_ref: Short | None = Field(None, description="The message or turn id it is about (optional).")


class ComplaintUpdate(_Strict):
    """``PATCH /v1/operator/complaints/{id}``: triage."""

    status: Literal["open", "in_progress", "answered", "closed"] | None = None
    answer: Body | None = None
    assignee: Annotated[str, Field(max_length=160), AfterValidator(_clean_text)] | None = None


class RestrictionRequest(_Strict):
    """``POST /v1/operator/restrictions``."""

    kind: Literal["persona", "topups", "service", "suspension"]
    user_id: Short | None = None
    persona_id: Short | None = None
    reason: Reason
    until: datetime | None = None
    incident_id: Short | None = None
    severity: Literal["low", "medium", "high", "critical"] = "high"


class SuspendRequest(_Strict):
    """``POST /v1/operator/users/{user_id}/suspend``."""

    reason: Reason
    until: datetime | None = None
    incident_id: Short | None = None


class ReasonRequest(_Strict):
    """A body that only carries why."""

    reason: Reason


class KillSwitchRequest(_Strict):
    """``PUT /v1/operator/kill-switch``."""

    engaged: bool
    reason: Reason
    message_zh: Message = ""
    message_en: Message = ""
    incident_id: Short | None = None


class NoticeRequest(_Strict):
    """``POST /v1/operator/notices``: schedule the end of a persona or of the service."""

    scope: Literal["service", "persona"]
    persona_id: Short | None = None
    notice_from: datetime | None = Field(None, description="When users start seeing it (default: now).")
    ends_at: datetime
    message_zh: Message = ""
    message_en: Message = ""


class IncidentRequest(_Strict):
    """``POST /v1/operator/incidents``."""

    title: Line
    severity: Literal["low", "medium", "high", "critical"]
    note: Message = ""


class IncidentUpdate(_Strict):
    """``POST /v1/operator/incidents/{id}/events``: a timeline note, optionally a status change."""

    note: Body
    status: Literal["open", "mitigated", "closed"] | None = None
