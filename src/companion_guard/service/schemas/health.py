"""Liveness, readiness and the sandbox clock."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from companion_guard.service.schemas.common import IsoTime, ResponseModel


class Liveness(ResponseModel):
    """``GET /healthz``."""

    status: Literal["ok"]


class Readiness(ResponseModel):
    """``GET /readyz``: the database answered and the packs are loaded."""

    status: Literal["ready"]
    packs: list[str] = Field(description="Policy packs in force, e.g. `cn-2026`.")
    detectors: int = Field(description="How many detectors are registered.")


class SandboxClock(ResponseModel):
    """The sandbox server's current time."""

    now: IsoTime
