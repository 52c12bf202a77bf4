"""What a newcomer gets from ``companion-guard serve``, run as a real process: ``/`` works
with no setup, the console says where its key comes from; in front of a real LLM the
anonymous demo is closed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.conftest import free_port
from tests.web.conftest import CRISIS


@contextmanager
def serve(home: Path, *args: str) -> Iterator[str]:
    """``companion-guard serve`` in its own process until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_GUARD_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion_guard", "serve", "--home", str(home), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=home.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"serve did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.slow
@pytest.mark.req("I1", "I2", "D1")
def test_a_fresh_serve_opens_the_demo_and_tells_where_the_operator_key_comes_from(tmp_path: Path) -> None:
    with serve(tmp_path / ".companion-guard") as base, httpx.Client(base_url=base, timeout=30) as client:
        home = client.get("/")
        assert home.status_code == 200 and 'id="send"' in home.text
        csrf = json.loads(re.search(r'id="demo-data">(.*?)</script>', home.text, re.DOTALL).group(1))["csrf"]  # type: ignore[union-attr]
        turn = client.post(
            "/demo/chat",
            headers={"X-CSRF-Token": csrf},
            json={"persona": "xiaoyu", "messages": [{"role": "user", "content": CRISIS}]},
        )
        assert turn.status_code == 200 and "12356" in turn.text and "intervention.crisis" in turn.text
        console = client.get("/console")
        assert console.status_code == 401
        assert (
            "companion-guard keys create --role operator" in console.text and "provider-key" in console.text
        )
        for path in ("/guardian", "/me"):
            assert client.get(path).status_code == 401
        assert client.get("/web-static/app.css").status_code == 200


@pytest.mark.slow
@pytest.mark.req("D3")
def test_in_front_of_a_real_llm_the_anonymous_demo_is_closed(tmp_path: Path) -> None:
    # An upstream that is never reached: the demo must refuse before any turn.
    with serve(tmp_path / ".companion-guard", "--upstream", "http://127.0.0.1:9/v1") as base:
        home = httpx.get(base + "/")
        assert home.status_code == 200 and "/console" in home.text and 'id="send"' not in home.text
        assert httpx.post(base + "/demo/chat", json={"persona": "xiaoyu", "messages": []}).status_code == 404
