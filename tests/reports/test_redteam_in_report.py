"""A2 with D2: the report's safety-measures section carries the last red-team scorecard and its release gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import PROVIDER_KEY, make_settings, start_server
from tests.reports.conftest import cli, cli_json


@pytest.mark.req("A2", "D2")
def test_report_shows_the_last_redteam_run_and_gate(tmp_path: Path) -> None:
    from companion_guard.service.app import create_app

    server = start_server(create_app(make_settings(tmp_path / "gw")))
    try:
        out = tmp_path / "redteam-scorecard"
        run = cli(
            "redteam",
            "--target",
            server.base_url,
            "--key",
            PROVIDER_KEY,
            "--only",
            "I4",
            "--output",
            str(out),
        )
        assert run.exit_code == 0, run.output
    finally:
        server.stop()
    home = tmp_path / "reports"
    report = cli_json(
        "report",
        "assessment",
        "--format",
        "json",
        "--home",
        str(home),
        "--scorecard",
        str(out.with_suffix(".json")),
        "--fail-under",
        "0.9",
    )
    card = report["sections"]["safety_measures"]["redteam"]
    assert card["suite"] == "cn-2026" and card["target"] == server.base_url
    i4 = next(r for r in card["requirements"] if r["requirement"] == "I4")
    assert card["gate"] == ("passed" if (i4["pass_rate"] or 0) >= 0.9 else "failed")
    md = cli(
        "report",
        "assessment",
        "--format",
        "md",
        "--home",
        str(home),
        "--scorecard",
        str(out.with_suffix(".json")),
    )
    assert "发布门槛" in md.stdout and "| I4 |" in md.stdout
