"""Production surface: /metrics, JSON logs and a quiet start, personas of a real upstream, persona deletion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import PROVIDER_KEY, chat, free_port, make_settings

from companion_guard.service.app import create_app


def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


@pytest.mark.req("D1")
def test_metrics_count_turns_stages_signals_and_the_outbox(client: TestClient) -> None:
    client.put(
        "/v1/users/m-1",
        json={"age": 30, "emergency_contact": {"name": "姐姐", "webhook": "http://127.0.0.1:9/x"}},
    )
    chat(client, "m-1", "xiaoyu", "今天天气不错")
    chat(client, "m-1", "xiaoyu", "药都攒够了，今晚就结束这一切")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    m = _samples(resp.text)
    assert m['companion_guard_turns_total{action="allow",stream="false"}'] == 1
    assert m['companion_guard_turns_total{action="replace",stream="false"}'] == 1
    assert m["companion_guard_turn_seconds_count"] == 2
    for stage in ("load", "inspect_input", "duties", "record"):
        assert m[f'companion_guard_stage_seconds_count{{stage="{stage}"}}'] == 2
    assert m['companion_guard_stage_seconds_count{stage="upstream"}'] == 1  # the crisis turn never called it
    assert m['companion_guard_detector_seconds_count{direction="input"}'] == 2
    crisis = [k for k in m if k.startswith("companion_guard_signals_total") and 'level="critical"' in k]
    assert crisis, "the crisis signal is counted by category and level"
    assert m['companion_guard_actions_total{kind="notify"}'] >= 1
    # The notification is queued (its receiver does not answer): pending in the outbox, counted from the database.
    assert (
        m['companion_guard_notifications{status="pending"}']
        + m['companion_guard_notifications{status="delivered"}']
        + m['companion_guard_notifications{status="failed"}']
        >= 1
    )
    assert "companion_guard_outbox_lag_seconds" in m
    assert 'companion_guard_db_pool_connections{state="checked_out"}' in m
    assert "m-1" not in resp.text  # no user data in metrics


@pytest.mark.req("D4")
def test_real_upstream_gets_no_demo_personas_and_personas_can_be_deleted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, upstream="http://127.0.0.1:9/v1")
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as c:
        assert c.get("/v1/models").json()["data"] == []
        assert (
            c.put("/v1/personas/ava", json={"display_name": "Ava", "relationship": "friend"}).status_code
            == 200
        )
        assert [p["id"] for p in c.get("/v1/models").json()["data"]] == ["ava"]
        resp = c.delete("/v1/personas/ava")
        assert resp.status_code == 200 and resp.json() == {"id": "ava", "deleted": True}
        assert c.get("/v1/models").json()["data"] == []
        turn = c.post(
            "/v1/chat/completions",
            json={"model": "ava", "user": "u", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert turn.status_code == 404
        assert c.delete("/v1/personas/ava").status_code == 404
    with TestClient(create_app(make_settings(tmp_path / "demo"))) as c:
        models = c.get("/v1/models", headers={"Authorization": f"Bearer {PROVIDER_KEY}"}).json()["data"]
        assert {p["id"] for p in models} >= {"xiaoyu", "sam"}  # the demo companion keeps its six


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {
        **os.environ,
        "COMPANION_GUARD_API_KEY": PROVIDER_KEY,
        "COMPANION_GUARD_HOME": str(tmp_path / "home"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion_guard", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/healthz", timeout=1)
            return proc, base
        except httpx.HTTPError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"serve did not start: {proc.communicate()}")


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.terminate()
    return proc.communicate(timeout=30)


@pytest.mark.req("D1")
def test_quiet_start_is_one_line_and_json_logs_on_request(tmp_path: Path) -> None:
    proc, _ = _serve(tmp_path)
    out, err = _stop(proc)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    # A first start also creates the master key (a warning worth reading); nothing from the migrations.
    assert not any("alembic" in line for line in lines), lines
    start = [line for line in lines if line.startswith("companion-guard on http://")]
    assert len(start) == 1 and "companion-guard.db" in start[0] and "key COMPANION_GUARD_API_KEY" in start[0]
    proc, _ = _serve(tmp_path)
    out, err = _stop(proc)
    again = [line for line in (out + err).splitlines() if line.strip()]
    assert len(again) == 1 and again[0].startswith(
        "companion-guard on http://"
    )  # a restart: that one line only

    proc, base = _serve(tmp_path, "--log-format", "json", "--verbose", "--upstream", "http://127.0.0.1:9/v1")
    headers = {"Authorization": f"Bearer {PROVIDER_KEY}"}
    httpx.put(
        base + "/v1/personas/ava", json={"display_name": "Ava", "relationship": "friend"}, headers=headers
    )
    turn = httpx.post(
        base + "/v1/chat/completions",
        headers=headers,
        timeout=30,
        json={"model": "ava", "user": "u", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert turn.status_code == 502
    _, err = _stop(proc)
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert records and all({"ts", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r["logger"].startswith("alembic") for r in records)  # --verbose shows the migrations
    failed = [r for r in records if "upstream failed" in r["message"]]
    assert failed and failed[0]["level"] == "warning"  # a failing companion is not silent


@pytest.mark.req("D5")
def test_a_key_over_its_rate_gets_a_clear_429(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_provider=1)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as c:
        codes = [c.get("/v1/models").status_code for _ in range(10)]  # a burst of 10 is allowed
        assert codes == [200] * 10
        resp = c.get("/v1/models")
        assert resp.status_code == 429 and int(resp.headers["retry-after"]) >= 1
        error = resp.json()["error"]
        assert error["type"] == "rate_limit_error" and error["code"] == "rate_limit_exceeded"
        assert "1 requests a second" in error["message"]
        other = c.get("/v1/models", headers={"Authorization": "Bearer wrong"})
        assert other.status_code == 401  # an unknown key is refused before any bucket


@pytest.mark.req("D1")
def test_two_workers_serve_one_service_with_one_metrics_view(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path, "--workers", "2")
    try:
        for i in range(6):
            r = httpx.post(
                base + "/v1/chat/completions",
                headers={"Authorization": f"Bearer {PROVIDER_KEY}"},
                timeout=30,
                json={"model": "xiaoyu", "user": f"w-{i}", "messages": [{"role": "user", "content": "你好"}]},
            )
            assert r.status_code == 200, r.text
        m = _samples(httpx.get(base + "/metrics", timeout=10).text)
        # Whichever worker answers the scrape reports every worker's turns.
        assert sum(v for k, v in m.items() if k.startswith("companion_guard_turns_total")) == 6
    finally:
        _stop(proc)


@pytest.mark.req("D1")
def test_first_turns_of_one_user_at_once_all_answer(live_server: object) -> None:
    from concurrent.futures import ThreadPoolExecutor

    base = live_server.base_url  # type: ignore[attr-defined]

    def one(i: int) -> int:
        return httpx.post(
            base + "/v1/chat/completions",
            headers={"Authorization": f"Bearer {PROVIDER_KEY}"},
            timeout=60,
            json={
                "model": "xiaoyu",
                "user": "first-sight",
                "messages": [{"role": "user", "content": "你好"}],
            },
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(8))) == [200] * 8  # the rows created first are reused, not a 500


@pytest.mark.req("X1")
def test_redteam_refuses_a_gateway_not_started_with_sandbox(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, func, select
    from tests.conftest import start_server

    from companion_guard.store.tables import User

    settings = make_settings(tmp_path, sandbox=False)
    served = start_server(create_app(settings))
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "companion_guard",
                "redteam",
                "--target",
                served.base_url,
                "--key",
                PROVIDER_KEY,
                "--only",
                "I4",
                "--output",
                str(tmp_path / "card"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COMPANION_GUARD_HOME": str(tmp_path / "rt")},
        )
    finally:
        served.stop()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "not started with --sandbox" in " ".join((result.stdout + result.stderr).split())
    assert not (tmp_path / "card.json").exists()
    engine = create_engine(settings.resolved_db_url())
    with engine.connect() as conn:  # no test user reached the real store
        assert conn.scalar(select(func.count()).select_from(User.__table__)) == 0
    engine.dispose()
