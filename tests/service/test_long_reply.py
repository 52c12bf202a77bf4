"""Issue 12, item 9 (the rest): one over-long upstream reply does not stall the gateway.

Judging a 2-million-character reply takes seconds of CPU. On SQLite store work runs on
the event loop, and so did that judgement: ``/healthz`` (and every other user's turn,
a crisis included) waited for it. Through the HTTP API, on a real port: while such a
reply is judged, ``/healthz`` keeps answering. The bound is a share of the turn's own
time, not milliseconds, so a slow machine slows both sides alike.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from tests.conftest import make_settings, start_server
from tests.fakes import ScriptedUpstream

from companion_guard.service.app import create_app

#: Two million characters and no sentence end: the whole reply is judged in one go.
LONG = ("今天天气很好我们一起去公园散步吧" * 125_000)[:2_000_000]


@pytest.mark.req("I2", "D2")
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_healthz_answers_while_a_two_million_character_reply_is_judged(tmp_path: Path, stream: bool) -> None:
    upstream = ScriptedUpstream("你好。", LONG, chunk=65536)
    server = start_server(create_app(make_settings(tmp_path), upstream=upstream, run_outbox=False))
    body = {
        "model": "xiaoyu",
        "user": "long-1",
        "stream": stream,
        "messages": [{"role": "user", "content": "讲个很长的故事"}],
    }
    waits: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as probe:
            while not done.is_set():
                start = time.perf_counter()
                assert probe.get("/healthz").status_code == 200
                waits.append(time.perf_counter() - start)
                time.sleep(0.005)

    try:
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {server.key}"}, timeout=300
        ) as c:
            assert (
                c.post("/v1/chat/completions", json={**body, "stream": False}).status_code == 200
            )  # warm-up
            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            time.sleep(0.2)
            start = time.perf_counter()
            if stream:
                with c.stream("POST", "/v1/chat/completions", json=body) as resp:
                    received = sum(len(b) for b in resp.iter_bytes())
                    status = resp.status_code
            else:
                resp = c.post("/v1/chat/completions", json=body)
                status, received = resp.status_code, len(resp.content)
            turn_s = time.perf_counter() - start
            done.set()
            poller.join(timeout=60)
    finally:
        done.set()
        server.stop()
    assert status == 200 and received > 2_000_000
    worst = max(waits)
    # Before the judgement left the event loop, one /healthz waited the whole turn (≈99 % of it).
    assert worst < 0.5 * turn_s, f"/healthz waited {worst:.3f} s during a {turn_s:.3f} s turn"
