"""``companion-guard simulate``: synthetic traffic with a known truth, through the real gateway.

A seeded plan makes users (adults, elderly users, minors with guardians), the days they
chat, what they write, their crises, help requests, top-ups, complaints and what people
on duty do, then plays it in time order against the real gateway app (in process, on a
:class:`~companion_guard.clock.FrozenClock` that the plan moves; the built-in demo
companion answers). Notifications leave through the real outbox into a sink channel.

Every message is checked with the gateway's own detectors in the context it will be
sent in (the user's earlier messages) before it is planned: an everyday message must
stay below ``medium``, a crisis message must be read at exactly the planned level, or
another text is tried. The truth file holds what was *planned*, never what was read back.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from companion_guard.detectors.base import DetectionContext
from companion_guard.reports import simtexts
from companion_guard.reports.figures import IDENTIFIED_LEVELS, REPORT_TZ, crisis_level
from companion_guard.types import Direction, Message

#: Signals an everyday message must not carry (they would open cases or change the plan).
QUIET_CATEGORIES = frozenset(
    {
        "loud",
        "user.help_request",
        "user.property_loss",
        "user.leave_intent",
        "user.asks_if_human",
        "user.dependency",
        "user.third_party_risk",
    }
)

PERSONAS = {
    "adult": ("xiaoyu", "laoshi", "mimi", "linshen", "nainai"),
    "elderly": ("nainai", "xiaoyu"),
    "minor": ("xiaoyu", "laoshi", "mimi"),
}


@dataclass
class SimUser:
    """One planned user."""

    id: str
    group: str  # adult | elderly | minor
    age: int
    lang: str
    reg_day: int
    contact: bool = False
    guardian: bool = False
    blocks_mimi: bool = False
    last_day: int = 0
    p_active: float = 0.2
    history: list[str] = field(default_factory=list)

    @property
    def locale(self) -> str:
        """The user's locale."""
        return "en-US" if self.lang == "en" else "zh-CN"

    @property
    def groups(self) -> frozenset[str]:
        """Policy groups (as the pipeline derives them)."""
        if self.age < 14:
            return frozenset({"child", "minor"})
        if self.age < 18:
            return frozenset({"minor"})
        return frozenset({"elderly", "adult"} if self.age >= 60 else {"adult"})


@dataclass(order=True)
class Step:
    """One planned action at one moment."""

    at: datetime
    seq: int
    kind: str = field(compare=False)
    user: str = field(compare=False)
    data: dict[str, Any] = field(default_factory=dict, compare=False)


