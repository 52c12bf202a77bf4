"""The guardian portal (M4): a guardian's wards, their alerts and usage, and the settings
the guardian chooses for them (blocked personas, spending cap, minor mode).

Only a ``guardian`` key, and only for the wards that guardian consented for.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from companion_guard.exceptions import InputError
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.minor_mode import MinorModeSettings
from companion_guard.guardians.portal import ward_alerts, ward_summary, ward_usage
from companion_guard.guardians.spending import parse_cap
from companion_guard.service.auth import Principal
from companion_guard.service.deps import ServicesDep
from companion_guard.service.errors import Forbidden
from companion_guard.service.routes.guardians.params import GuardianDep, UserId
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.guardians import (
    BlockedPersonas,
    NoSpendingCap,
    SpendingCapOut,
    WardAlerts,
    WardList,
    WardMinorMode,
    WardSummary,
    WardUsage,
)
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope

router = APIRouter(tags=["guardians"], route_class=ModelRoute)


class BlockList(BaseModel):
    """The personas a guardian turns off for a ward."""

    model_config = ConfigDict(extra="forbid")
    personas: list[str] = Field(max_length=500, description="Persona ids to block.")


def _own_ward(session: Session, principal: Principal, user_id: str) -> None:
    if not grepo.active_consent_rows(session, user_id=user_id, guardian_id=principal.subject):
        raise Forbidden("this user is not your ward")


@router.get("/v1/guardian/wards", response_model=WardList)
def list_wards(svc: ServicesDep, principal: GuardianDep) -> dict[str, Any]:
    """The users this guardian has consented for."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        rows = grepo.active_consent_rows(session, guardian_id=principal.subject)
        wards = [ward_summary(session, uid, now) for uid in dict.fromkeys(r.user_id for r in rows)]
    return {"guardian_id": principal.subject, "wards": wards}


@router.get("/v1/guardian/wards/{user_id}", response_model=WardSummary)
def get_ward(svc: ServicesDep, principal: GuardianDep, user_id: str = UserId) -> dict[str, Any]:
    """One ward's protective settings."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        return ward_summary(session, user_id, svc.clock.now())


@router.get("/v1/guardian/wards/{user_id}/alerts", response_model=WardAlerts)
def get_alerts(
    svc: ServicesDep,
    principal: GuardianDep,
    user_id: str = UserId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Safety alerts about the ward (crisis, dependency, blocked personas, spending), newest first."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        return {"user": user_id, "alerts": ward_alerts(session, user_id, limit)}


@router.get("/v1/guardian/wards/{user_id}/usage", response_model=WardUsage)
def get_usage(
    svc: ServicesDep,
    principal: GuardianDep,
    user_id: str = UserId,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> dict[str, Any]:
    """Minutes per day, personas used and reminders shown; no message content."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        idle = svc.guard.policy.primary.usage.idle_reset_seconds
        return ward_usage(session, user_id, svc.clock.now(), days, idle)


@router.put("/v1/guardian/wards/{user_id}/blocked-personas", response_model=BlockedPersonas)
def put_blocked(
    body: BlockList, svc: ServicesDep, principal: GuardianDep, user_id: str = UserId
) -> dict[str, Any]:
    """Replace the ward's persona block-list."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        unknown = sorted(p for p in set(body.personas) if repo.get_persona(session, p) is None)
        if unknown:
            raise InputError(f"unknown persona(s): {', '.join(unknown)}")
        row = grepo.ensure_profile(session, user_id, now)
        row.persona_blocklist, row.updated_at = sorted(set(body.personas)), now
        return {"user": user_id, "blocked_personas": row.persona_blocklist}


@router.get("/v1/guardian/wards/{user_id}/blocked-personas", response_model=BlockedPersonas)
def get_blocked(svc: ServicesDep, principal: GuardianDep, user_id: str = UserId) -> dict[str, Any]:
    """The ward's persona block-list."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        row = grepo.profile(session, user_id)
        return {"user": user_id, "blocked_personas": sorted(row.persona_blocklist or []) if row else []}


@router.put("/v1/guardian/wards/{user_id}/spending-cap", response_model=SpendingCapOut | NoSpendingCap)
def put_cap(
    svc: ServicesDep,
    principal: GuardianDep,
    user_id: str = UserId,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    """Set the ward's top-up cap ``{"per_payment", "per_month", "currency"}``; ``null`` falls back to the band."""
    cap = parse_cap(body)
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        row = grepo.ensure_profile(session, user_id, now)
        row.spending_cap = (
            None
            if cap is None
            else {
                "per_payment": str(cap.per_payment) if cap.per_payment.is_finite() else None,
                "per_month": str(cap.per_month) if cap.per_month.is_finite() else None,
                "currency": cap.currency,
            }
        )
        row.updated_at = now
        return ward_summary(session, user_id, now)["spending_cap"] or {"source": "none"}


@router.get("/v1/guardian/wards/{user_id}/spending-cap", response_model=SpendingCapOut | NoSpendingCap)
def get_cap(svc: ServicesDep, principal: GuardianDep, user_id: str = UserId) -> dict[str, Any]:
    """The cap in force (the guardian's, else the band default)."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        return ward_summary(session, user_id, svc.clock.now())["spending_cap"] or {"source": "none"}


@router.put("/v1/guardian/wards/{user_id}/minor-mode", response_model=WardMinorMode)
def put_minor_mode(
    svc: ServicesDep,
    principal: GuardianDep,
    user_id: str = UserId,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    """Personalise minor mode (reminder interval, daily limit, quiet hours, allowed personas)."""
    settings = MinorModeSettings.parse(body)
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        row = grepo.ensure_profile(session, user_id, now)
        row.minor_mode, row.updated_at = (settings.to_dict() if body is not None else None), now
        view: dict[str, Any] = ward_summary(session, user_id, now)["minor_mode"]
        return view
