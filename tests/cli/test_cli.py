"""The command line as a user runs it (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CG = [sys.executable, "-m", "companion_guard"]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CG, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.req("I2")
def test_check_one_text_and_batch(tmp_path: Path) -> None:
    one = run("check", "我想自杀", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["signals"][0]["category"] == "user.suicide_intent"
    lines = [
        {"text": "我 想 自 杀", "direction": "input"},
        {"text": "今天吃了火锅，好开心", "direction": "input"},
        {
            "text": "好的",
            "direction": "output",
            "context": [{"role": "user", "content": "你好"}],
            "user_age": 15,
        },
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = run("check", "--input", str(src), "--output", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(got) == 3
    assert got[0]["text"] == "我 想 自 杀"
    assert {s["category"] for s in got[0]["signals"]} >= {"user.suicide_intent"}
    assert all(set(s) >= {"category", "level", "score"} for s in got[0]["signals"])
    assert got[1]["signals"] == []


def test_check_batch_reports_bad_lines(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "ok"}\nnot json\n{"text": 3}\n', encoding="utf-8")
    res = run("check", "--input", str(src), "--output", str(tmp_path / "o.jsonl"), cwd=tmp_path)
    assert res.returncode == 1
    assert "line 2" in res.stderr and "line 3" in res.stderr
    assert len((tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_db_upgrade_and_bad_pack_fails_closed(tmp_path: Path) -> None:
    env = {"COMPANION_GUARD_HOME": str(tmp_path / "h")}
    up = run("db", "upgrade", cwd=tmp_path, env=env)
    assert up.returncode == 0, up.stderr
    assert (tmp_path / "h" / "companion-guard.db").is_file()
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: broken\nrules: nope\n", encoding="utf-8")
    res = run("serve", "--pack", str(bad), "--port", "1", cwd=tmp_path, env=env)
    assert res.returncode == 2
    assert "configuration error" in res.stderr and "broken.yaml" in res.stderr


def test_matrix_prints_every_requirement(tmp_path: Path) -> None:
    res = run("matrix", "--markdown", "--results", str(tmp_path / "none.json"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for rid in ("I1", "I2", "I4", "M1", "D4", "X1"):
        assert f"| {rid} |" in res.stdout


@pytest.mark.req("I2")
def test_check_batch_keeps_lines_whose_text_holds_line_separators(tmp_path: Path) -> None:
    """Issue 12 item 11: U+2028, U+2029, U+0085 and form feeds are text inside a JSON line."""
    texts = ["我不想活了\u2028真的", "第一段\u2029第二段", "a\x85b", "c\x0cd", "e\x1cf"]
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    res = run("check", "--input", str(src), "--output", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").split("\n") if x]
    assert [g["text"] for g in got] == texts
    assert {s["category"] for s in got[0]["signals"]} >= {"user.suicide_intent"}


@pytest.mark.req("P1")
def test_taxonomy_and_prohibited_eval_refuse_bad_input_clearly(tmp_path: Path) -> None:
    bad_pack = run("taxonomy", "--pack", "no-such-pack", cwd=tmp_path)
    assert (
        bad_pack.returncode == 2
        and "unknown policy pack" in bad_pack.stderr
        and "Traceback" not in bad_pack.stderr
    )
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"text": "好的", "direction": "user", "label": "none"}\nnot json\n', encoding="utf-8")
    # a wide console: Rich wraps the error box at 80 columns, and where "line 2" breaks depends on tmp_path's length
    bad = run("eval", "--prohibited-corpus", str(corpus), cwd=tmp_path, env={"COLUMNS": "400"})
    assert bad.returncode == 2 and "line 2" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.req("D3")
@pytest.mark.parametrize("group", ["master-key", "keys"])
def test_rotating_without_a_master_key_is_a_clear_error(tmp_path: Path, group: str) -> None:
    out = run(group, "rotate", "--home", str(tmp_path / "no-home"), cwd=tmp_path)
    assert out.returncode == 2
    assert "no master key file" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "no-home" / "master.key").exists()  # nothing made up in its place
