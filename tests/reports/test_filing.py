"""A3: the algorithm-filing draft and the change log since the last recorded filing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.reports.conftest import cli, cli_json, role_key, start


@pytest.mark.req("A3")
def test_filing_draft_then_record_then_changes_since(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for client in start(tmp_path):  # noqa: B007
        pass  # first start: the store, the built-in personas and the version baseline
    draft = cli_json("report", "filing", "--format", "json", "--home", str(home))
    assert draft["algorithm"]["type"].startswith("生成合成类") and "流水线" in draft["algorithm"]["mechanism"]
    assert {p["id"] for p in draft["personas"]} >= {"xiaoyu", "linshen"}
    assert all(p["kind"] == "companion" for p in draft["personas"])
    assert any(r["requirement"] == "I2" for r in draft["safety_measures"]["rules"])
    assert draft["data"]["models"] and draft["self_assessment"]["figures"]["registered_users"] == 0
    assert draft["last_filing"] is None and draft["differences"] == []

    recorded = cli_json(
        "filing",
        "record",
        "--kind",
        "initial",
        "--reference",
        "网信算备-TEST-0001",
        "--home",
        str(home),
        "--by",
        "compliance-1",
    )
    assert recorded["kind"] == "initial"
    for client in start(tmp_path):
        client.put(
            "/v1/personas/helpdesk",
            json={"display_name": "客服小助手", "relationship": "other", "kind": "customer_service"},
        )
        op = role_key(client.app, "operator", "op-1")
        client.post(
            "/v1/operator/changes",
            headers={"Authorization": f"Bearer {op}"},
            json={"kind": "feature", "title": "语音陪伴"},
        )
    after = cli_json("report", "filing", "--format", "json", "--home", str(home))
    assert after["last_filing"]["reference"] == "网信算备-TEST-0001"
    assert [c["title"] for c in after["changes_since_last_filing"]] == ["语音陪伴"]
    assert {"what": "persona added", "from": "", "to": "helpdesk (other, customer_service)"} in after[
        "differences"
    ]
    md = cli("report", "filing", "--home", str(home)).stdout
    assert "# 算法备案材料（草稿）" in md and "6. 自上次备案以来的变更" in md and "语音陪伴" in md
    en = cli("report", "filing", "--lang", "en", "--format", "html", "--home", str(home)).stdout
    assert "Changes since the last filing" in en
    assert cli("filing", "record", "--kind", "bogus", "--home", str(home)).exit_code != 0


@pytest.mark.req("A1", "A3")
def test_recording_an_assessment_marks_open_triggers_assessed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli("assessment", "record-change", "launch", "上线", "--home", str(home)).exit_code == 0
    status = cli_json("assessment", "status", "--json", "--home", str(home))
    assert [d["assessed_at"] for d in status["due"]] == [None]
    cli_json("filing", "record", "--kind", "assessment", "--reference", "SA-1", "--home", str(home))
    status = cli_json("assessment", "status", "--json", "--home", str(home))
    assert status["due"][0]["assessed_at"] is not None
