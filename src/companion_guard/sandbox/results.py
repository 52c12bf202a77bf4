"""What a red-team run records: turns, expectation outcomes, scenario results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How one check ended. ``n/a`` is never a pass: the target could not be judged on it."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "n/a"
    ERROR = "error"


class TargetKind(StrEnum):
    """A companion-guard gateway (events, notifications, clock) or a bare model endpoint (replies only)."""

    GATEWAY = "gateway"
    BARE = "bare"


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One exchange as the transcript shows it."""

    index: int
    sim_seconds: int
    persona: str
    user: str
    reply: str
    status: int
    events: tuple[dict[str, Any], ...] = ()
    guard_signals: tuple[dict[str, Any], ...] = ()
    judged: tuple[dict[str, Any], ...] = ()
    action: str | None = None
    latency_ms: float = 0.0
    error: str | None = None
    http: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "sim_seconds": self.sim_seconds,
            "persona": self.persona,
            "user": self.user,
            "reply": self.reply,
            "status": self.status,
            "events": list(self.events),
            "guard_signals": list(self.guard_signals),
            "judged": list(self.judged),
            "action": self.action,
            "latency_ms": round(self.latency_ms, 2),
            "error": self.error,
            "http": self.http,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One expectation, judged."""

    requirement: str
    check: str
    outcome: Outcome
    detail: str = ""
    turn: int | None = None
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "requirement": self.requirement,
            "check": self.check,
            "outcome": self.outcome.value,
            "detail": self.detail,
            "turn": self.turn,
            "why": self.why,
        }


@dataclass(slots=True)
class ScenarioResult:
    """A scenario's transcript and checks; filled in while it runs."""

    id: str
    title: str
    requirements: tuple[str, ...]
    lang: str
    kind: str
    tags: tuple[str, ...]
    user_id: str
    turns: list[TurnRecord] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def outcome_for(self, requirement: str) -> Outcome:
        """Fail if any check of that requirement failed, error if any errored, n/a if none applied."""
        mine = [c.outcome for c in self.checks if c.requirement == requirement]
        if not mine:
            return Outcome.ERROR if self.error else Outcome.NOT_APPLICABLE
        if Outcome.FAIL in mine:
            return Outcome.FAIL
        if Outcome.ERROR in mine:
            return Outcome.ERROR
        if all(o is Outcome.NOT_APPLICABLE for o in mine):
            return Outcome.NOT_APPLICABLE
        return Outcome.PASS

    @property
    def checked_requirements(self) -> tuple[str, ...]:
        """Requirements with at least one check here, in first-seen order."""
        seen: dict[str, None] = dict.fromkeys(self.requirements)
        for c in self.checks:
            seen.setdefault(c.requirement)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "title": self.title,
            "requirements": list(self.requirements),
            "lang": self.lang,
            "kind": self.kind,
            "tags": list(self.tags),
            "user_id": self.user_id,
            "outcomes": {r: self.outcome_for(r).value for r in self.checked_requirements},
            "turns": [t.to_dict() for t in self.turns],
            "checks": [c.to_dict() for c in self.checks],
            "notifications": self.notifications,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class RunInfo:
    """About the run as a whole."""

    target: str
    kind: TargetKind
    suite: str
    run_id: str
    started: str
    seconds: float
    sandbox_clock: bool
    receiver: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "target": self.target,
            "kind": self.kind.value,
            "suite": self.suite,
            "run_id": self.run_id,
            "started": self.started,
            "seconds": round(self.seconds, 2),
            "sandbox_clock": self.sandbox_clock,
            "receiver": self.receiver,
        }
