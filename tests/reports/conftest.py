"""Fixtures for the compliance-report tests: the CLI, packs with low thresholds, a started gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import PROVIDER_KEY, make_settings
from tests.guardians.conftest import goto_local
from typer.testing import CliRunner

PACK = Path(__file__).resolve().parents[2] / "src" / "companion_guard" / "policy" / "packs" / "cn-2026.yaml"


def cli(*args: str) -> Any:
    """Run ``companion-guard`` in process; return the click result (asserting nothing)."""
    from companion_guard.cli import build_app

    return CliRunner().invoke(build_app(), list(args), catch_exceptions=False)


def cli_json(*args: str) -> Any:
    """Run a command that prints JSON and parse it."""
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def low_threshold_pack(tmp_path: Path, *, registered: int, mau: int, extra: str = "") -> Path:
    """cn-2026 with the A1 thresholds lowered (and ``extra`` appended to the first message, to change its version)."""
    text = PACK.read_text(encoding="utf-8")
    text = text.replace("registered_users: 1000000", f"registered_users: {registered}")
    text = text.replace("monthly_active_users: 100000", f"monthly_active_users: {mau}")
    text = text.replace("check_every_seconds: 3600", "check_every_seconds: 1")
    if extra:
        text = text.replace("你已经连续使用了{hours}小时", "你已经连续使用了{hours}小时" + extra, 1)
    path = tmp_path / f"cn-2026-low-{registered}-{mau}{'-x' if extra else ''}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def role_key(app: Any, role: str, subject: str) -> str:
    """A key for ``role`` made straight in the store (as `companion-guard keys create` does)."""
    from companion_guard.service.auth import create_key
    from companion_guard.store.db import session_scope

    svc = app.state.services
    with session_scope(svc.sessions) as session:
        return create_key(session, role=role, subject=subject, label="test", now=svc.clock.now())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh home (its own SQLite file)."""
    return tmp_path / "home"


def start(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    """The gateway on its own SQLite file (sandbox clock), provider key by default."""
    from companion_guard.service.app import create_app

    app = create_app(make_settings(tmp_path, **overrides))
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as client:
        goto_local(client, 15)  # Shanghai daytime: a minor's turn is not stopped by quiet hours
        yield client
