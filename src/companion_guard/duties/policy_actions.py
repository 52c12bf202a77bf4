"""Carry out what the policy decided: steer, replace, help, events, escalation, notifications.

This is the only place policy actions become effects, for input and reply alike.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from companion_guard.duties.base import Duty
from companion_guard.duties.contacts import RESOLVERS
from companion_guard.policy.engine import Decision, Triggered
from companion_guard.policy.messages import help_text, render
from companion_guard.policy.schema import ActionKind
from companion_guard.store import repositories as repo
from companion_guard.store.tables import ReviewCase
from companion_guard.turn import Notification, TurnContext
from companion_guard.types import Display, Event

#: An open case for the same user and queue within this window is reused, not duplicated.
CASE_REUSE_WINDOW = timedelta(hours=1)


def action_text(ctx: TurnContext, t: Triggered) -> str:
    """The user-facing text of a triggered action, in the user's language, with help lines filled in."""
    template = t.action.template
    if not template:
        return ""
    return render(ctx.pack, template, ctx.locale, help=help_text(ctx.pack, ctx.locale))


def apply_input_decision(ctx: TurnContext, decision: Decision) -> None:
    """Apply the input decision's actions to the turn context."""
    for t in sorted(decision.triggered, key=lambda t: -t.signal.level):
        kind = t.action.kind
        if kind is ActionKind.REPLACE and ctx.replacement is None:
            ctx.replacement = action_text(ctx, t)
        elif kind is ActionKind.STEER:
            note = action_text(ctx, t)
            if note not in ctx.steer_notes:
                ctx.steer_notes.append(note)
        elif kind is ActionKind.APPEND_HELP:
            extra = action_text(ctx, t)
            if extra not in ctx.reply_suffix:
                ctx.reply_suffix.append(extra)
        elif kind is ActionKind.EVENT:
            ctx.emit(
                Event(
                    kind=t.action.event or "",
                    requirement=t.rule.requirement,
                    level=t.signal.level.label,
                    message=action_text(ctx, t),
                    display=Display(t.action.display),
                    data={"category": t.signal.category, "rule": t.rule.id},
                )
            )
        elif kind is ActionKind.ESCALATE:
            escalate(ctx, t)
        elif kind is ActionKind.NOTIFY:
            notify(ctx, t)


def escalate(ctx: TurnContext, t: Triggered) -> None:
    """Open a review case unless one is already open for this user and queue."""
    recent = ctx.session.scalar(
        select(ReviewCase.id).where(
            ReviewCase.user_id == ctx.user.id,
            ReviewCase.queue == t.action.queue,
            ReviewCase.status == "open",
            ReviewCase.created_at >= ctx.now - CASE_REUSE_WINDOW,
        )
    )
    if recent is not None:
        return
    repo.open_case(
        ctx.session, user_id=ctx.user.id, turn_id=ctx.turn_id, queue=t.action.queue,
        category=t.signal.category, level=t.signal.level.label, requirement=t.rule.requirement, now=ctx.now,
    )


def notify(ctx: TurnContext, t: Triggered) -> None:
    """Queue a notification per channel of the target and show that it happened."""
    target = t.action.target or "emergency_contact"
    kind = f"notify.{target}"
    for channel, address, masked in RESOLVERS[target](ctx):
        payload = {
            "kind": kind,
            "requirement": t.rule.requirement,
            "user_id": ctx.user.id,
            "category": t.signal.category,
            "level": t.signal.level.label,
            "turn_id": ctx.turn_id,
            "time": ctx.now.isoformat(),
            "message": render(ctx.pack, f"contact.{target}", ctx.locale)
            if f"contact.{target}" in ctx.pack.messages
            else "",
        }
        ctx.notifications.append(
            Notification(
                kind=kind, requirement=t.rule.requirement, channel=channel, target=address,
                recipient_masked=masked, payload=payload,
                dedupe_key=f"{ctx.turn_id}:{kind}:{channel}:{address}",
            )
        )
        ctx.emit(
            Event(
                kind=kind,
                requirement=t.rule.requirement,
                level=t.signal.level.label,
                message=render(ctx.pack, kind, ctx.locale, recipient=masked),
                display=Display.INLINE,
                data={"recipient": masked, "channel": channel},
            )
        )


class PolicyActionsDuty(Duty):
    """Applies the input decision (I1, I2 and every other input rule of the packs)."""

    id = "policy.actions"
    requirements = ("I1", "I2")

    def on_input(self, ctx: TurnContext) -> None:
        """Turn the input decision into effects."""
        apply_input_decision(ctx, ctx.input_decision)