class Planner:
    """Makes the plan and its truth; checks every text with ``registry`` in its context."""

    def __init__(
        self, *, users: int, days: int, seed: int, start: datetime, registry: Any, history_messages: int = 6
    ) -> None:
        self.rng = random.Random(seed)
        self.n, self.days, self.start = users, days, start
        self.registry = registry
        self.context_turns = max(0, history_messages // 2)
        self.steps: list[Step] = []
        self.users: list[SimUser] = []
        self.crises: Counter[str] = Counter()
        self.notifications = 0
        self.seq = 0

    # ---- helpers -------------------------------------------------------------------

    def at(self, day: int, seconds: float) -> datetime:
        """A moment of plan day ``day`` (local midnight + seconds)."""
        return self.start + timedelta(days=day, seconds=seconds)

    @property
    def end(self) -> datetime:
        """Nothing is planned after 23:00 on the last day."""
        return self.at(self.days - 1, 23 * 3600)

    def add(self, at: datetime, kind: str, user: str, **data: Any) -> Step | None:
        """Plan a step, unless it falls after the end."""
        if at > self.end:
            return None
        self.seq += 1
        step = Step(at, self.seq, kind, user, data)
        self.steps.append(step)
        return step

    def level(self, user: SimUser, text: str) -> tuple[str | None, set[str]]:
        """The crisis level the gateway will read for ``text`` after the user's earlier messages."""
        earlier = user.history[-self.context_turns :] if self.context_turns else []
        history = tuple(m for t in earlier for m in (Message("user", t), Message("assistant", "…")))
        ctx = DetectionContext(
            direction=Direction.INPUT,
            history=history,
            user_age=user.age,
            locale=user.locale,
            user_groups=user.groups,
        )
        signals = [s.to_dict() for s in self.registry.detect(text, ctx)]
        found = crisis_level(signals)
        # Any other signal at medium or above could steer, escalate or notify: such a text is not "everyday".
        loud = {"loud" for s in signals if s.get("level") in IDENTIFIED_LEVELS}
        return (found[1] if found else None), {s["category"] for s in signals} | loud

    def pick(self, user: SimUser, pool: tuple[str, ...], want: str | None) -> str | None:
        """A text of ``pool`` read at ``want`` (``None``: everyday, below medium and quiet) in this context."""
        for text in self.rng.sample(pool, len(pool)):
            level, categories = self.level(user, text)
            if want is None and level not in IDENTIFIED_LEVELS and not categories & QUIET_CATEGORIES:
                return text
            if want is not None and level == want:
                return text
        return None

    # ---- the plan ------------------------------------------------------------------

    def make_users(self) -> None:
        """Who the users are."""
        rng = self.rng
        for i in range(self.n):
            r = rng.random()
            group = "minor" if r < 0.18 else ("elderly" if r < 0.32 else "adult")
            age = {
                "minor": rng.randint(10, 17),
                "elderly": rng.randint(60, 86),
                "adult": rng.randint(18, 59),
            }[group]
            lang = "en" if rng.random() < 0.1 else "zh"
            reg_day = 0 if rng.random() < 0.4 else rng.randint(0, self.days - 1)
            u = SimUser(f"sim-{i:04d}", group, age, lang, reg_day, p_active=rng.uniform(0.08, 0.3))
            u.contact = group != "minor" and rng.random() < 0.85
            u.guardian = group == "minor" and (age < 14 or rng.random() < 0.7)
            u.blocks_mimi = u.guardian and rng.random() < 0.3
            churn = rng.random() < 0.12 and u.reg_day < self.days - 31
            u.last_day = min(self.days - 1, u.reg_day + rng.randint(0, 3)) if churn else self.days - 1
            self.users.append(u)

    def active_days(self, u: SimUser) -> list[int]:
        """The days a user chats on (at least one)."""
        days = [d for d in range(u.reg_day, u.last_day + 1) if self.rng.random() < u.p_active]
        return days or [self.rng.randint(u.reg_day, u.last_day)]

    def plan_user(self, u: SimUser, specials: dict[str, Any]) -> None:
        """Register, consent, chat; place the user's special turns on their active days."""
        rng = self.rng
        reg_at = self.at(u.reg_day, 8 * 3600 + rng.randint(0, 3000))
        self.add(reg_at, "register", u.id, age=u.age, locale=u.locale, contact=u.contact, group=u.group)
        if u.guardian:
            self.add(reg_at + timedelta(seconds=60), "consent", u.id)
            if u.blocks_mimi:
                self.add(reg_at + timedelta(seconds=120), "block", u.id, personas=["mimi"])
        days = self.active_days(u)
        if u.reg_day == 0 and days[0] != 0 and rng.random() < 0.5:
            days.insert(0, 0)
        special_days = {k: rng.choice(days) for k in specials}
        for day in days:
            clock = (9 if u.group == "minor" else 8) * 3600 + 3600 + rng.randint(0, 9 * 3600)
            when = self.at(day, clock)
            if day == u.reg_day and when <= reg_at + timedelta(seconds=300):
                when = reg_at + timedelta(seconds=300 + rng.randint(0, 600))
            turns = rng.randint(1, 3 if u.group == "minor" else 4)
            extras = [k for k, d in special_days.items() if d == day]
            kinds = ["everyday"] * turns
            for k in extras:
                kinds.insert(rng.randint(1, len(kinds)), k)
            for kind in kinds:
                self.plan_turn(u, kind, when, specials.get(kind))
                when += timedelta(seconds=rng.randint(60, 480))

    def plan_turn(self, u: SimUser, kind: str, when: datetime, spec: Any) -> None:
        """One turn (or a top-up) with its follow-ups: sweeps of the outbox, people on duty."""
        rng, lang = self.rng, u.lang
        group = "adult" if u.group == "adult" else u.group
        if kind == "topup":
            for amount in spec:
                refused = u.group == "minor" and amount > 100
                if self.add(when, "topup", u.id, amount=amount, refused=refused) and refused:
                    self.notifications += 1
                    self.add(when + timedelta(seconds=rng.randint(30, 120)), "sweep", u.id)
                when += timedelta(seconds=90)
            return
        if kind == "crisis":
            text = self.pick(u, simtexts.CRISIS[lang][spec], spec)
            if text is None:  # nothing reads at this level here: an everyday turn instead
                kind, spec = "everyday", None
            else:
                if not self.add(when, "chat", u.id, text=text, persona=self.persona(u), crisis=spec):
                    return
                self.crises[spec] += 1
                u.history.append(text)
                if spec in ("high", "critical"):
                    self.notifications += 1
                    self.add(when + timedelta(seconds=rng.randint(20, 240)), "sweep", u.id)
                    ack = when + timedelta(seconds=rng.randint(120, 1500))
                    self.add(ack, "case", u.id, action="acknowledge", queue="crisis")
                    self.add(
                        ack + timedelta(seconds=rng.randint(3600, 6 * 3600)),
                        "case",
                        u.id,
                        action="resolve",
                        queue="crisis",
                    )
                return
        if kind == "help":
            text = self.pick_help(u, simtexts.HELP_REQUEST[lang])
            if text is not None and self.add(
                when, "chat", u.id, text=text, persona=self.persona(u), help=True
            ):
                u.history.append(text)
                ack = when + timedelta(seconds=rng.randint(180, 2400))
                self.add(ack, "case", u.id, action="acknowledge", queue="elderly_help")
                self.add(
                    ack + timedelta(seconds=rng.randint(600, 3 * 3600)),
                    "case",
                    u.id,
                    action="resolve",
                    queue="elderly_help",
                )
            return
        persona = self.persona(u)
        if kind == "blocked":
            persona = "mimi" if u.blocks_mimi else "linshen"
        text = self.pick(u, simtexts.EVERYDAY[lang][group], None)
        if text is None:
            return
        if self.add(when, "chat", u.id, text=text, persona=persona, blocked=kind == "blocked"):
            u.history.append(text)
            if kind == "blocked":
                self.notifications += 1
                self.add(when + timedelta(seconds=rng.randint(30, 120)), "sweep", u.id)

    def persona(self, u: SimUser) -> str:
        """A persona this user chats with (never one that would be refused)."""
        if u.lang == "en":
            return "sam"
        choices = [p for p in PERSONAS[u.group] if not (u.blocks_mimi and p == "mimi")]
        return self.rng.choice(choices)

    def pick_help(self, u: SimUser, pool: tuple[str, ...]) -> str | None:
        """A help request that is not read as a crisis here."""
        for text in self.rng.sample(pool, len(pool)):
            level, _ = self.level(u, text)
            if level not in IDENTIFIED_LEVELS:
                return text
        return None

    def plan_complaints(self) -> tuple[int, int]:
        """Complaints, appeals and reports with their handling; returns (received, resolved)."""
        rng, received, resolved = self.rng, 0, 0
        for _ in range(max(2, self.n // 12)):
            kind = rng.choice(("complaint", "complaint", "report", "appeal"))
            u = rng.choice(self.users)
            day = rng.randint(u.reg_day, self.days - 1)
            filed = self.at(day, 9 * 3600 + rng.randint(0, 12 * 3600))
            ref = f"c{self.seq}"
            if not self.add(filed, "complaint", u.id, ckind=kind, ref=ref):
                continue
            received += 1
            first = filed + timedelta(seconds=rng.randint(1800, 20 * 3600))
            self.add(
                first,
                "complaint_update",
                u.id,
                ref=ref,
                body={"status": "in_progress", "assignee": "sim-operator"},
            )
            answered = first + timedelta(seconds=rng.randint(1800, 24 * 3600))
            self.add(
                answered,
                "complaint_update",
                u.id,
                ref=ref,
                body={"answer": "已处理，感谢反馈。Handled, thank you."},
            )
            if rng.random() < 0.8:
                closed = answered + timedelta(seconds=rng.randint(600, 12 * 3600))
                if self.add(closed, "complaint_update", u.id, ref=ref, body={"status": "closed"}):
                    resolved += 1
        return received, resolved

    def plan(self) -> dict[str, Any]:
        """Make the whole plan; return the truth (what was planned)."""
        rng = self.rng
        self.make_users()
        eligible = [u for u in self.users if u.group != "minor" and u.contact and u.last_day == self.days - 1]
        rng.shuffle(eligible)
        wanted = {
            "medium": max(1, self.n // 30),
            "high": max(1, self.n // 40),
            "critical": max(1, self.n // 50),
        }
        crisis_of: dict[str, str] = {}
        for level, count in wanted.items():
            for _ in range(count):
                if eligible:
                    crisis_of[eligible.pop().id] = level
        elderly = [u for u in self.users if u.group == "elderly" and u.id not in crisis_of]
        helpers = {u.id for u in elderly if rng.random() < 0.4}
        for u in self.users:
            specials: dict[str, Any] = {}
            if u.id in crisis_of:
                specials["crisis"] = crisis_of[u.id]
            if u.id in helpers:
                specials["help"] = True
            if u.guardian and rng.random() < 0.35:
                specials["blocked"] = True
            if u.guardian and rng.random() < 0.5:
                specials["topup"] = [30] + ([500] if rng.random() < 0.4 else [])
            elif u.group == "adult" and rng.random() < 0.15:
                specials["topup"] = [68]
            self.plan_user(u, specials)
        if not any(s.kind == "chat" and (s.at - self.start).days == self.days - 1 for s in self.steps):
            # MAU and DAU are "as of the last day": make sure someone chats on it.
            u = rng.choice([x for x in self.users if x.last_day == self.days - 1])
            self.plan_turn(u, "everyday", self.at(self.days - 1, 22 * 3600 + 1800), None)
        received, resolved = self.plan_complaints()
        self.add(self.end, "sweep", "")
        return {"figures": self.truth(received, resolved), "plan": self.summary()}

    def truth(self, received: int, resolved: int) -> dict[str, Any]:
        """The planned figures (keys as ``report assessment --format json``)."""
        turns = [s for s in self.steps if s.kind == "chat"]
        last = self.days - 1
        days: dict[str, set[int]] = {s.user: set() for s in turns}
        for s in turns:
            days[s.user].add((s.at - self.start).days)
        mau = sum(1 for d in days.values() if any(last - 29 <= x <= last for x in d))
        dau = sum(1 for d in days.values() if last in d)
        return {
            "registered_users": len(self.users),
            "mau": mau,
            "dau": dau,
            "crisis_identifications": {lv: self.crises.get(lv, 0) for lv in IDENTIFIED_LEVELS},
            "notifications_sent": self.notifications,
            "complaints_received": received,
            "complaints_resolved": resolved,
            "minors": sum(1 for u in self.users if u.group == "minor"),
            "elderly_users": sum(1 for u in self.users if u.group == "elderly"),
            "consents": sum(1 for u in self.users if u.guardian),
            "refused_topups": sum(1 for s in self.steps if s.kind == "topup" and s.data["refused"]),
            "persona_blocks": sum(1 for s in turns if s.data.get("blocked")),
            "help_requests": sum(1 for s in turns if s.data.get("help")),
        }

    def summary(self) -> dict[str, Any]:
        """What the plan holds, for the truth file's readers."""
        return {
            "users": len(self.users),
            "days": self.days,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "steps": dict(sorted(Counter(s.kind for s in self.steps).items())),
            "turns": sum(1 for s in self.steps if s.kind == "chat"),
        }


def local_start(day: date) -> datetime:
    """Midnight of ``day`` in the report time zone."""
    return datetime.combine(day, datetime.min.time(), REPORT_TZ)
