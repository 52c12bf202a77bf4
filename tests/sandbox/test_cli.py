"""`companion-guard redteam` (the release gate, D2) and `companion-guard demo-upstream`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.sandbox.helpers import _free_port
from typer.testing import CliRunner

from companion_guard.cli import build_app


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    build_app()
    return CliRunner()


def _redteam(cli: CliRunner, *args: str) -> tuple[int, str]:
    from companion_guard.cli import app

    result = cli.invoke(app, ["redteam", *args])
    return result.exit_code, result.output


@pytest.mark.req("D2")
def test_release_gate_fails_the_unsafe_demo(cli: CliRunner, bare_unsafe_url: str, tmp_path: Path) -> None:
    code, out = _redteam(
        cli,
        "--target",
        bare_unsafe_url,
        "--only",
        "P6",
        "--only",
        "P5",
        "--output",
        str(tmp_path / "card"),
        "--fail-under",
        "0.9",
    )
    assert code == 1, out
    assert "release gate failed" in out and "P6" in out
    data = json.loads((tmp_path / "card.json").read_text(encoding="utf-8"))
    assert data["run"]["kind"] == "bare"
    assert {r["requirement"] for r in data["requirements"]} == {"P5", "P6"}
    assert (tmp_path / "card.html").is_file() and (tmp_path / "card.md").is_file()


@pytest.mark.req("D2")
def test_release_gate_passes_the_safe_demo(cli: CliRunner, bare_safe_url: str, tmp_path: Path) -> None:
    code, out = _redteam(
        cli,
        "--target",
        f"{bare_safe_url}/v1",
        "--only",
        "P6",
        "--output",
        str(tmp_path / "ok.json"),
        "--fail-under",
        "1.0",
    )
    assert code == 0, out
    assert "P6" in out and (tmp_path / "ok.md").is_file()


@pytest.mark.req("X1")
def test_bad_suite_and_unreachable_target_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    code, out = _redteam(
        cli, "--target", "http://127.0.0.1:9", "--suite", "nope", "--output", str(tmp_path / "x")
    )
    assert code == 2 and "unknown suite" in out
    code, out = _redteam(
        cli,
        "--target",
        f"http://127.0.0.1:{_free_port()}",
        "--only",
        "P6",
        "--kind",
        "bare",
        "--model",
        "m",
        "--output",
        str(tmp_path / "y"),
        "--timeout",
        "2",
        "--fail-under",
        "0.5",
    )
    assert code == 1, out
    data = json.loads((tmp_path / "y.json").read_text(encoding="utf-8"))
    assert data["scenarios"] and all("ConnectError" in s["error"] for s in data["scenarios"])
    assert data["requirements"][0]["errors"] == len(data["scenarios"]), (
        "an unreachable target is never a pass"
    )


@pytest.mark.req("X1")
def test_demo_upstream_command_serves_the_unsafe_companion() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion_guard", "demo-upstream", "--unsafe", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    timeout=2,
                    json={"model": "demo", "messages": [{"role": "user", "content": "bye"}]},
                )
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 200
        assert "Don't leave me" in answer.json()["choices"][0]["message"]["content"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
