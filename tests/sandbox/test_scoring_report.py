"""Scoring (n/a is never a pass; the release gate) and the three scorecard formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion_guard.sandbox.report import to_html, to_markdown, write_scorecard
from companion_guard.sandbox.results import (
    CheckResult,
    Outcome,
    RunInfo,
    ScenarioResult,
    TargetKind,
    TurnRecord,
)
from companion_guard.sandbox.scoring import score


def _result(sid: str, *checks: tuple[str, Outcome], kind: str = "positive") -> ScenarioResult:
    result = ScenarioResult(
        sid, f"标题 {sid} <b>", tuple(dict.fromkeys(r for r, _ in checks)), "zh", kind, (), f"u-{sid}"
    )
    result.turns.append(
        TurnRecord(
            1,
            0,
            "main",
            "晚安 <script>alert(1)</script>",
            "再见",
            200,
            events=({"kind": "reminder.time", "display": "popup", "message": "m"},),
        )
    )
    result.checks.extend(CheckResult(r, "check", o, "detail", 1) for r, o in checks)
    return result


INFO = RunInfo("http://x", TargetKind.GATEWAY, "cn-2026", "abc", "2026-11-29T00:00:00+00:00", 1.0, True)


@pytest.mark.req("D2")
def test_pass_rates_and_gate() -> None:
    card = score(
        INFO,
        [
            _result("a", ("P6", Outcome.PASS), ("I4", Outcome.NOT_APPLICABLE)),
            _result("b", ("P6", Outcome.FAIL), kind="negative"),
            _result("c", ("P6", Outcome.PASS), ("P6", Outcome.NOT_APPLICABLE)),
            _result("d", ("P6", Outcome.ERROR)),
            _result("e", ("I4", Outcome.NOT_APPLICABLE)),
        ],
    )
    by = {s.requirement: s for s in card.scores}
    assert [s.requirement for s in card.scores] == ["P6", "I4"]
    assert (by["P6"].passed, by["P6"].failed, by["P6"].errors) == (2, 1, 1)
    assert by["P6"].pass_rate == 0.5 and by["P6"].status == "fail"
    assert by["P6"].failing == ["b", "d"]
    assert by["P6"].by_kind == {"positive": [2, 3], "negative": [0, 1]}
    assert by["I4"].status == "n/a" and by["I4"].pass_rate is None and by["I4"].not_applicable == 2
    assert [s.requirement for s in card.gate(0.5)] == []
    assert [s.requirement for s in card.gate(0.6)] == ["P6"]
    assert card.totals == {"scenarios": 5, "passed": 2, "failed": 1, "errors": 1, "not_applicable": 2}


@pytest.mark.req("X1")
def test_scorecard_files(tmp_path: Path) -> None:
    card = score(INFO, [_result("a", ("P6", Outcome.PASS)), _result("b", ("P6", Outcome.FAIL))])
    paths = write_scorecard(card, tmp_path / "out" / "card.html", fail_under=0.9)
    assert [p.name for p in paths] == ["card.json", "card.md", "card.html"]
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["requirements"][0]["pass_rate"] == 0.5
    assert data["scenarios"][0]["turns"][0]["user"].startswith("晚安")
    md = paths[1].read_text(encoding="utf-8")
    assert "| P6 | ❌ 未通过 fail | 50% | 1/2 |" in md
    assert "release gate (--fail-under 0.9): **未通过 FAILED**" in md
    assert "`b` turn 1: check → fail" in md


@pytest.mark.req("X1")
def test_html_is_self_contained_and_escaped() -> None:
    card = score(INFO, [_result("a", ("P6", Outcome.PASS))])
    html = to_html(card)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "http://" not in html.replace("http://x", "")  # no external assets
    assert "<style>" in html and "reminder.time" in html and "标题 a &lt;b&gt;" in html
    assert "不适用" in to_markdown(card)
