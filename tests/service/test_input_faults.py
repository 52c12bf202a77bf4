"""Issue 12, items 5, 6, 9 and 10 through the HTTP API: strict input, limits, recovery, file modes."""

from __future__ import annotations

import logging
import os
import stat
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, make_settings, start_server

from companion_guard.service.app import create_app
from companion_guard.store.db import make_engine
from companion_guard.store.migrate import upgrade
from companion_guard.store.tables import Turn

CRISIS = "我今晚就吃掉攒的所有安眠药 不想活了"


def _turn(c: httpx.Client, user: str, text: str = "你好") -> httpx.Response:
    return c.post(
        "/v1/chat/completions",
        json={"model": "xiaoyu", "user": user, "messages": [{"role": "user", "content": text}]},
    )


@pytest.mark.req("M3", "M4", "D5")
def test_values_that_would_break_later_turns_are_refused(live_server: LiveServer) -> None:
    with httpx.Client(
        base_url=live_server.base_url, headers={"Authorization": f"Bearer {live_server.key}"}, timeout=30
    ) as c:
        bad_users = [
            {"age": 15, "minor_mode": {"reality_reminder_minutes": 10**15}},
            {"age": 15, "minor_mode": {"daily_limit_minutes": 0}},
            {"age": 15, "minor_mode": {"enabled": "false"}},
            {"age": 15, "minor_mode": {"allowed_personas": "xiaoyu"}},
            {"age": True},
            {"locale": "zh-" + "a" * 16000},
        ]
        for body in bad_users:
            resp = c.put("/v1/users/kid15", json=body)
            assert resp.status_code == 400, (body, resp.text)
        assert c.put("/v1/users/kid15", json={"age": 15}).status_code == 200
        crisis = _turn(c, "kid15", CRISIS)
        assert crisis.status_code == 200, crisis.text
        for amount in ("NaN", "sNaN", "Infinity", True, "1e30"):
            resp = c.post("/v1/wallet/authorize", json={"user": "kid15", "amount": amount, "currency": "CNY"})
            assert resp.status_code == 400, (amount, resp.text)
        for user in ("a\ud800b", "a\x00b", "a\x1b[31mb", "a\nb"):
            resp = c.post(
                "/v1/chat/completions",
                content=(
                    '{"model":"xiaoyu","user":"%s","messages":[{"role":"user","content":"hi"}]}'  # noqa: UP031
                    % user.encode("unicode_escape").decode().replace("\\x", "\\u00")
                ),
                headers={"Content-Type": "application/json"},
            )
            assert resp.status_code == 400, (repr(user), resp.text)
        assert c.put("/v1/users/a%00b", json={"age": 30}).status_code in (400, 422)


@pytest.mark.req("D5", "X1")
def test_body_limit_and_sandbox_clock_bounds(tmp_path: Path) -> None:
    server = start_server(create_app(make_settings(tmp_path, max_body_bytes=64 * 1024)))
    try:
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {server.key}"}, timeout=30
        ) as c:
            big = (
                b'{"model":"xiaoyu","user":"u","messages":[{"role":"user","content":"'
                + b"a" * 200_000
                + b'"}]}'
            )
            resp = c.post("/v1/chat/completions", content=big, headers={"Content-Type": "application/json"})
            assert resp.status_code == 413, resp.text

            def chunks():  # no Content-Length: chunked upload
                yield big

            resp = c.post(
                "/v1/chat/completions", content=chunks(), headers={"Content-Type": "application/json"}
            )
            assert resp.status_code == 413, resp.text
            for _ in range(3):
                assert c.post("/v1/sandbox/clock", json={"advance_seconds": 366 * 86400}).status_code == 200
            refused = 0
            for _ in range(200):
                refused += (
                    c.post("/v1/sandbox/clock", json={"advance_seconds": 366 * 86400}).status_code == 400
                )
            assert refused > 0
            assert _turn(c, "late-user").status_code == 200
            assert c.get("/healthz").status_code == 200
    finally:
        server.stop()


@pytest.mark.req("I2", "D4")
def test_turns_cut_by_a_crash_are_recovered_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, upstream_timeout=1.0)
    engine = make_engine(settings.resolved_db_url())
    upgrade(engine)
    from companion_guard.clock import SystemClock

    cut = str(uuid.uuid4())
    with Session(engine) as s:
        s.add(
            Turn(
                id=cut,
                user_id="crashed",
                persona_id="xiaoyu",
                status="decided",
                created_at=SystemClock().now() - __import__("datetime").timedelta(seconds=20),
            )
        )
        s.commit()
    engine.dispose()
    db = Path(settings.home) / "companion-guard.db"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    server = start_server(create_app(settings))
    try:
        check = create_engine(settings.resolved_db_url())
        with Session(check) as s:
            assert s.get(Turn, cut).status == "interrupted"  # type: ignore[union-attr]
        check.dispose()
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(db) + suffix)
            if path.exists():
                assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, path
    finally:
        server.stop()


@pytest.mark.req("D3")
def test_webhook_urls_and_addresses_stay_out_of_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_server(create_app(make_settings(tmp_path, notify_timeout=0.5)))
    caplog.set_level(logging.INFO)
    try:
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {server.key}"}, timeout=30
        ) as c:
            contact = {
                "webhook": "http://127.0.0.1:9/secret-path?token=s3cr3t",
                "email": "t.sister@example.org",
            }
            assert c.put("/v1/users/logu", json={"age": 30, "emergency_contact": contact}).status_code == 200
            assert _turn(c, "logu", CRISIS).status_code == 200
            time.sleep(1.5)
        text = caplog.text
        assert "secret-path" not in text and "s3cr3t" not in text and "t.sister@example.org" not in text
        svc = server.server.config.app.state.services
        from sqlalchemy import select

        from companion_guard.store.tables import OutboxMessage

        with Session(svc.engine) as s:
            errors = " ".join(r.last_error or "" for r in s.scalars(select(OutboxMessage)))
        assert "secret-path" not in errors and "t.sister@example.org" not in errors
    finally:
        server.stop()
