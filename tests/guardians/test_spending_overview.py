"""Spending cap (M4) and the guardian's usage overview (M4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from companion_guard.exceptions import InputError
from companion_guard.guardians.bands import SpendingLimits
from companion_guard.guardians.overview import Activity, usage_overview
from companion_guard.guardians.spending import authorize, month_spent, parse_amount, parse_cap

CAP = SpendingLimits(Decimal(50), Decimal(200), "CNY")
NOW = datetime(2026, 8, 15, 9, tzinfo=UTC)


@pytest.mark.req("M4")
@pytest.mark.parametrize(
    ("amount", "currency", "spent", "allowed", "reason"),
    [
        ("30", "CNY", "0", True, "within_cap"),
        ("50", "CNY", "150", True, "within_cap"),
        ("50.01", "CNY", "0", False, "over_payment_cap"),
        ("40", "CNY", "170", False, "over_monthly_cap"),
        ("10", "USD", "0", False, "currency_mismatch"),
    ],
)
def test_cap(amount: str, currency: str, spent: str, allowed: bool, reason: str) -> None:
    decision = authorize(
        amount=Decimal(amount), currency=currency, limits=CAP, spent_this_month=Decimal(spent)
    )
    assert decision.allowed is allowed and decision.reason == reason
    assert decision.to_dict()["decision"] == ("allow" if allowed else "deny")


@pytest.mark.req("M4")
def test_no_cap_zero_cap_and_no_consent() -> None:
    assert authorize(amount=Decimal(9999), currency="CNY", limits=None, spent_this_month=Decimal(0)).allowed
    zero = SpendingLimits(Decimal(0), Decimal(0), "CNY")
    assert authorize(amount=Decimal(1), currency="CNY", limits=zero, spent_this_month=Decimal(0)).reason == (
        "payments_disabled"
    )
    denied = authorize(
        amount=Decimal(1), currency="CNY", limits=None, spent_this_month=Decimal(0), service_allowed=False
    )
    assert not denied.allowed and denied.reason == "consent_required"


def test_month_spent_counts_only_this_local_month_and_currency() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    rows = [
        (NOW, Decimal(20), "CNY"),
        (NOW - timedelta(days=20), Decimal(50), "CNY"),
        (NOW, Decimal(5), "USD"),
    ]
    assert month_spent(rows, now=NOW, tz=tz, currency="CNY") == Decimal(20)


def test_parsing() -> None:
    assert parse_amount("12.50") == Decimal("12.50")
    for bad in ("abc", "-1", "0", "1.001", "NaN"):
        with pytest.raises(InputError):
            parse_amount(bad)
    cap = parse_cap({"per_payment": 10, "per_month": 100, "currency": "cny"})
    assert cap == SpendingLimits(Decimal(10), Decimal(100), "CNY")
    assert parse_cap({"per_month": 5, "currency": "CNY"}).per_payment == Decimal("Infinity")  # type: ignore[union-attr]
    assert parse_cap(None) is None
    for bad_cap in ({"per_payment": 1}, {"currency": "yuan"}, {"per_month": -1, "currency": "CNY"}, {"x": 1}):
        with pytest.raises(InputError):
            parse_cap(bad_cap)


@pytest.mark.req("M4")
def test_overview_has_minutes_personas_reminders_and_no_content() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    t0 = datetime(2026, 8, 1, 15, tzinfo=tz)
    activity = [
        Activity(t0, "xiaoming"),
        Activity(t0 + timedelta(minutes=10), "xiaoming", ("reminder.reality",)),
        Activity(t0 + timedelta(minutes=20), "laoshi"),
        Activity(t0 + timedelta(minutes=21), "xiaoai", ("block.persona",), served=False),
    ]
    days = usage_overview(activity, today=date(2026, 8, 1), days=2, tz=tz)
    assert [d.day for d in days] == [date(2026, 7, 31), date(2026, 8, 1)]
    today = days[1].to_dict()
    assert today["minutes"] == 20.0 and today["turns"] == 3 and today["refused_turns"] == 1
    assert today["personas"] == {"xiaoming": 2, "laoshi": 1}
    assert today["reminders"] == {"reminder.reality": 1, "block.persona": 1}
    assert days[0].to_dict()["minutes"] == 0
