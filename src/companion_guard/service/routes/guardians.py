"""Guardians (M2, M4), the wallet cap (M4) and the elderly help queue (E1).

Provider key: invitations, wallet authorisation. The invitation code itself lets a
guardian consent and get a credential (role ``guardian``, stored hashed); with it a
guardian reaches only their own wards. Operators answer elderly help cases.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

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
from companion_guard.guardians.minor_mode import MinorModeSettings
from companion_guard.guardians.portal import ward_alerts, ward_summary, ward_usage
from companion_guard.guardians.spending import parse_amount, parse_cap
from companion_guard.guardians.wallet import authorize_topup
from companion_guard.notify.targets import check_contact
from companion_guard.service.auth import Principal, create_key, revoke_subject_keys
from companion_guard.service.deps import ProviderDep, ServicesDep, bearer, require, services
from companion_guard.service.errors import Forbidden
from companion_guard.service.schemas.users import Contact
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables_guardians import GuardianConsent, GuardianInvitation

router = APIRouter(tags=["guardians"])

UserId = Path(min_length=1, max_length=128, description="The provider's id for the end user (the ward).")
GuardianDep = Annotated[Principal, Depends(require("guardian"))]
StaffDep = Annotated[Principal, Depends(require("operator", "provider"))]


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


class WalletRequest(BaseModel):
    """``POST /v1/wallet/authorize``."""

    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=128, description="The end user who wants to top up.")
    amount: Any = Field(description="The amount asked for (number or decimal string).")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. CNY.")


class BlockList(BaseModel):
    """The personas a guardian turns off for a ward."""

    model_config = ConfigDict(extra="forbid")
    personas: list[str] = Field(max_length=500, description="Persona ids to block.")


def _own_ward(session: Session, principal: Principal, user_id: str) -> None:
    if not grepo.active_consent_rows(session, user_id=user_id, guardian_id=principal.subject):
        raise Forbidden("this user is not your ward")


# ---- consent (M2) --------------------------------------------------------------------


@router.post("/v1/users/{user_id}/guardian/invite")
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


@router.post("/v1/guardian/consent")
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


@router.delete("/v1/guardian/consent")
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


# ---- guardian portal (M4) ------------------------------------------------------------


@router.get("/v1/guardian/wards")
def list_wards(svc: ServicesDep, principal: GuardianDep) -> dict[str, Any]:
    """The users this guardian has consented for."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        rows = grepo.active_consent_rows(session, guardian_id=principal.subject)
        wards = [ward_summary(session, uid, now) for uid in dict.fromkeys(r.user_id for r in rows)]
    return {"guardian_id": principal.subject, "wards": wards}


@router.get("/v1/guardian/wards/{user_id}")
def get_ward(svc: ServicesDep, principal: GuardianDep, user_id: str = UserId) -> dict[str, Any]:
    """One ward's protective settings."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        return ward_summary(session, user_id, svc.clock.now())


@router.get("/v1/guardian/wards/{user_id}/alerts")
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


@router.get("/v1/guardian/wards/{user_id}/usage")
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


@router.put("/v1/guardian/wards/{user_id}/blocked-personas")
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


@router.get("/v1/guardian/wards/{user_id}/blocked-personas")
def get_blocked(svc: ServicesDep, principal: GuardianDep, user_id: str = UserId) -> dict[str, Any]:
    """The ward's persona block-list."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        row = grepo.profile(session, user_id)
        return {"user": user_id, "blocked_personas": sorted(row.persona_blocklist or []) if row else []}


@router.put("/v1/guardian/wards/{user_id}/spending-cap")
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


@router.get("/v1/guardian/wards/{user_id}/spending-cap")
def get_cap(svc: ServicesDep, principal: GuardianDep, user_id: str = UserId) -> dict[str, Any]:
    """The cap in force (the guardian's, else the band default)."""
    with session_scope(svc.sessions) as session:
        _own_ward(session, principal, user_id)
        return ward_summary(session, user_id, svc.clock.now())["spending_cap"] or {"source": "none"}


@router.put("/v1/guardian/wards/{user_id}/minor-mode")
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


# ---- wallet (M4) ---------------------------------------------------------------------


@router.post("/v1/wallet/authorize")
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
