"""Compliance surfaces: safety tips for users (X2); changes, assessment triggers and the report for staff (A1, A2).

``GET /v1/safety-tips`` answers the tips in the user's language (provider key; the
user's locale when ``user`` is given). Operators record launches, features and major
changes and read what is due; operators and auditors read the assessment figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from companion_guard.reports import changes, triggers
from companion_guard.reports.tips import tips
from companion_guard.service.auth import Principal
from companion_guard.service.deps import ProviderDep, ServicesDep, require
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.compliance import (
    AssessmentReport,
    AssessmentStatus,
    ChangeRecorded,
    SafetyTips,
)
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(tags=["compliance"], route_class=ModelRoute)

OperatorDep = Annotated[Principal, Depends(require("operator"))]
StaffDep = Annotated[Principal, Depends(require("operator", "auditor"))]


def _role(who: Principal) -> str:
    return str(getattr(who.role, "value", who.role))


class ChangeRequest(BaseModel):
    """``POST /v1/operator/changes``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["launch", "feature", "major_change"] = Field(description="What kind of change (A1).")
    title: str = Field(min_length=1, max_length=300, description="What changed, in one line.")
    detail: str = Field("", max_length=5000, description="More about it.")


@router.get("/v1/safety-tips", response_model=SafetyTips)
def safety_tips(
    svc: ServicesDep,
    _: ProviderDep,
    user: Annotated[str | None, Query(max_length=128, description="Answer in this user's language.")] = None,
    locale: Annotated[
        str | None, Query(max_length=35, description="Or a locale such as zh-CN, en-US.")
    ] = None,
) -> dict[str, Any]:
    """Safety tips in the user's language: healthy use, this is an AI, how to get help, data rights (X2)."""
    pack = svc.guard.policy.primary
    chosen = locale or pack.defaults.locale
    if user and not locale:
        with session_scope(svc.sessions) as session:
            row = repo.get_user(session, user)
            chosen = row.locale if row is not None else chosen
    return tips(pack, chosen)


@router.post("/v1/operator/changes", status_code=201, response_model=ChangeRecorded)
def record_change(body: ChangeRequest, svc: ServicesDep, who: OperatorDep) -> dict[str, Any]:
    """Record a launch, a related feature or a major technical change; its assessment trigger fires (A1)."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        row = changes.record_change(
            session,
            kind=body.kind,
            title=body.title,
            detail=body.detail,
            at=now,
            by=f"operator:{who.subject}",
            pack=svc.guard.policy.primary,
        )
        due = [triggers.due_view(d) for d in triggers.due(session) if d.facts.get("change_id") == row.id]
        return {"change_id": row.id, "kind": row.kind, "title": row.title, "assessment_due": due}


@router.get("/v1/operator/assessment", response_model=AssessmentStatus)
def assessment_status(svc: ServicesDep, _: StaffDep) -> dict[str, Any]:
    """Counts against the pack's thresholds, every assessment.due record and the operators' notices (A1)."""
    pack = svc.guard.policy.primary
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        triggers.check(session, pack=pack, now=now)
        return {
            "counts": triggers.counts(session, now=now, window_days=pack.assessment.mau_window_days),
            "thresholds": {
                "registered_users": pack.assessment.registered_users,
                "monthly_active_users": pack.assessment.monthly_active_users,
            },
            "due": [triggers.due_view(d) for d in triggers.due(session)],
            "notices": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "message": {"zh": n.message_zh, "en": n.message_en},
                    "data": n.data,
                    "created_at": n.created_at.isoformat() + "Z",
                }
                for n in triggers.notices(session)
            ],
        }


@router.get("/v1/operator/assessment/report", response_model=AssessmentReport)
def assessment_report(
    svc: ServicesDep,
    who: StaffDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="Start (ISO time); default all recorded.")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="End (ISO time).")] = None,
) -> dict[str, Any]:
    """The assessment report as JSON for a period (A2); generating it is audited."""
    from companion_guard.reports.assessment import build
    from companion_guard.rights import audit

    with session_scope(svc.sessions) as session:
        report = build(
            session,
            packs=list(svc.guard.policy.packs),
            registry=svc.guard.registry,
            duties=svc.guard.duties,
            start=start,
            end=end,
            generated_by=f"{_role(who)}:{who.subject}",
            now=svc.clock.now(),
        )
        audit.append(
            session,
            actor=(_role(who), who.subject or ""),
            action="report.generate",
            at=svc.clock.now(),
            target="assessment",
            details={"format": "json", **report["period"]},
        )
    return report
