"""The wallet spending cap (M4): allow or deny a top-up before the provider takes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from companion_guard.exceptions import InputError
from companion_guard.guardians.bands import SpendingLimits

#: The largest cap or amount accepted.
MAX_LIMIT = Decimal(1_000_000_000)


def parse_amount(value: Any) -> Decimal:
    """A positive money amount with at most two decimals.

    Raises:
        InputError: not a number, not positive, or too precise.
    """
    if isinstance(value, bool):
        raise InputError("amount must be a number")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError("amount must be a number") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_LIMIT:
        raise InputError("amount must be positive")
    exponent = amount.as_tuple().exponent  # an int: the amount is finite
    if not isinstance(exponent, int) or exponent < -2:
        raise InputError("amount has more than two decimals")
    return amount


def parse_cap(data: dict[str, Any] | None) -> SpendingLimits | None:
    """A guardian's cap from ``{"per_payment", "per_month", "currency"}``; ``None`` removes it."""
    if data is None:
        return None
    unknown = set(data) - {"per_payment", "per_month", "currency"}
    if unknown or "currency" not in data:
        raise InputError("spending cap takes per_payment, per_month and currency (ISO 4217)")
    currency = str(data["currency"]).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InputError("currency must be an ISO 4217 code such as CNY")
    per_payment = _limit(data.get("per_payment"))
    per_month = _limit(data.get("per_month"))
    return SpendingLimits(per_payment=per_payment, per_month=per_month, currency=currency)


def _limit(value: Any) -> Decimal:
    if value is None:
        return Decimal("Infinity")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError("spending limits must be numbers") from None
    if isinstance(value, bool) or not amount.is_finite():
        raise InputError("spending limits must be finite numbers")
    if amount < 0:
        raise InputError("spending limits must not be negative")
    if amount > MAX_LIMIT:
        raise InputError(f"spending limits must be at most {MAX_LIMIT}")
    return amount


@dataclass(frozen=True, slots=True)
class WalletDecision:
    """Allow or deny, with a machine reason and a sentence for people."""

    allowed: bool
    reason: str
    detail: str
    remaining_month: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``POST /v1/wallet/authorize``."""
        out: dict[str, Any] = {
            "allowed": self.allowed,
            "decision": "allow" if self.allowed else "deny",
            "reason": self.reason,
            "detail": self.detail,
        }
        if self.remaining_month is not None and self.remaining_month.is_finite():
            out["remaining_month"] = str(self.remaining_month)
        return out


def month_spent(
    approved: Sequence[tuple[datetime, Decimal, str]], *, now: datetime, tz: ZoneInfo, currency: str
) -> Decimal:
    """Sum of approved top-ups in ``currency`` in the local calendar month of ``now``."""
    local = now.astimezone(tz)
    total = Decimal(0)
    for at, amount, cur in approved:
        when = at.astimezone(tz)
        if cur == currency and (when.year, when.month) == (local.year, local.month):
            total += amount
    return total


def authorize(
    *,
    amount: Decimal,
    currency: str,
    limits: SpendingLimits | None,
    spent_this_month: Decimal,
    service_allowed: bool = True,
) -> WalletDecision:
    """Decide a top-up against the cap; pure.

    Args:
        amount: the top-up asked for.
        currency: its ISO 4217 code.
        limits: the guardian's cap, else the band default; ``None`` means no cap.
        spent_this_month: approved top-ups this month, in the cap's currency.
        service_allowed: ``False`` for an under-14 user without consent (M2): nothing is allowed.
    """
    if not service_allowed:
        return WalletDecision(False, "consent_required", "a guardian has not consented for this user (M2)")
    if limits is None:
        return WalletDecision(True, "no_cap", "no spending cap applies to this user")
    if currency.upper() != limits.currency:
        return WalletDecision(
            False,
            "currency_mismatch",
            f"the cap is set in {limits.currency}; top-ups in {currency} are refused",
        )
    remaining = limits.per_month - spent_this_month
    if limits.per_payment == 0 or limits.per_month == 0:
        return WalletDecision(False, "payments_disabled", "top-ups are not allowed for this user", Decimal(0))
    if amount > limits.per_payment:
        return WalletDecision(
            False,
            "over_payment_cap",
            f"{amount} {currency} is over the per-payment cap of {limits.per_payment}",
            remaining,
        )
    if amount > remaining:
        return WalletDecision(
            False,
            "over_monthly_cap",
            f"{amount} {currency} would exceed the monthly cap of {limits.per_month} ({spent_this_month} spent)",
            remaining,
        )
    return WalletDecision(True, "within_cap", "within the spending cap", remaining - amount)
