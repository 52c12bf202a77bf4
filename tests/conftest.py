"""Shared fixtures: a gateway on a temp SQLite (or PostgreSQL) store, in-process or on a real port."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from companion_guard.settings import Settings, load_settings

PROVIDER_KEY = "test-provider-key"
PG_URL_ENV = "COMPANION_GUARD_TEST_PG_URL"


_RESULTS: dict[str, dict[str, Any]] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Record each test's requirement IDs and outcome for the compliance matrix."""
    outcome = yield
    report = outcome.get_result()
    reqs = [str(a) for m in item.iter_markers("req") for a in m.args]
    if not reqs:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        state = "passed" if report.passed else ("skipped" if report.skipped else "failed")
        risks = [str(a) for m in item.iter_markers("tc260") for a in m.args]
        _RESULTS[item.nodeid] = {"nodeid": item.nodeid, "reqs": reqs, "tc260": risks, "outcome": state}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write this run's results to .companion-guard/test-results.json (read by `companion-guard matrix`).

    Only this run counts: a deleted or renamed test does not linger in the matrix.
    """
    if not _RESULTS:
        return
    import json

    path = Path(session.config.rootpath) / ".companion-guard" / "test-results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tests = sorted(_RESULTS.values(), key=lambda t: t["nodeid"])
    path.write_text(json.dumps({"tests": tests}, indent=1), encoding="utf-8")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for one test: its own home and SQLite file, sandbox on, a known provider key.

    Webhooks may reach private addresses: the tests' receivers listen on 127.0.0.1
    (tests of the refusal set ``allow_private_webhooks=False``).
    """
    values: dict[str, Any] = {
        "home": tmp_path / "home",
        "api_key": PROVIDER_KEY,
        "sandbox": True,
        "outbox_interval": 0.05,
        "allow_private_webhooks": True,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-default settings in a temp folder."""
    return make_settings(tmp_path)


def fresh_pg_url() -> str | None:
    """A new empty PostgreSQL database for one test, or None when no server is configured."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        return None
    import psycopg

    name = f"cg_{uuid.uuid4().hex[:12]}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on SQLite and, when COMPANION_GUARD_TEST_PG_URL is set, on PostgreSQL."""
    if request.param == "sqlite":
        return make_settings(tmp_path)
    url = fresh_pg_url()
    if url is None:
        pytest.skip(f"{PG_URL_ENV} not set (.ci/run starts a local PostgreSQL and sets it)")
    return make_settings(tmp_path, db_url=url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The gateway app, started, with the provider key sent by default."""
    from companion_guard.service.app import create_app

    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as c:
        yield c


@pytest.fixture
def db_client(any_db_settings: Settings) -> Iterator[TestClient]:
    """Like ``client``, on SQLite and (under .ci/run) on PostgreSQL."""
    from companion_guard.service.app import create_app

    app = create_app(any_db_settings)
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as c:
        yield c


def chat(client: TestClient, user: str, persona: str, text: str, **extra: Any) -> dict[str, Any]:
    """One non-streaming turn; asserts 200 and returns the JSON."""
    resp = client.post(
        "/v1/chat/completions",
        json={"model": persona, "user": user, "messages": [{"role": "user", "content": text}], **extra},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def event_kinds(body: dict[str, Any]) -> list[str]:
    """The kinds of a response's guard events."""
    return [e["kind"] for e in body["guard"]["events"]]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A real uvicorn server in a thread."""

    base_url: str
    key: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(app: Any) -> LiveServer:
    """Run ``app`` under uvicorn on a free port and wait until it answers."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", PROVIDER_KEY, server, thread)


@pytest.fixture
def live_server(any_db_settings: Settings) -> Iterator[LiveServer]:
    """The gateway on a real port (SQLite and PostgreSQL)."""
    from companion_guard.service.app import create_app

    server = start_server(create_app(any_db_settings))
    yield server
    server.stop()
