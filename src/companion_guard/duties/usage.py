"""I4: a reminder at each full two hours of continuous use, across personas and devices."""

from __future__ import annotations

from sqlalchemy import update

from companion_guard.clock import as_utc
from companion_guard.duties.base import Duty
from companion_guard.policy.messages import render
from companion_guard.store import repositories as repo
from companion_guard.store.db import affected_rows
from companion_guard.store.tables import UsageClock
from companion_guard.turn import TurnContext
from companion_guard.types import Display, Event


class UsageReminderDuty(Duty):
    """Keeps the per-user usage clock and emits ``reminder.time`` once per mark."""

    id = "usage.reminder"
    requirements = ("I4",)

    def on_input(self, ctx: TurnContext) -> None:
        """Advance the clock; remind when a new full period of continuous use is reached."""
        policy = ctx.pack.usage
        clock = repo.usage_clock(ctx.session, ctx.user.id)
        if clock is None:
            clock = UsageClock(
                user_id=ctx.user.id, session_started_at=ctx.now, last_seen_at=ctx.now, marks_reminded=0
            )
            ctx.session.add(clock)
            ctx.session.flush()
            return
        gap = (ctx.now - as_utc(clock.last_seen_at)).total_seconds()
        repo.touch_usage_clock(ctx.session, clock, now=ctx.now, restart=gap >= policy.idle_reset_seconds)
        continuous = (ctx.now - as_utc(clock.session_started_at)).total_seconds()
        ctx.facts["continuous_use_seconds"] = continuous
        mark = int(continuous // policy.reminder_every_seconds)
        if mark <= clock.marks_reminded:
            return
        # Claim the mark atomically so two replicas never remind twice for it.
        claimed = affected_rows(
            ctx.session.execute(
                update(UsageClock)
                .where(UsageClock.user_id == ctx.user.id, UsageClock.marks_reminded < mark)
                .values(marks_reminded=mark)
            )
        )
        if not claimed:
            return
        hours = mark * policy.reminder_every_seconds / 3600
        hours_text = f"{hours:g}"
        ctx.emit(
            Event(
                kind="reminder.time",
                requirement="I4",
                message=render(ctx.pack, "reminder.time", ctx.locale, hours=hours_text),
                display=Display.POPUP,
                data={"continuous_use_seconds": int(continuous), "mark": mark},
            )
        )
