"""What a guardian sees of a ward (M4): profile summary, alerts, usage; never message content."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from companion_guard.guardians import repository as grepo
from companion_guard.guardians.age import age_profile
from companion_guard.guardians.minor_mode import MinorModeSettings, effective
from companion_guard.guardians.overview import usage_overview
from companion_guard.guardians.spending import parse_cap
from companion_guard.store import repositories as repo

#: The locale of a ward with no stored data (deleted, or never registered).
UNREGISTERED_LOCALE = "zh-CN"


def ward_summary(session: Session, user_id: str, now: datetime) -> dict[str, Any]:
    """Age band, minor mode in force, block-list, cap, dependency score and consent of one ward.

    A consent outlives the ward's data (deletion keeps it as a record about the account,
    D4), so a ward may have no stored data: they are summarised as the gateway would
    serve them now, as a user never registered (``stored_data: false``), never refused.
    """
    user = repo.get_user(session, user_id)
    row = grepo.profile(session, user_id)
    profile = age_profile(today=now.date(), declared_age=repo.user_age_on(user, now.date()) if user else None)
    settings = MinorModeSettings.parse(row.minor_mode) if row is not None and row.minor_mode else None
    mode = effective(profile, settings, user.locale if user else UNREGISTERED_LOCALE)
    cap = parse_cap(row.spending_cap) if row is not None and row.spending_cap else None
    band_cap = profile.band.spending
    shown_cap = cap or band_cap
    return {
        "user": user_id,
        "stored_data": user is not None,
        "age": profile.age,
        "band": profile.band.id,
        "minor_mode": {
            "active": mode.active,
            "reality_reminder_minutes": mode.reality_reminder_minutes,
            "daily_limit_minutes": mode.daily_limit_minutes,
            "quiet_hours": mode.quiet_hours.to_dict() if mode.quiet_hours else None,
            "allowed_personas": sorted(mode.allowed_personas) if mode.allowed_personas is not None else None,
            "timezone": str(mode.timezone),
        },
        "blocked_personas": sorted(row.persona_blocklist or []) if row is not None else [],
        "spending_cap": None
        if shown_cap is None
        else {
            "per_payment": str(shown_cap.per_payment) if shown_cap.per_payment.is_finite() else None,
            "per_month": str(shown_cap.per_month) if shown_cap.per_month.is_finite() else None,
            "currency": shown_cap.currency,
            "source": "guardian" if cap is not None else "band_default",
        },
        "dependency_score": row.dependency_score if row is not None else None,
        "consents": [r.to_dict() for r in grepo.consents(session, user_id)],
    }


def ward_alerts(session: Session, user_id: str, limit: int) -> list[dict[str, Any]]:
    """The ward's alerts, newest first."""
    return [
        {
            "id": a.id,
            "kind": a.kind,
            "requirement": a.requirement,
            "level": a.level,
            "created_at": a.created_at.isoformat(),
            "data": a.data or {},
        }
        for a in grepo.alerts(session, user_id, limit=limit)
    ]


def ward_usage(session: Session, user_id: str, now: datetime, days: int, idle_seconds: int) -> dict[str, Any]:
    """Minutes per day, personas and reminders for the last ``days`` days."""
    user = repo.get_user(session, user_id)
    locale = user.locale if user is not None else UNREGISTERED_LOCALE
    row = grepo.profile(session, user_id)
    settings = MinorModeSettings.parse(row.minor_mode) if row is not None and row.minor_mode else None
    tz = effective(age_profile(today=now.date()), settings, locale).timezone
    start = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
    activity = grepo.as_activity(grepo.activity_since(session, user_id, start))
    per_day = usage_overview(
        activity, today=now.astimezone(tz).date(), days=days, tz=tz, idle_gap=timedelta(seconds=idle_seconds)
    )
    return {
        "user": user_id,
        "timezone": str(tz),
        "days": [d.to_dict() for d in per_day],
        "total_minutes": round(sum(d.minutes for d in per_day), 1),
        "content_included": False,
    }
