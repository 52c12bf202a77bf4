"""A gateway killed mid-turn loses nothing: the user's message and decision are on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from tests.conftest import PROVIDER_KEY, free_port

from companion_guard.store.tables import ChatMessage, Turn


def _hanging_upstream() -> tuple[ThreadingHTTPServer, threading.Event]:
    """An LLM that accepts the request and never answers (until released)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            release.wait(30)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, release


def test_kill_during_upstream_call_keeps_message_and_decision(tmp_path: Path) -> None:
    upstream, release = _hanging_upstream()
    port = free_port()
    env = {**os.environ, "COMPANION_GUARD_API_KEY": PROVIDER_KEY, "COMPANION_GUARD_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "companion_guard",
            "serve",
            "--port",
            str(port),
            "--upstream",
            f"http://127.0.0.1:{upstream.server_address[1]}/v1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        # A real upstream gets no demo personas: declare one.
        r = httpx.put(
            base + "/v1/personas/xiaoyu",
            json={"display_name": "小雨", "relationship": "friend"},
            headers={"Authorization": f"Bearer {PROVIDER_KEY}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        body = {
            "model": "xiaoyu",
            "user": "crash-user",
            "messages": [{"role": "user", "content": "最近压力好大，感觉快崩溃了"}],
        }

        def send() -> None:
            try:
                httpx.post(
                    base + "/v1/chat/completions",
                    json=body,
                    headers={"Authorization": f"Bearer {PROVIDER_KEY}"},
                    timeout=30,
                )
            except httpx.HTTPError:
                pass  # the server is killed under it: expected

        threading.Thread(target=send, daemon=True).start()
        engine = create_engine(f"sqlite:///{tmp_path / 'companion-guard.db'}")
        deadline = time.monotonic() + 20
        turn = None
        while time.monotonic() < deadline and turn is None:
            time.sleep(0.1)
            with Session(engine) as s:
                turn = s.scalars(select(Turn).where(Turn.user_id == "crash-user")).first()
        assert turn is not None, "the turn was not recorded before the upstream call"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        with Session(engine) as s:
            turn = s.scalars(select(Turn).where(Turn.user_id == "crash-user")).one()
            assert turn.status == "decided"
            assert any(sig["category"] == "user.extreme_emotion" for sig in turn.input_signals)
            assert [m.role for m in s.scalars(select(ChatMessage).where(ChatMessage.turn_id == turn.id))] == [
                "user"
            ]
        engine.dispose()
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
        upstream.shutdown()
