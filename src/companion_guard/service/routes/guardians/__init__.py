"""Guardians (M2, M4) and the wallet cap (M4): consent, the guardian portal, the wallet.

One module per concern; :data:`router` gathers them in OpenAPI order so the app loads this
package as it loads any route module. The elderly help queue (E1) is ``routes/help_cases.py``.
"""

from __future__ import annotations

from fastapi import APIRouter

from companion_guard.service.routes.guardians import consent, portal, wallet
from companion_guard.service.routes.guardians.consent import (
    ConsentRequest,
    RevokeRequest,
    give_consent,
    invite_guardian,
    revoke_consent,
)
from companion_guard.service.routes.guardians.params import GuardianDep, UserId
from companion_guard.service.routes.guardians.portal import (
    BlockList,
    get_alerts,
    get_blocked,
    get_cap,
    get_usage,
    get_ward,
    list_wards,
    put_blocked,
    put_cap,
    put_minor_mode,
)
from companion_guard.service.routes.guardians.wallet import WalletRequest, wallet_authorize

router = APIRouter()
for _part in (consent, portal, wallet):
    router.include_router(_part.router)

__all__ = [
    "BlockList",
    "ConsentRequest",
    "GuardianDep",
    "RevokeRequest",
    "UserId",
    "WalletRequest",
    "get_alerts",
    "get_blocked",
    "get_cap",
    "get_usage",
    "get_ward",
    "give_consent",
    "invite_guardian",
    "list_wards",
    "put_blocked",
    "put_cap",
    "put_minor_mode",
    "revoke_consent",
    "router",
    "wallet_authorize",
]
