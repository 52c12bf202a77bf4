"""Fixtures for the data-rights tests: a gateway with a key for every role, and role helpers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import PROVIDER_KEY, make_settings, start_server

from companion_guard.settings import Settings

USER = "u-alice"
WARD = "u-ward"
GUARDIAN = "g-parent"


@dataclass
class Gateway:
    """A started app plus a key per role."""

    client: TestClient | httpx.Client
    app: Any
    settings: Settings
    keys: dict[str, str]

    def h(self, role: str | None) -> dict[str, str]:
        """Headers for a role (``None``: no credentials)."""
        return {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}

    @property
    def services(self) -> Any:
        """The running services."""
        return self.app.state.services

    @property
    def db_path(self) -> Path:
        """The SQLite file."""
        return Path(self.settings.home) / "companion-guard.db"

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run raw SQL on the SQLite file (as someone with file access would)."""
        conn = sqlite3.connect(self.db_path)
        try:
            rows = conn.execute(statement, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()


def add_role_keys(app: Any) -> dict[str, str]:
    """Create a key for each role; the guardian looks after :data:`WARD`."""
    from companion_guard.service.auth import create_key
    from companion_guard.store.db import session_scope
    from companion_guard.store.tables_guardians import GuardianAccount, GuardianConsent

    svc = app.state.services
    now = svc.clock.now()
    keys = {"provider": PROVIDER_KEY}
    with session_scope(svc.sessions) as session:
        keys["operator"] = create_key(session, role="operator", subject="op-1", label="test", now=now)
        keys["auditor"] = create_key(session, role="auditor", subject="aud-1", label="test", now=now)
        keys["user"] = create_key(session, role="user", subject=USER, label="test", now=now)
        keys["guardian"] = create_key(session, role="guardian", subject=GUARDIAN, label="test", now=now)
        session.add(GuardianAccount(id=GUARDIAN, name="parent", created_at=now))
        session.flush()
        session.add(GuardianConsent(user_id=WARD, guardian_id=GUARDIAN, scope="full", granted_at=now))
    return keys


def start_gateway(settings: Settings, *, live: bool = True, **kwargs: Any) -> Iterator[Gateway]:
    """Start an app and yield it with role keys: on a real port (uvicorn) or in-process."""
    from companion_guard.service.app import create_app

    app = create_app(settings, run_outbox=False, **kwargs)
    if not live:
        with TestClient(app) as client:
            yield Gateway(client, app, settings, add_role_keys(app))
        return
    server = start_server(app)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            yield Gateway(client, app, settings, add_role_keys(app))  # type: ignore[arg-type]
    finally:
        server.stop()


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway on a real port (uvicorn), temp SQLite home, a key for every role."""
    yield from start_gateway(make_settings(tmp_path))


def turn(gw: Gateway, user: str, text: str, persona: str = "mimi") -> dict[str, Any]:
    """One chat turn as the provider; asserts 200."""
    resp = gw.client.post(
        "/v1/chat/completions",
        headers=gw.h("provider"),
        json={"model": persona, "user": user, "messages": [{"role": "user", "content": text}]},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def kinds(body: dict[str, Any]) -> list[str]:
    """Event kinds of a turn."""
    return [e["kind"] for e in body["guard"]["events"]]


def db_bytes(home: Path) -> bytes:
    """Every byte of the SQLite database, WAL and shared-memory files."""
    out = b""
    for path in sorted(home.glob("companion-guard.db*")):
        out += path.read_bytes()
    return out


def utcnow() -> datetime:
    """Now, UTC."""
    return datetime.now(UTC)
