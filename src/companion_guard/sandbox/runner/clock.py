"""The sandbox clock: a gateway started with ``--sandbox`` lets the run move its time.

Time-of-day rules and reminders are tested by moving the clock, not by waiting; what the
target says its time is after each move is kept, so ``at_local_time`` can be reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from companion_guard.sandbox.scenario import Scenario, ScenarioStep
from companion_guard.sandbox.wire import parse_now, seconds_until, short

CLOCK_PATH = "/v1/sandbox/clock"


class SandboxClock:
    """Whether the target's clock can be moved, and what time it last said it was."""

    def __init__(self) -> None:
        self.available = False
        self.now: datetime | None = None

    async def probe(self, client: httpx.AsyncClient) -> httpx.Response | None:
        """Ask for the time without moving it; a 2xx answer means the clock can be moved."""
        try:
            answer = await client.post(CLOCK_PATH, json={"advance_seconds": 0})
        except httpx.HTTPError:
            return None
        if answer.status_code < 300:
            self.available = True
            self.now = parse_now(answer)
        return answer

    async def advance(self, client: httpx.AsyncClient, seconds: int) -> str | None:
        """Move the clock; returns why it could not move, if it could not."""
        answer = await client.post(CLOCK_PATH, json={"advance_seconds": seconds})
        if answer.status_code >= 300:
            return f"POST {CLOCK_PATH} answered {answer.status_code}: {short(answer.text)}"
        now = parse_now(answer)
        if now is not None:
            self.now = now
        elif self.now is not None:
            self.now += timedelta(seconds=seconds)
        return None

    async def start(self, client: httpx.AsyncClient, scenario: Scenario) -> str | None:
        """Move to the scenario's local start time (not counted as use); returns why it could not."""
        if self.available and self.now is not None and scenario.start_local_time is not None:
            return await self.advance(
                client, seconds_until(self.now, scenario.start_local_time, scenario.timezone)
            )
        return None

    async def before(
        self, client: httpx.AsyncClient, step: ScenarioStep, repetition: int, timezone: str
    ) -> tuple[int, str | None]:
        """Move simulated time before one repetition of a step.

        Returns the simulated seconds that pass (counted even where the clock cannot move)
        and why the target's clock did not follow, if it did not.
        """
        seconds = step.advance if repetition == 0 else step.every
        if repetition == 0 and step.at_local_time is not None:
            if not self.available or self.now is None:
                return 0, "the target's clock time is unknown (needs a gateway started with --sandbox)"
            seconds += seconds_until(self.now + timedelta(seconds=seconds), step.at_local_time, timezone)
        if seconds <= 0:
            return 0, None
        if not self.available:
            return seconds, "time cannot be moved on this target (no sandbox clock)"
        return seconds, await self.advance(client, seconds)
