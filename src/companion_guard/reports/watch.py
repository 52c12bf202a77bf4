"""A1 while serving: recount registered and monthly active users now and then, in a turn's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from companion_guard.duties.base import Duty
from companion_guard.reports import triggers
from companion_guard.turn import TurnContext


class AssessmentWatchDuty(Duty):
    """Every ``assessment.check_every_seconds`` (pack) of the gateway's clock, check the scale thresholds."""

    id: ClassVar[str] = "assessment.watch"
    requirements: ClassVar[tuple[str, ...]] = ("A1",)

    def __init__(self) -> None:
        self._last: datetime | None = None

    def on_input(self, ctx: TurnContext) -> None:
        """Recount when the last count is older than the pack's interval (per process)."""
        every = ctx.pack.assessment.check_every_seconds
        if self._last is not None and (ctx.now - self._last).total_seconds() < every:
            return
        self._last = ctx.now
        triggers.check(ctx.session, pack=ctx.pack, now=ctx.now)
