"""Guardian invitation, consent and its withdrawal (M2).

Provider key: invitations. The invitation code itself lets a guardian consent and get a
credential (role ``guardian``, stored hashed); with it a guardian reaches only their own wards.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from companion_guard.clock import as_utc
from companion_guard.exceptions import AccessDenied, InputError, NotFoundError
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.consent import (
    ConsentScope,
    check_invitation,
    hash_secret,
    new_invitation,
    normalise_code,
)
from companion_guard.notify.targets import check_contact
from companion_guard.service.auth import Principal, create_key, revoke_subject_keys
from companion_guard.service.deps import ProviderDep, ServicesDep, bearer, services
from companion_guard.service.errors import Forbidden
from companion_guard.service.routes.guardians.params import UserId
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.guardians import ConsentGiven, ConsentRevoked, Invitation
from companion_guard.service.schemas.users import Contact
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables_guardians import GuardianConsent, GuardianInvitation

router = APIRouter(tags=["guardians"], route_class=ModelRoute)


class ConsentRequest(BaseModel):
    """``POST /v1/guardian/consent``."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=4, max_length=64, description="The invitation code.")
    scope: str | None = Field(
        None, description="`service` (companion turns) or `full` (also top-ups); default full."
    )
    guardian: Contact | None = Field(
        None, description="How to reach the guardian (else the provider's contact)."
    )


class RevokeRequest(BaseModel):
    """``DELETE /v1/guardian/consent`` body (optional)."""

    model_config = ConfigDict(extra="forbid")
    user: str | None = Field(None, max_length=128, description="The ward whose consent ends.")


@router.post("/v1/users/{user_id}/guardian/invite", response_model=Invitation)
def invite_guardian(svc: ServicesDep, _: ProviderDep, user_id: str = UserId) -> dict[str, Any]:
    """Make a one-time invitation code a guardian uses to consent for this user (M2)."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        if repo.get_user(session, user_id) is None:
            raise NotFoundError(f"unknown user {user_id!r}; register them with PUT /v1/users/{user_id} first")
        inv = new_invitation(now)
        session.add(
            GuardianInvitation(
                user_id=user_id, code_hash=inv.code_hash, created_at=now, expires_at=inv.expires_at
            )
        )
    return {"code": inv.code, "user": user_id, "expires_at": inv.expires_at.isoformat()}


@router.post("/v1/guardian/consent", response_model=ConsentGiven)
def give_consent(body: ConsentRequest, request: Request, svc: ServicesDep) -> dict[str, Any]:
    """Consent with an invitation code; answers the consent record and a guardian credential."""
    scope = ConsentScope.parse(body.scope)
    check_contact(
        body.guardian.stored() if body.guardian else None, allow_private=svc.settings.allow_private_webhooks
    )
    now = svc.clock.now()
    caller: Principal | None = None
    if bearer(request):
        # A signed-in guardian adds a ward to their account; any other (or a stale) key is ignored:
        # the invitation code is the credential of this call.
        try:
            caller = services(request).verifier.verify(bearer(request))
        except AccessDenied:
            caller = None
        if caller is not None and caller.role != "guardian":
            caller = None
    with session_scope(svc.sessions) as session:
        inv = session.scalar(
            select(GuardianInvitation).where(
                GuardianInvitation.code_hash == hash_secret(normalise_code(body.code))
            )
        )
        if inv is None:
            raise AccessDenied("invitation code does not match")
        check_invitation(
            code=body.code,
            stored_hash=inv.code_hash,
            expires_at=as_utc(inv.expires_at),
            used_at=inv.used_at,
            now=now,
        )
        token: str | None = None
        if caller is not None and caller.subject:
            guardian_id = caller.subject
        else:
            # The guardian's own contact only: the provider-declared one stays sealed with the
            # ward's profile (and is notified from there), never copied in clear to the account.
            contact = body.guardian.stored() if body.guardian else None
            account = grepo.new_guardian(session, contact=contact, now=now)
            guardian_id = account.id
            token = create_key(
                session, role="guardian", subject=guardian_id, label=f"guardian of {inv.user_id}", now=now
            )
        inv.used_at, inv.guardian_id = now, guardian_id
        consent = GuardianConsent(
            user_id=inv.user_id, guardian_id=guardian_id, scope=scope.value, granted_at=now
        )
        session.add(consent)
        session.flush()
        record = grepo.consents(session, inv.user_id)[-1].to_dict()
    out: dict[str, Any] = {"consent": record, "guardian_id": guardian_id, "user": inv.user_id}
    if token is not None:
        out.update({"token": token, "token_type": "bearer", "api_key": token})
    return out


@router.delete("/v1/guardian/consent", response_model=ConsentRevoked)
def revoke_consent(
    request: Request,
    svc: ServicesDep,
    body: Annotated[RevokeRequest | None, Body()] = None,
    user: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    """Withdraw consent (the guardian, or the provider for a user); service stops at once."""
    principal = svc.verifier.verify(bearer(request))
    ward = user or (body.user if body else None)
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        if principal.role == "guardian":
            rows = grepo.active_consent_rows(session, guardian_id=principal.subject, user_id=ward)
            if ward is None and len({r.user_id for r in rows}) > 1:
                raise InputError("you have several wards: say which with `user`")
        elif principal.role in ("provider", "operator"):
            if ward is None:
                raise InputError("`user` is required")
            rows = grepo.active_consent_rows(session, user_id=ward)
        else:
            raise Forbidden(f"role {principal.role!r} may not withdraw consent")
        if not rows:
            raise NotFoundError("no consent in force to withdraw")
        for row in rows:
            row.revoked_at = now
        session.flush()
        revoked_keys = 0
        for guardian_id in {r.guardian_id for r in rows}:
            if not grepo.active_consent_rows(session, guardian_id=guardian_id):
                revoked_keys += revoke_subject_keys(session, role="guardian", subject=guardian_id, now=now)
        users = sorted({r.user_id for r in rows})
    svc.verifier.forget()
    return {
        "revoked": len(rows),
        "users": users,
        "revoked_at": now.isoformat(),
        "credentials_revoked": revoked_keys,
    }
