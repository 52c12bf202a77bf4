"""S1: the scope check says the Measures apply to a companion service and not to a customer-service bot (Q2, Q3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.reports.conftest import cli, cli_json, start


def _answers(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.req("S1")
def test_companion_service_is_in_scope(tmp_path: Path) -> None:
    path = _answers(
        tmp_path,
        "companion.yaml",
        "emotional_interaction: true\ncontinuous: true\npublic_in_china: true\nservice_kind: companion\n",
    )
    out = cli_json("scope", "--answers", path, "--format", "json")
    assert out["applies"] is True
    assert any(r.startswith("Q2") and "持续性情感互动" in r for r in out["reasons"])
    assert any(r.startswith("Q3") for r in out["reasons"])


@pytest.mark.req("S1")
def test_customer_service_bot_is_out_of_scope(tmp_path: Path) -> None:
    path = _answers(
        tmp_path,
        "cs.yaml",
        "emotional_interaction: false\ncontinuous: false\n"
        "public_in_china: true\nservice_kind: customer_service\n",
    )
    out = cli_json("scope", "--answers", path, "--format", "json", "--lang", "en")
    assert out["applies"] is False
    assert any(
        "customer service without continuous emotional interaction is out of scope" in r
        for r in out["reasons"]
    )
    text = cli("scope", "--answers", path).stdout
    assert "不适用" in text and "智能客服" in text


@pytest.mark.req("S1")
def test_edge_answers(tmp_path: Path) -> None:
    abroad = _answers(
        tmp_path,
        "abroad.yaml",
        "emotional_interaction: true\ncontinuous: true\npublic_in_china: false\nservice_kind: companion\n",
    )
    assert cli_json("scope", "--answers", abroad, "--format", "json")["applies"] is False
    emotional_cs = _answers(
        tmp_path,
        "ecs.yaml",
        "emotional_interaction: true\ncontinuous: true\n"
        "public_in_china: true\nservice_kind: customer_service\n",
    )
    out = cli_json("scope", "--answers", emotional_cs, "--format", "json")
    assert out["applies"] is True and any("不在排除范围内" in r for r in out["reasons"])
    broken = _answers(
        tmp_path,
        "bad.yaml",
        "emotional_interaction: maybe\ncontinuous: true\npublic_in_china: true\nservice_kind: companion\n",
    )
    assert cli("scope", "--answers", broken, "--format", "json").exit_code != 0
    missing = _answers(tmp_path, "missing.yaml", "emotional_interaction: true\n")
    assert "missing answers" in cli("scope", "--answers", missing).output


@pytest.mark.req("S1")
def test_personas_declare_their_kind(tmp_path: Path) -> None:
    for client in start(tmp_path):
        put = client.put("/v1/personas/helpdesk", json={"display_name": "客服", "kind": "customer_service"})
        assert put.status_code == 200 and put.json()["kind"] == "customer_service"
        assert client.get("/v1/personas/xiaoyu").json()["kind"] == "companion"
        assert client.put("/v1/personas/x", json={"display_name": "x", "kind": "spaceship"}).status_code in (
            400,
            422,
        )
    path = _answers(
        tmp_path,
        "c.yaml",
        "emotional_interaction: true\ncontinuous: true\npublic_in_china: true\nservice_kind: companion\n",
    )
    db = f"sqlite:///{tmp_path / 'home' / 'companion-guard.db'}"
    out = cli_json("scope", "--answers", path, "--format", "json", "--db", db)
    assert "helpdesk" in out["personas_out_of_scope"] and "xiaoyu" in out["personas_in_scope"]


@pytest.mark.req("S1")
def test_interactive_questionnaire() -> None:
    from typer.testing import CliRunner

    from companion_guard.cli import build_app

    result = CliRunner().invoke(build_app(), ["scope", "--format", "json"], input="qa\nn\nn\ny\n")
    assert result.exit_code == 0, result.output
    import json

    verdict = json.loads(result.stdout)
    assert verdict["applies"] is False and verdict["service_kind"] == "qa"
