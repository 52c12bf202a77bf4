"""``POST /v1/wallet/authorize``: the top-up cap (M4), asked by the provider before a payment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from companion_guard.exceptions import InputError
from companion_guard.guardians.spending import parse_amount
from companion_guard.guardians.wallet import authorize_topup
from companion_guard.service.deps import ProviderDep, ServicesDep
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.guardians import WalletDecisionOut
from companion_guard.store.db import session_scope

router = APIRouter(tags=["guardians"], route_class=ModelRoute)


class WalletRequest(BaseModel):
    """``POST /v1/wallet/authorize``."""

    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=128, description="The end user who wants to top up.")
    amount: Any = Field(description="The amount asked for (number or decimal string).")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. CNY.")


@router.post("/v1/wallet/authorize", response_model=WalletDecisionOut)
def wallet_authorize(body: WalletRequest, svc: ServicesDep, _: ProviderDep) -> dict[str, Any]:
    """Allow or deny a top-up before the provider takes it; the decision is recorded."""
    amount = parse_amount(body.amount)
    currency = body.currency.upper()
    if not currency.isalpha():
        raise InputError("currency must be an ISO 4217 code such as CNY")
    with session_scope(svc.sessions) as session:
        return authorize_topup(
            session,
            user_id=body.user,
            amount=amount,
            currency=currency,
            now=svc.clock.now(),
            unknown_age_group=svc.guard.policy.primary.defaults.unknown_age_group,
            pack=svc.guard.policy.primary,
        )
