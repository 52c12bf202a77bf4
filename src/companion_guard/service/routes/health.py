"""Liveness and readiness, and the sandbox clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from companion_guard.clock import FrozenClock, OffsetClock
from companion_guard.exceptions import InputError
from companion_guard.service.deps import ProviderDep, ServicesDep
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.health import Liveness, Readiness, SandboxClock

#: The sandbox clock may move this far (dates stay well inside what every store handles).
MAX_SANDBOX_YEAR = 2200

router = APIRouter(tags=["health"], route_class=ModelRoute)


@router.get("/healthz", response_model=Liveness)
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness)
def readyz(svc: ServicesDep) -> dict[str, Any]:
    """Readiness: the database answers and the packs are loaded."""
    with svc.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {
        "status": "ready",
        "packs": [p.id for p in svc.guard.policy.packs],
        "detectors": len(svc.guard.registry),
    }


class ClockAdvance(BaseModel):
    """How far to move the sandbox clock."""

    advance_seconds: float = Field(ge=0, le=366 * 86400, description="Seconds to move forward.")


sandbox_router = APIRouter(tags=["sandbox"], route_class=ModelRoute)


@sandbox_router.post("/v1/sandbox/clock", response_model=SandboxClock)
def advance_clock(body: ClockAdvance, svc: ServicesDep, _: ProviderDep) -> dict[str, str]:
    """Move the server's clock forward (only with ``--sandbox``)."""
    if (svc.clock.now() + timedelta(seconds=body.advance_seconds)).year > MAX_SANDBOX_YEAR:
        raise InputError(f"the sandbox clock stays before the year {MAX_SANDBOX_YEAR + 1}")
    clock = svc.clock
    if not isinstance(clock, OffsetClock | FrozenClock):  # --sandbox gives an OffsetClock
        raise InputError("this gateway's clock cannot be moved")
    now = clock.advance(body.advance_seconds)
    return {"now": now.isoformat()}


@sandbox_router.get("/v1/sandbox/clock", response_model=SandboxClock)
def read_clock(svc: ServicesDep, _: ProviderDep) -> dict[str, str]:
    """The server's current (possibly advanced) time."""
    return {"now": svc.clock.now().isoformat()}
