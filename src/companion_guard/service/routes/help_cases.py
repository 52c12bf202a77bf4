"""``/v1/help-cases``: the human review queues — crisis (I2) and elderly help (E1).

The person a crisis was escalated to finds it here: who, how urgent, how long since
detection against the target, who was told and when; they acknowledge it, add notes
and resolve it. Operators and the provider's staff see every queue.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError, NotFoundError
from companion_guard.guardians.duty import HELP_QUEUE
from companion_guard.guardians.elderly import elderly_config
from companion_guard.service.auth import Principal
from companion_guard.service.deps import ServicesDep, require
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.help_cases import CaseList, CaseStats, CaseView
from companion_guard.store import cases
from companion_guard.store.db import session_scope
from companion_guard.store.tables import ReviewCase

router = APIRouter(tags=["help cases"], route_class=ModelRoute)

StaffDep = Annotated[Principal, Depends(require("operator", "provider"))]
Queue = Literal["crisis", "elderly_help"]
QueueQuery = Annotated[Queue, Query(description="crisis (I2) or elderly_help (E1).")]
CaseId = Annotated[int, Path(ge=1, le=2**62, description="The case id.")]


class CaseAnswer(BaseModel):
    """A person's answer to a case: acknowledge it, note what was done, or resolve it."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["acknowledge", "note", "resolve"] | None = Field(
        None, description="What to do; without it, `respond` acknowledges (and resolves when `close`)."
    )
    note: str = Field("", max_length=2000, description="What was done (no user content needed).")
    close: bool = Field(False, description="Resolve the case as well.")


def _default_minutes(queue: str) -> float:
    return float(elderly_config().first_response_target_minutes) if queue == HELP_QUEUE else 15.0


def _principal_name(principal: Principal) -> str:
    return f"{principal.role}:{principal.subject}"


def _case(session: Session, case_id: int, queue: str | None = None) -> ReviewCase:
    case = session.get(ReviewCase, case_id)
    if case is None or (queue is not None and case.queue != queue):
        raise NotFoundError(f"no help case {case_id}")
    return case


@router.get("/v1/help-cases", response_model=CaseList)
def list_help_cases(
    svc: ServicesDep,
    _: StaffDep,
    queue: QueueQuery = HELP_QUEUE,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|closed)$")] = None,
) -> dict[str, Any]:
    """A queue's cases, oldest first, with time since detection against the target and who was notified."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        found = cases.listing(session, queue, status)
        return {"queue": queue, "cases": [cases.view(c, now, _default_minutes(queue)) for c in found]}


@router.get("/v1/help-cases/stats", response_model=CaseStats)
def help_case_stats(svc: ServicesDep, _: StaffDep, queue: QueueQuery = HELP_QUEUE) -> dict[str, Any]:
    """Response-time figures of a queue against its targets (I2: 15 minutes for critical; E1)."""
    now = svc.clock.now()
    minutes = _default_minutes(queue)
    with session_scope(svc.sessions) as session:
        found = cases.listing(session, queue)
        figures = cases.figures(found, now, minutes)
    targets = (
        {level: m * 60 for level, m in cases.CRISIS_TARGET_MINUTES.items()} if queue == "crisis" else None
    )
    return {
        "queue": queue,
        "target_seconds": minutes * 60,
        "target_seconds_by_level": targets,
        "waiting": figures.waiting,
        "answered": figures.answered,
        "median_first_response_seconds": figures.median_first_response_s,
        "max_first_response_seconds": figures.max_first_response_s,
        "over_target": figures.over_target,
    }


@router.get("/v1/help-cases/{case_id}", response_model=CaseView)
def get_help_case(svc: ServicesDep, _: StaffDep, case_id: CaseId) -> dict[str, Any]:
    """One case with its log."""
    with session_scope(svc.sessions) as session:
        case = _case(session, case_id)
        return cases.view(case, svc.clock.now(), _default_minutes(case.queue))


@router.post("/v1/help-cases/{case_id}/respond", response_model=CaseView)
def respond_help_case(
    body: CaseAnswer, svc: ServicesDep, principal: StaffDep, case_id: CaseId
) -> dict[str, Any]:
    """Record a human's answer: acknowledge (the first response), add a note, or resolve."""
    now = svc.clock.now()
    action = body.action or ("resolve" if body.close else ("note" if body.note else "acknowledge"))
    with session_scope(svc.sessions) as session:
        case = _case(session, case_id)
        try:
            if case.first_response_at is None and action != "acknowledge":
                cases.act(case, "acknowledge", by=_principal_name(principal), at=now)
            cases.act(case, action, by=_principal_name(principal), at=now, note=body.note or None)
            if body.close and action != "resolve":
                cases.act(case, "resolve", by=_principal_name(principal), at=now)
        except cases.CaseError as exc:
            raise InputError(str(exc)) from exc
        return cases.view(case, now, _default_minutes(case.queue))
