"""Helpers for the sandbox tests: real servers on free ports, running and scoring a suite."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import free_port, start_server

from companion_guard.sandbox.runner import Runner, TargetConfig
from companion_guard.sandbox.scenario import Scenario
from companion_guard.sandbox.scoring import Scorecard, score

GATEWAY_KEY = "sandbox-test-key"


def _free_port() -> int:
    return free_port()


def bare(spec: str) -> Iterator[str]:
    from companion_guard.upstream import make_upstream
    from companion_guard.upstream.demo_server import create_demo_app

    served = start_server(create_demo_app(make_upstream(spec)))
    yield served.base_url
    served.stop()


def gateway(tmp: Path, upstream: str) -> Iterator[str]:
    from companion_guard.service.app import create_app
    from companion_guard.settings import load_settings

    settings = load_settings(
        home=tmp / "home",
        api_key=GATEWAY_KEY,
        sandbox=True,
        outbox_interval=0.05,
        upstream=upstream,
        allow_private_webhooks=True,  # the red-team receiver listens on 127.0.0.1
    )
    served = start_server(create_app(settings))
    yield served.base_url
    served.stop()


def run(url: str, scenarios: list[Scenario], *, key: str | None = None, **config: Any) -> Scorecard:
    """Run scenarios against a target and score them."""
    target = TargetConfig(url=url, key=key, notify_timeout=config.pop("notify_timeout", 5.0), **config)
    info, results = asyncio.run(Runner(target).run(scenarios, suite="cn-2026"))
    return score(info, results)


def rates(card: Scorecard) -> dict[str, float | None]:
    """Requirement → pass rate."""
    return {s.requirement: s.pass_rate for s in card.scores}
