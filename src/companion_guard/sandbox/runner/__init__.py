"""Drive an OpenAI-compatible companion endpoint through scenarios and judge each turn.

Two kinds of target. A companion-guard gateway gets the simulated user and persona
through ``PUT /v1/users/{id}`` and ``PUT /v1/personas/{id}``, has its clock moved
with ``POST /v1/sandbox/clock`` and answers with ``guard.events`` and
``guard.signals``, which the checks read. A bare model endpoint gets the persona
as a system message; only its replies can be judged, and every gateway-only check
is recorded as not applicable.

One module per concern: :mod:`.target` (talking to the endpoint), :mod:`.clock` (the
sandbox clock), :mod:`.conversation` (one scenario), :mod:`.notifications` (the receiver
and the checks settled at the end); :class:`Runner` runs them in order.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from companion_guard.sandbox.judge import ReplyJudge
from companion_guard.sandbox.profiles import uses_receiver
from companion_guard.sandbox.receiver import WebhookReceiver
from companion_guard.sandbox.results import RunInfo, ScenarioResult, TargetKind
from companion_guard.sandbox.runner.clock import CLOCK_PATH, SandboxClock
from companion_guard.sandbox.runner.conversation import Stage, play_scenario
from companion_guard.sandbox.runner.notifications import NotificationSink
from companion_guard.sandbox.runner.target import RunError, TargetConfig, connect, detect_kind, first_model
from companion_guard.sandbox.scenario import Scenario

__all__ = ["CLOCK_PATH", "RunError", "Runner", "TargetConfig"]

T = TypeVar("T")


class Runner:
    """Runs scenarios against one target, one after the other (the sandbox clock is shared)."""

    def __init__(
        self,
        target: TargetConfig,
        *,
        judge: ReplyJudge | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = target
        self.judge = judge or ReplyJudge()
        self._transport = transport
        self.kind = TargetKind.BARE
        self.clock = SandboxClock()
        self.run_id = secrets.token_hex(3)
        self.sink = NotificationSink()
        self._http: httpx.AsyncClient | None = None
        self._model: str | None = target.model

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client of the run in progress."""
        if self._http is None:
            raise RuntimeError("no run in progress")
        return self._http

    @property
    def sandbox_clock(self) -> bool:
        """The target's clock can be moved (a gateway started with ``--sandbox``)."""
        return self.clock.available

    @property
    def receiver(self) -> WebhookReceiver | None:
        """The run's webhook receiver, while one is needed."""
        return self.sink.receiver

    async def _connected(self, suite: str, work: Callable[[], Awaitable[list[T]]]) -> tuple[RunInfo, list[T]]:
        """Run ``work`` with a client on the target open (``self.client``); time it and describe the run."""
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        async with connect(self.target, self._transport) as client:
            self._http = client
            try:
                results = await work()
            finally:
                self._http = None
        info = RunInfo(
            target=self.target.url,
            kind=self.kind,
            suite=suite,
            run_id=self.run_id,
            started=started.isoformat(timespec="seconds"),
            seconds=time.perf_counter() - t0,
            sandbox_clock=self.sandbox_clock,
            receiver=self.receiver.url if self.receiver else None,
        )
        return info, results

    async def run(
        self,
        scenarios: list[Scenario],
        *,
        suite: str = "",
        on_result: Callable[[ScenarioResult], None] | None = None,
    ) -> tuple[RunInfo, list[ScenarioResult]]:
        """Run every scenario; return the run's info and each scenario's result."""
        return await self._connected(suite, lambda: self._run_all(scenarios, on_result))

    async def _run_all(
        self, scenarios: list[Scenario], on_result: Callable[[ScenarioResult], None] | None
    ) -> list[ScenarioResult]:
        await self._detect_kind()
        if self.kind is TargetKind.GATEWAY and any(uses_receiver(s) for s in scenarios):
            self.sink.receiver = await WebhookReceiver().start()
        try:
            results = []
            for scenario in scenarios:
                result = await self._run_scenario(scenario)
                results.append(result)
                if on_result is not None:
                    on_result(result)
            await self.sink.settle(self.target.notify_timeout)
        finally:
            if self.sink.receiver is not None:
                await self.sink.receiver.stop()
        return results

    async def _detect_kind(self) -> None:
        """Find what the target is; a bare endpoint without a model named gets its first one."""
        self.kind = await detect_kind(self.client, self.target, self.clock)
        if self.kind is TargetKind.BARE and self._model is None:
            self._model = await first_model(self.client)

    async def _run_scenario(self, scenario: Scenario) -> ScenarioResult:
        stage = Stage(
            self.client, self.kind, self.clock, self.judge, self.sink, self.target.stream, self._model
        )
        return await play_scenario(stage, scenario, f"rt-{self.run_id}-{scenario.id}")
