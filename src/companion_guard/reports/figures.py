"""The assessment's figures, counted from what the gateway recorded (A1, A2).

Every number here is read back from the store for one period; nothing is estimated.
Days are calendar days in :data:`REPORT_TZ` (the jurisdiction's time zone). The keys
of :func:`headline` are the ones ``companion-guard simulate`` plans, so a report can be
checked against a known truth.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from companion_guard.store.tables import OutboxMessage, ReviewCase, Turn, User
from companion_guard.store.tables_guardians import GuardianAlert, GuardianConsent, WalletAuthorization
from companion_guard.store.tables_rights import Complaint
from companion_guard.types import RiskLevel

#: Calendar days of the report (users in China).
REPORT_TZ = ZoneInfo("Asia/Shanghai")

#: Input signal categories that identify a user in an extreme situation (I1, I2).
CRISIS_CATEGORIES = (
    "user.suicide_intent",
    "user.self_harm",
    "user.extreme_emotion",
    "user.property_loss",
    "user.medical_emergency",
)
#: Levels that count as an identification: I1 from medium, I2 at high and critical.
IDENTIFIED_LEVELS = ("medium", "high", "critical")

#: Age bands of the age structure.
AGE_BANDS = (
    ("under_14", 0, 13),
    ("14_17", 14, 17),
    ("18_29", 18, 29),
    ("30_44", 30, 44),
    ("45_59", 45, 59),
    ("60_plus", 60, 200),
)

#: Daily-minutes buckets of the usage-duration distribution (upper bounds, minutes).
DURATION_BUCKETS = ((5, "<5"), (15, "5–15"), (30, "15–30"), (60, "30–60"), (120, "60–120"), (None, "≥120"))


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end]`` in UTC; ``end`` is the last moment counted."""

    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        """The calendar day (report time zone) the period ends on: MAU and DAU are as of this day."""
        return self.end.astimezone(REPORT_TZ).date()


def naive(value: datetime) -> datetime:
    """UTC without tzinfo, as the store keeps times."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def aware(value: datetime) -> datetime:
    """A stored (naive UTC) time as an aware UTC time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def day_of(value: datetime) -> date:
    """The calendar day of a stored time in the report time zone."""
    return aware(value).astimezone(REPORT_TZ).date()


def recorded_period(session: Session, start: datetime | None, end: datetime | None) -> Period:
    """The period asked for; without bounds, all recorded time (first user or turn to the last turn)."""
    if start is None:
        firsts = [
            session.scalar(select(func.min(User.created_at))),
            session.scalar(select(func.min(Turn.created_at))),
        ]
        known = [f for f in firsts if f is not None]
        start = aware(min(known)) if known else datetime.now(UTC)
    if end is None:
        columns = (
            Turn.created_at,
            User.created_at,
            Complaint.updated_at,
            ReviewCase.created_at,
            ReviewCase.first_response_at,
            ReviewCase.closed_at,
            OutboxMessage.delivered_at,
            WalletAuthorization.created_at,
            GuardianConsent.granted_at,
        )
        known = [x for x in (session.scalar(select(func.max(c))) for c in columns) if x is not None]
        end = aware(max(known)) if known else datetime.now(UTC)
    return Period(aware(start), aware(end))


