"""Help-case responses: the human review queues, crisis (I2) and elderly help (E1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from companion_guard.service.schemas.common import IsoTime, Number, ResponseModel

Queue = Literal["crisis", "elderly_help"]


class NotifiedEntry(ResponseModel):
    """Who was told (masked) and when; `status` says when no channel could deliver."""

    target: str = Field(description="`emergency_contact` or `guardian`.")
    channel: str
    recipient: str = Field(description="Masked.")
    at: IsoTime
    status: str = Field("", description="Present when nothing could be sent: call them.")


class CaseLogEntry(ResponseModel):
    """What a person did on the case."""

    action: Literal["acknowledge", "note", "resolve"]
    by: str
    at: IsoTime
    note: str = Field("", description="Present when a note was given.")


class CaseView(ResponseModel):
    """A case as the queue shows it: who, how urgent, since when against the target, who was told."""

    id: int
    queue: Queue
    user: str = Field(description="The user id; a pseudonym once their data was deleted.")
    category: str
    level: str
    requirement: str
    status: Literal["open", "acknowledged", "closed"]
    detected_at: IsoTime
    opened_at: IsoTime
    first_response_at: IsoTime | None
    first_response_seconds: Number | None
    seconds_since_detection: Number
    target_seconds: Number
    over_target: bool
    notified: list[NotifiedEntry]
    closed_at: IsoTime | None
    close_reason: str | None
    note: str | None
    log: list[CaseLogEntry]


class CaseList(ResponseModel):
    """A queue's cases, oldest first."""

    queue: Queue
    cases: list[CaseView]


class CaseStats(ResponseModel):
    """Response-time figures of a queue against its targets."""

    queue: Queue
    target_seconds: Number
    target_seconds_by_level: dict[str, Number] | None = Field(description="Crisis queue only (I2).")
    waiting: int
    answered: int
    median_first_response_seconds: Number | None
    max_first_response_seconds: Number | None
    over_target: int
