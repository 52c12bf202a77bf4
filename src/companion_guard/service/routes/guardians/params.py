"""Path parameters and dependencies the guardian route modules share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from companion_guard.service.auth import Principal
from companion_guard.service.deps import require

UserId = Path(min_length=1, max_length=128, description="The provider's id for the end user (the ward).")
GuardianDep = Annotated[Principal, Depends(require("guardian"))]