def quantiles(values: list[float]) -> dict[str, float | None]:
    """p50 and p90 (nearest rank) and the count."""
    if not values:
        return {"n": 0, "p50": None, "p90": None, "max": None}
    data = sorted(values)

    def rank(q: float) -> float:
        return round(data[max(0, min(len(data) - 1, int(-(-q * len(data) // 1)) - 1))], 1)

    return {"n": len(data), "p50": rank(0.5), "p90": rank(0.9), "max": round(data[-1], 1)}


def crisis_level(signals: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The strongest crisis signal of a stored turn as ``(category, level)``, or ``None``."""
    best: tuple[int, str, str] | None = None
    for s in signals or []:
        if s.get("category") not in CRISIS_CATEGORIES:
            continue
        level = RiskLevel.parse(s.get("level", "none"))
        if best is None or int(level) > best[0]:
            best = (int(level), s["category"], level.label)
    return (best[1], best[2]) if best else None


class Figures:
    """Counts and times for one period, read once from the store."""

    def __init__(
        self, session: Session, period: Period, *, idle_seconds: int = 1800, mau_days: int = 30
    ) -> None:
        self.session = session
        self.period = period
        self.idle_seconds = idle_seconds
        self.mau_days = mau_days
        self._lo, self._hi = naive(period.start), naive(period.end)
        self.users = list(session.scalars(select(User).where(User.created_at <= self._hi)))
        self.ages = {u.id: _age(u, period.last_day) for u in self.users}
        mau_from = datetime.combine(
            period.last_day - timedelta(days=mau_days - 1), datetime.min.time(), REPORT_TZ
        )
        lo = min(self._lo, naive(mau_from))
        self.turns = list(
            session.execute(
                select(
                    Turn.user_id, Turn.created_at, Turn.input_signals, Turn.events, Turn.status, Turn.id
                ).where(Turn.created_at >= lo, Turn.created_at <= self._hi)
            )
        )
        self.in_period = [t for t in self.turns if t.created_at >= self._lo]

    # ---- user scale ------------------------------------------------------------------

    def active_users(self, days: int) -> int:
        """Distinct users with a turn on the ``days`` calendar days ending on the period's last day."""
        first = self.period.last_day - timedelta(days=days - 1)
        return len({t.user_id for t in self.turns if first <= day_of(t.created_at) <= self.period.last_day})

    def user_scale(self) -> dict[str, Any]:
        """Registered users, MAU, DAU and new registrations per day."""
        registered = [u for u in self.users if u.registered]
        new_by_day = Counter(day_of(u.created_at).isoformat() for u in registered if u.created_at >= self._lo)
        dau_by_day = defaultdict(set)
        for t in self.in_period:
            dau_by_day[day_of(t.created_at).isoformat()].add(t.user_id)
        return {
            "registered_users": len(registered),
            "users_seen": len(self.users),
            "monthly_active_users": self.active_users(self.mau_days),
            "daily_active_users": self.active_users(1),
            "turns": len(self.in_period),
            "new_registrations_by_day": dict(sorted(new_by_day.items())),
            "active_users_by_day": {d: len(u) for d, u in sorted(dau_by_day.items())},
        }

    # ---- usage duration --------------------------------------------------------------

    def usage_duration(self) -> dict[str, Any]:
        """Minutes of use per active user-day (sessions split by the pack's idle gap), bucketed."""
        per_user: dict[str, list[datetime]] = defaultdict(list)
        for t in self.in_period:
            per_user[t.user_id].append(aware(t.created_at))
        minutes: dict[tuple[str, date], float] = defaultdict(float)
        for uid, times in per_user.items():
            times.sort()
            start = prev = times[0]
            for at in times[1:] + [None]:
                if at is None or (at - prev).total_seconds() >= self.idle_seconds:
                    # A session's length: first to last turn, plus a minute for reading the last reply.
                    minutes[(uid, start.astimezone(REPORT_TZ).date())] += (
                        prev - start
                    ).total_seconds() / 60 + 1
                    if at is not None:
                        start = at
                if at is not None:
                    prev = at
        values = list(minutes.values())
        buckets = {label: 0 for _, label in DURATION_BUCKETS}
        for v in values:
            for bound, label in DURATION_BUCKETS:
                if bound is None or v < bound:
                    buckets[label] += 1
                    break
        return {
            "user_days": len(values),
            "minutes_per_user_day": quantiles(values),
            "mean_minutes": round(sum(values) / len(values), 1) if values else None,
            "buckets": buckets,
        }

    # ---- age structure ---------------------------------------------------------------

    def age_structure(self) -> dict[str, Any]:
        """Registered users by age band on the period's last day (unknown: no age declared)."""
        counts = {name: 0 for name, _, _ in AGE_BANDS}
        counts["unknown"] = 0
        for u in self.users:
            if not u.registered:
                continue
            age = self.ages[u.id]
            if age is None:
                counts["unknown"] += 1
                continue
            for name, lo, hi in AGE_BANDS:
                if lo <= age <= hi:
                    counts[name] += 1
                    break
        return counts

    # ---- extreme situations ----------------------------------------------------------

    def extreme_situations(self) -> dict[str, Any]:
        """Identifications by signal and level, notification delays, human review times and outcomes."""
        by_level = {lv: 0 for lv in IDENTIFIED_LEVELS}
        by_signal: dict[str, dict[str, int]] = defaultdict(lambda: {lv: 0 for lv in IDENTIFIED_LEVELS})
        detected_at: dict[str, datetime] = {}
        for t in self.in_period:
            found = crisis_level(t.input_signals)
            if found is None or found[1] not in by_level:
                continue
            by_level[found[1]] += 1
            by_signal[found[0]][found[1]] += 1
            detected_at[t.id] = t.created_at
        notes = list(
            self.session.execute(
                select(
                    OutboxMessage.turn_id,
                    OutboxMessage.kind,
                    OutboxMessage.status,
                    OutboxMessage.created_at,
                    OutboxMessage.delivered_at,
                ).where(
                    OutboxMessage.created_at >= self._lo,
                    OutboxMessage.created_at <= self._hi,
                    OutboxMessage.kind.like("notify.%"),
                )
            )
        )
        delivered = [n for n in notes if n.status == "delivered"]
        delays = [(n.delivered_at - n.created_at).total_seconds() for n in delivered if n.delivered_at]
        cases = self._cases("crisis")
        review = [(c.first_response_at - c.created_at).total_seconds() for c in cases if c.first_response_at]
        outcomes = Counter(
            (c.close_reason or "resolved") if c.status == "closed" else c.status for c in cases
        )
        return {
            "identifications_by_level": by_level,
            "identifications_by_signal": {k: by_signal[k] for k in sorted(by_signal)},
            "notifications": {
                "queued": len(notes),
                "sent": len(delivered),
                "by_kind": dict(Counter(n.kind for n in delivered)),
                "pending_or_failed": len(notes) - len(delivered),
            },
            "seconds_detection_to_notification": quantiles(delays),
            "crisis_cases": len(cases),
            "seconds_to_human_review": quantiles(review),
            "case_outcomes": dict(sorted(outcomes.items())),
        }

    def _cases(self, queue: str) -> list[ReviewCase]:
        return list(
            self.session.scalars(
                select(ReviewCase).where(
                    ReviewCase.queue == queue,
                    ReviewCase.created_at >= self._lo,
                    ReviewCase.created_at <= self._hi,
                )
            )
        )

    # ---- complaints ------------------------------------------------------------------

    def complaints(self) -> dict[str, Any]:
        """Complaints, appeals and reports received, resolved, and how fast."""
        rows = list(
            self.session.scalars(
                select(Complaint).where(Complaint.created_at >= self._lo, Complaint.created_at <= self._hi)
            )
        )
        resolved = [c for c in rows if c.closed_at is not None and c.closed_at <= self._hi]
        first = [(c.first_response_at - c.created_at).total_seconds() for c in rows if c.first_response_at]
        done = [(c.closed_at - c.created_at).total_seconds() for c in resolved if c.closed_at is not None]
        return {
            "received": len(rows),
            "resolved": len(resolved),
            "by_kind": dict(sorted(Counter(c.kind for c in rows).items())),
            "by_status": dict(sorted(Counter(c.status for c in rows).items())),
            "seconds_to_first_response": quantiles(first),
            "seconds_to_resolution": quantiles(done),
        }

    # ---- minors and the elderly ------------------------------------------------------

    def minors_and_elderly(self) -> dict[str, Any]:
        """Consents, minor-mode share, guardian alerts, blocked personas, refused top-ups, elderly help times."""
        known = {u.id: age for u in self.users if u.registered and (age := self.ages[u.id]) is not None}
        minors = {uid for uid, age in known.items() if age < 18}
        elderly = {uid for uid, age in known.items() if age >= 60}
        consents = list(
            self.session.scalars(
                select(GuardianConsent).where(
                    GuardianConsent.granted_at >= self._lo, GuardianConsent.granted_at <= self._hi
                )
            )
        )
        alerts = list(
            self.session.scalars(
                select(GuardianAlert).where(
                    GuardianAlert.created_at >= self._lo, GuardianAlert.created_at <= self._hi
                )
            )
        )
        wallet = list(
            self.session.scalars(
                select(WalletAuthorization).where(
                    WalletAuthorization.created_at >= self._lo, WalletAuthorization.created_at <= self._hi
                )
            )
        )
        refused = [w for w in wallet if not w.allowed]
        blocked = [t for t in self.in_period if any(e.get("kind") == "block.persona" for e in t.events or [])]
        minor_turns = [t for t in self.in_period if t.user_id in minors]
        help_cases = self._cases("elderly_help")
        help_requests = [c for c in help_cases if c.category == "user.help_request"]
        waits = [
            (c.first_response_at - c.created_at).total_seconds() for c in help_cases if c.first_response_at
        ]
        return {
            "minors": len(minors),
            "elderly_users": len(elderly),
            "guardian_consents": len(consents),
            "consents_revoked": sum(1 for c in consents if c.revoked_at is not None),
            "minor_turns": len(minor_turns),
            "minor_mode_share": round(len(minor_turns) / len(self.in_period), 4) if self.in_period else 0.0,
            "guardian_alerts": dict(sorted(Counter(a.kind for a in alerts).items())),
            "blocked_persona_turns": len(blocked),
            "topups": len(wallet),
            "refused_topups": len(refused),
            "refusals_by_reason": dict(sorted(Counter(w.reason for w in refused).items())),
            "elderly_help_cases": len(help_cases),
            "help_requests": len(help_requests),
            "seconds_to_elderly_help": quantiles(waits),
        }

    def all(self) -> dict[str, Any]:
        """Every section's figures."""
        return {
            "user_scale": self.user_scale(),
            "usage_duration": self.usage_duration(),
            "age_structure": self.age_structure(),
            "extreme_situations": self.extreme_situations(),
            "complaints": self.complaints(),
            "minors_and_elderly": self.minors_and_elderly(),
        }


def headline(sections: dict[str, Any]) -> dict[str, Any]:
    """The figures ``simulate`` plans (same keys as its truth file)."""
    scale, crisis = sections["user_scale"], sections["extreme_situations"]
    complaints, protect = sections["complaints"], sections["minors_and_elderly"]
    return {
        "registered_users": scale["registered_users"],
        "mau": scale["monthly_active_users"],
        "dau": scale["daily_active_users"],
        "crisis_identifications": dict(crisis["identifications_by_level"]),
        "notifications_sent": crisis["notifications"]["sent"],
        "complaints_received": complaints["received"],
        "complaints_resolved": complaints["resolved"],
        "minors": protect["minors"],
        "elderly_users": protect["elderly_users"],
        "consents": protect["guardian_consents"],
        "refused_topups": protect["refused_topups"],
        "persona_blocks": protect["blocked_persona_turns"],
        "help_requests": protect["help_requests"],
    }


def _age(user: User, on: date) -> int | None:
    if user.birth_date is not None:
        b = user.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))
    return user.age
