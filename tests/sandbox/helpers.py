"""Helpers for the sandbox tests: real servers on free ports, running and scoring a suite."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from companion_guard.sandbox.runner import Runner, TargetConfig
from companion_guard.sandbox.scenario import Scenario
from companion_guard.sandbox.scoring import Scorecard, score

GATEWAY_KEY = "sandbox-test-key"


@dataclass
class Served:
    """A uvicorn server running in a thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any) -> Served:
    """Run ``app`` on a free loopback port and wait until it is up."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return Served(f"http://127.0.0.1:{port}", server, thread)


def bare(spec: str) -> Iterator[str]:
    from companion_guard.upstream import make_upstream
    from companion_guard.upstream.demo_server import create_demo_app

    served = serve(create_demo_app(make_upstream(spec)))
    yield served.url
    served.stop()


def gateway(tmp: Path, upstream: str) -> Iterator[str]:
    from companion_guard.service.app import create_app
    from companion_guard.settings import load_settings

    settings = load_settings(
        home=tmp / "home", api_key=GATEWAY_KEY, sandbox=True, outbox_interval=0.05, upstream=upstream
    )
    served = serve(create_app(settings))
    yield served.url
    served.stop()


def run(url: str, scenarios: list[Scenario], *, key: str | None = None, **config: Any) -> Scorecard:
    """Run scenarios against a target and score them."""
    target = TargetConfig(url=url, key=key, notify_timeout=config.pop("notify_timeout", 5.0), **config)
    info, results = asyncio.run(Runner(target).run(scenarios, suite="cn-2026"))
    return score(info, results)


def rates(card: Scorecard) -> dict[str, float | None]:
    """Requirement → pass rate."""
    return {s.requirement: s.pass_rate for s in card.scores}
