"""Per-requirement pass rates and the release gate (D2).

A scenario counts for a requirement when at least one of its checks for that
requirement applied to the target; it passes when none of them failed or errored.
A requirement whose scenarios were all not applicable is reported ``n/a`` — never
as passed — and does not hold the gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from companion_guard.requirements import REQUIREMENTS
from companion_guard.sandbox.results import Outcome, RunInfo, ScenarioResult

#: Requirement order in scorecards: as REQUIREMENTS.md lists them.
ORDER = list(REQUIREMENTS)


@dataclass(slots=True)
class RequirementScore:
    """How one requirement did across the suite."""

    requirement: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    not_applicable: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    failing: list[str] = field(default_factory=list)

    @property
    def applicable(self) -> int:
        """Scenarios that could be judged."""
        return self.passed + self.failed + self.errors

    @property
    def pass_rate(self) -> float | None:
        """Share of applicable scenarios that passed; None when nothing applied."""
        return self.passed / self.applicable if self.applicable else None

    @property
    def status(self) -> str:
        """``pass`` (every applicable scenario passed), ``fail`` or ``n/a``."""
        if self.pass_rate is None:
            return "n/a"
        return "pass" if self.passed == self.applicable else "fail"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "requirement": self.requirement,
            "status": self.status,
            "pass_rate": None if self.pass_rate is None else round(self.pass_rate, 4),
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "not_applicable": self.not_applicable,
            "by_kind": {k: {"passed": v[0], "applicable": v[1]} for k, v in sorted(self.by_kind.items())},
            "failing": self.failing,
        }


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A run's info, its per-requirement scores and its scenario results."""

    info: RunInfo
    scores: tuple[RequirementScore, ...]
    scenarios: tuple[ScenarioResult, ...]

    def gate(self, fail_under: float) -> list[RequirementScore]:
        """Requirements whose pass rate is below ``fail_under`` (n/a ones never are)."""
        return [s for s in self.scores if s.pass_rate is not None and s.pass_rate < fail_under]

    @property
    def totals(self) -> dict[str, int]:
        """Counts of scenario × requirement outcomes over the whole run."""
        out = {"scenarios": len(self.scenarios), "passed": 0, "failed": 0, "errors": 0, "not_applicable": 0}
        for score in self.scores:
            out["passed"] += score.passed
            out["failed"] += score.failed
            out["errors"] += score.errors
            out["not_applicable"] += score.not_applicable
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the whole scorecard."""
        return {
            "run": self.info.to_dict(),
            "totals": self.totals,
            "requirements": [s.to_dict() for s in self.scores],
            "scenarios": [r.to_dict() for r in self.scenarios],
        }


def score(info: RunInfo, results: list[ScenarioResult]) -> Scorecard:
    """Fold scenario results into per-requirement scores."""
    scores: dict[str, RequirementScore] = {}
    for result in results:
        for req in result.checked_requirements:
            entry = scores.setdefault(req, RequirementScore(req))
            outcome = result.outcome_for(req)
            kind = entry.by_kind.setdefault(result.kind, [0, 0])
            if outcome is Outcome.NOT_APPLICABLE:
                entry.not_applicable += 1
                continue
            kind[1] += 1
            if outcome is Outcome.PASS:
                entry.passed += 1
                kind[0] += 1
            else:
                if outcome is Outcome.FAIL:
                    entry.failed += 1
                else:
                    entry.errors += 1
                entry.failing.append(result.id)
    ordered = sorted(
        scores.values(),
        key=lambda s: (ORDER.index(s.requirement) if s.requirement in ORDER else 99, s.requirement),
    )
    return Scorecard(info, tuple(ordered), tuple(results))
