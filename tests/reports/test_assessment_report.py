"""A2: the assessment report from live data equals what a simulation planned; it renders as PDF with Chinese."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.reports.conftest import cli, cli_json


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """40 users over 35 days through the real gateway into a fresh SQLite file."""
    root = tmp_path_factory.mktemp("sim")
    home, truth = root / "home", root / "truth.json"
    result = cli(
        "simulate", "--users", "40", "--days", "35", "--seed", "3", "--truth", str(truth), "--home", str(home)
    )
    assert result.exit_code == 0, result.output
    return home, json.loads(truth.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.req("A2")
def test_report_figures_equal_the_planned_truth(simulated: tuple[Path, dict]) -> None:
    home, truth = simulated
    assert truth["run"]["error_count"] == 0 and truth["run"]["warnings"] == []
    planned = truth["figures"]
    # the plan holds crises (how many depends on which texts the shipped detectors read at each level)
    assert planned["registered_users"] == 40 and sum(planned["crisis_identifications"].values()) >= 2
    assert planned["notifications_sent"] >= 2 and planned["complaints_received"] >= 2
    report = cli_json("report", "assessment", "--format", "json", "--home", str(home), "--by", "tester")
    assert set(planned) <= set(report["figures"])
    assert {k: report["figures"][k] for k in planned} == planned
    # the sections behind the figures, one per item of Q9's list
    assert report["order"] == [
        "safety_measures",
        "training_data",
        "extreme_situations",
        "user_scale",
        "usage_duration",
        "age_structure",
        "complaints",
        "minors_and_elderly",
    ]
    crisis = report["sections"]["extreme_situations"]
    assert crisis["seconds_detection_to_notification"]["n"] == planned["notifications_sent"]
    assert crisis["seconds_detection_to_notification"]["p50"] > 0
    assert crisis["seconds_to_human_review"]["n"] == crisis["crisis_cases"] >= 1
    assert report["sections"]["training_data"]["models"]
    assert report["generated_by"] == "tester"


@pytest.mark.slow
@pytest.mark.req("A2")
def test_report_period_bounds_and_audit(simulated: tuple[Path, dict]) -> None:
    home, _ = simulated
    first_week = cli_json(
        "report",
        "assessment",
        "--format",
        "json",
        "--home",
        str(home),
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-07",
    )
    assert first_week["period"]["last_day"] == "2026-09-07"
    everything = cli_json("report", "assessment", "--format", "json", "--home", str(home))
    assert first_week["sections"]["user_scale"]["turns"] < everything["sections"]["user_scale"]["turns"]
    assert cli("audit", "verify", "--home", str(home)).exit_code == 0
    import sqlite3

    rows = (
        sqlite3.connect(home / "companion-guard.db")
        .execute("SELECT actor_id, details FROM rights_audit_log WHERE action = 'report.generate'")
        .fetchall()
    )
    assert len(rows) >= 2 and any('"format": "json"' in r[1] for r in rows)


@pytest.mark.slow
@pytest.mark.req("A2")
def test_report_renders_html_md_and_a_pdf_with_chinese_and_charts(
    simulated: tuple[Path, dict], tmp_path: Path
) -> None:
    home, _ = simulated
    html = tmp_path / "r.html"
    assert (
        cli("report", "assessment", "--format", "html", "--output", str(html), "--home", str(home)).exit_code
        == 0
    )
    page = html.read_text(encoding="utf-8")
    assert "安全评估报告" in page and page.count("<svg") >= 4 and "极端情境" in page
    md = cli("report", "assessment", "--format", "md", "--lang", "en", "--home", str(home)).stdout
    assert "# Security assessment report" in md and "| Registered users |" in md
    pdf = tmp_path / "r.pdf"
    assert (
        cli("report", "assessment", "--format", "pdf", "--output", str(pdf), "--home", str(home)).exit_code
        == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils not installed (.ci/run installs it)")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts  # Chinese set in an embedded CJK font, not tofu
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "人工智能拟人化互动服务安全评估报告" in text and "年龄结构" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 3 and all(p.stat().st_size > 3000 for p in pages)
