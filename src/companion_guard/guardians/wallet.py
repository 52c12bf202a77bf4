"""``POST /v1/wallet/authorize`` logic (M4): find the cap that applies, decide, record, alert."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from companion_guard.guardians import repository as grepo
from companion_guard.guardians.age import age_profile
from companion_guard.guardians.bands import SpendingLimits, default_bands
from companion_guard.guardians.consent import consent_in_force
from companion_guard.guardians.minor_mode import default_timezone
from companion_guard.guardians.notices import alert_guardians, enqueue_now
from companion_guard.guardians.spending import WalletDecision, authorize, month_spent, parse_cap
from companion_guard.policy.schema import PolicyPack
from companion_guard.store import repositories as repo
from companion_guard.store.tables_guardians import GuardianProfile, WalletAuthorization

#: The band whose spending defaults apply when the age is unknown and the pack serves such users as minors.
UNKNOWN_MINOR_BAND = "age_14_15"


def limits_for(
    session: Session,
    user_id: str,
    *,
    minor_band: bool,
    band_limits: SpendingLimits | None,
) -> SpendingLimits | None:
    """The guardian's cap when set, else the band default (minors only)."""
    row = grepo.profile(session, user_id)
    if row is not None and row.spending_cap:
        return parse_cap(row.spending_cap)
    return band_limits if minor_band else None


def lock_wallet(session: Session, user_id: str, now: datetime) -> None:
    """Serialise top-up decisions of one user until the transaction ends (M4: the cap is atomic).

    The first statement of the transaction writes the user's profile row (made when
    missing): PostgreSQL holds that row's lock, SQLite its one writer lock, so a second
    authorisation reads the month's total only after the first one is committed.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(GuardianProfile).values(user_id=user_id, age_verification="declared", updated_at=now)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={"updated_at": GuardianProfile.updated_at}
        )
    )
    session.expire_all()  # what was read before the lock is re-read after it


def authorize_topup(
    session: Session,
    *,
    user_id: str,
    amount: Decimal,
    currency: str,
    now: datetime,
    unknown_age_group: str,
    pack: PolicyPack | None = None,
) -> dict[str, Any]:
    """Decide one top-up and record the decision; a refused minor's guardians get an alert.

    Call it first in its transaction: it takes the user's wallet lock (:func:`lock_wallet`).
    """
    lock_wallet(session, user_id, now)
    user = repo.get_user(session, user_id)
    age = repo.user_age_on(user, now.date()) if user is not None else None
    locale = user.locale if user is not None else "zh-CN"
    profile = age_profile(today=now.date(), declared_age=age)
    band = profile.band
    treat_as_minor = profile.minor or (age is None and unknown_age_group in ("minor", "child"))
    if age is None and treat_as_minor:
        band = default_bands().by_id(UNKNOWN_MINOR_BAND)
    limits = limits_for(session, user_id, minor_band=treat_as_minor, band_limits=band.spending)
    decision: WalletDecision
    from companion_guard.rights.controls import is_restricted  # D5: an operator switched top-ups off

    if is_restricted(session, user_id=user_id, feature="topups", at=now):
        decision = WalletDecision(
            False, "restricted", "top-ups are restricted for this user by an operator (D5)"
        )
    elif profile.needs_consent:
        consent = consent_in_force(grepo.consents(session, user_id), now)
        if consent is None:
            decision = authorize(
                amount=amount,
                currency=currency,
                limits=limits,
                spent_this_month=Decimal(0),
                service_allowed=False,
            )
        elif not consent.scope.allows_spending:
            decision = WalletDecision(
                False, "consent_scope", "the guardian's consent does not cover top-ups (M2)"
            )
        else:
            decision = _decide(session, user_id, amount, currency, limits, now, locale)
    else:
        decision = _decide(session, user_id, amount, currency, limits, now, locale)
    record = WalletAuthorization(
        user_id=user_id,
        amount=amount,
        currency=currency.upper(),
        allowed=decision.allowed,
        reason=decision.reason,
        created_at=now,
    )
    session.add(record)
    session.flush()
    out = {
        **decision.to_dict(),
        "user": user_id,
        "amount": str(amount),
        "currency": currency.upper(),
        "authorization_id": record.id,
        "band": band.id,
    }
    if limits is not None:
        out["cap"] = {
            "per_payment": _num(limits.per_payment),
            "per_month": _num(limits.per_month),
            "currency": limits.currency,
        }
    if not decision.allowed and treat_as_minor:
        notes, events = alert_guardians(
            session,
            user_id=user_id,
            kind="spending.denied",
            requirement="M4",
            level="warning",
            now=now,
            data={"amount": str(amount), "currency": currency.upper(), "reason": decision.reason},
            dedupe_key=f"wallet-{record.id}:spending.denied",
            locale=locale,
            pack=pack,
        )
        enqueue_now(session, notes, user_id=user_id, turn_id=None, now=now)
        out["notified"] = [e.data.get("recipient") for e in events]
    return out


def _decide(
    session: Session,
    user_id: str,
    amount: Decimal,
    currency: str,
    limits: SpendingLimits | None,
    now: datetime,
    locale: str,
) -> WalletDecision:
    spent = Decimal(0)
    if limits is not None:
        tz = default_timezone(locale)
        since = now.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        spent = month_spent(
            grepo.approved_topups(session, user_id, since), now=now, tz=tz, currency=limits.currency
        )
    return authorize(amount=amount, currency=currency, limits=limits, spent_this_month=spent)


def _num(value: Decimal) -> str | None:
    return str(value) if value.is_finite() else None
