"""The compliance matrix: requirement → where it is implemented → its tests → their last result.

Code locations are read from the things that declare requirement IDs (policy
rules, duties, detectors); test results come from the JSON file that the test
suite's plugin writes (``.companion-guard/test-results.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from companion_guard.requirements import REQUIREMENTS

DEFAULT_RESULTS = Path(".companion-guard/test-results.json")


@dataclass
class Row:
    """One requirement's line in the matrix."""

    id: str
    summary: str
    code: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def status(self) -> str:
        """``pass``, ``fail``, ``untested`` (code, no run tests) or ``not implemented``."""
        if self.failed:
            return "fail"
        if self.passed:
            return "pass"
        if self.code or self.tests:
            return "untested"
        return "not implemented"


def code_locations() -> dict[str, list[str]]:
    """Requirement → the rules, duties, detectors and surfaces that implement it."""
    from companion_guard.detectors.registry import builtin_detectors
    from companion_guard.duties import duty_classes
    from companion_guard.policy.loader import load_pack

    where: dict[str, list[str]] = {}

    def add(req: str, what: str) -> None:
        where.setdefault(req, [])
        if what not in where[req]:
            where[req].append(what)

    for rule in load_pack("cn-2026").rules:
        add(rule.requirement, f"rule cn-2026:{rule.id}")
    for duty in duty_classes():
        for req in duty.requirements:
            add(req, f"duty {duty.id}")
    for det in builtin_detectors():
        for req in det.requirements:
            add(req, f"detector {det.id}")
    for req, what in SURFACES:
        add(req, what)
    return where


#: Implementations that are routes or commands rather than rules, duties or detectors.
SURFACES: tuple[tuple[str, str], ...] = (
    ("L1", "guard.label on every reply (service/routes/chat.py)"),
    ("S2", "RiskLevel levels + user groups (types.py, guardians/bands.py BandTable.groups_for)"),
    ("X1", "companion-guard redteam (sandbox/)"),
    ("D2", "companion-guard redteam --fail-under (release gate)"),
    ("D1", "hash-chained audit log + `audit verify` (rights/audit.py)"),
    ("D1", "operator console API, audited content reads, incidents (service/routes/operators.py)"),
    (
        "D3",
        "AES-GCM per-user data keys wrapped by a master key (rights/aead.py, data_keys.py, master_key.py)",
    ),
    (
        "D3",
        "consent-checked, logged outbound flows (rights/flows.py); roles (service/auth.py, rights/roles.py)",
    ),
    ("D4", "export, delete, quit, complaints (service/routes/rights.py)"),
    ("D4", "duty rights: notice.data_rights, notice.service_end (rights/duty.py)"),
    ("D5", "restrictions, suspension, kill switch as a turn gate (rights/controls.py, rights/duty.py)"),
    ("M2", "guardian invitation and consent (service/routes/guardians/consent.py)"),
    ("M4", "guardian portal and POST /v1/wallet/authorize (service/routes/guardians/portal.py, wallet.py)"),
    ("E1", "elderly help queue with response times (/v1/help-cases, service/routes/help_cases.py)"),
    (
        "I2",
        "crisis queue: list, acknowledge, note, resolve, targets (/v1/help-cases?queue=crisis, store/cases.py)",
    ),
    (
        "I2",
        "help first: crisis inspection before every gate, crisis reply on upstream failure (pipeline.py, effects.py)",
    ),
    ("I1", "crisis reply per signal whenever a reply is replaced during a crisis (effects.crisis_reply)"),
    ("S1", "companion-guard scope: questionnaire citing Q2/Q3; persona kind (reports/scope.py)"),
    (
        "A1",
        "assessment triggers: users, MAU, launches, features, major changes, pack/model versions (reports/triggers.py)",
    ),
    (
        "A2",
        "companion-guard report assessment: live figures, html/pdf/md/json with charts (reports/assessment.py)",
    ),
    ("A3", "companion-guard report filing + filing record: draft and change log (reports/filing.py)"),
    ("X2", "GET /v1/safety-tips and notice.safety_tips once per user (reports/tips.py)"),
)


def load_results(path: Path) -> dict[str, Any]:
    """The test plugin's results file, or an empty record."""
    if not path.is_file():
        return {"tests": []}
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return results


def build_matrix(results_path: Path = DEFAULT_RESULTS) -> list[Row]:
    """Every requirement ID with its code, tests and last results."""
    code = code_locations()
    rows = {rid: Row(rid, summary, code=code.get(rid, [])) for rid, summary in REQUIREMENTS.items()}
    for test in load_results(results_path).get("tests", []):
        for rid in test.get("reqs", []):
            row = rows.get(rid)
            if row is None:
                continue
            row.tests.append(test["nodeid"])
            outcome = test.get("outcome")
            if outcome == "passed":
                row.passed += 1
            elif outcome == "failed":
                row.failed += 1
            else:
                row.skipped += 1
    return list(rows.values())


def markdown(rows: list[Row]) -> str:
    """The matrix as a Markdown table (README)."""
    lines = [
        "| ID | requirement | implemented by | tests (passed/failed) | status |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        code = "; ".join(r.code[:4]) + (f" (+{len(r.code) - 4})" if len(r.code) > 4 else "")
        lines.append(
            f"| {r.id} | {r.summary} | {code or '—'} | {len(r.tests)} ({r.passed}/{r.failed}) | {r.status} |"
        )
    return "\n".join(lines)


@dataclass
class RiskRow:
    """One TC260-003 risk's line: the pack's categories and coverage, the tests that carry its code."""

    code: str
    risk: str
    coverage: str
    categories: list[str]
    tests: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0


def taxonomy_matrix(results_path: Path = DEFAULT_RESULTS) -> list[RiskRow]:
    """The pack's TC260-003 taxonomy with the tests marked ``@pytest.mark.tc260(code)`` and their results."""
    from companion_guard.policy.loader import load_pack

    rows = {
        r.code: RiskRow(r.code, r.zh, r.coverage.value, list(r.categories))
        for r in load_pack("cn-2026").taxonomy.get("tc260-003", [])
    }
    for test in load_results(results_path).get("tests", []):
        for code in test.get("tc260", []):
            row = rows.get(code)
            if row is not None:
                row.tests.append(test["nodeid"])
                row.passed += test.get("outcome") == "passed"
                row.failed += test.get("outcome") == "failed"
    return list(rows.values())


def taxonomy_markdown(rows: list[RiskRow]) -> str:
    """The taxonomy part of the matrix as a Markdown table (README)."""
    lines = [
        "| TC260-003 | risk | coverage | signal categories | tests (passed/failed) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        cats = ", ".join(f"`{c}`" for c in r.categories) or "—"
        lines.append(
            f"| {r.code} | {r.risk} | {r.coverage} | {cats} | {len(r.tests)} ({r.passed}/{r.failed}) |"
        )
    return "\n".join(lines)
