"""Decision effects: the pipeline stage that carries out what the policy decided.

Run by ``Guard`` after every ``decide``, input and reply alike (DESIGN.md: one
pipeline): steer, replace, append help, events, escalation to a human queue and
notifications. The loader rejects any action this stage cannot apply in a rule's
direction (:data:`companion_guard.policy.schema.APPLICABLE`), so no pack rule is silently dropped.

Crisis first (I1, I2): :func:`crisis_reply` is the reply a person in crisis reads
whenever their reply is replaced or a gate stops the companion; :func:`help_first`
is the part of a decision that runs even when a gate stops the turn.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from companion_guard.policy.engine import Decision, Triggered
from companion_guard.policy.messages import help_text, language, render
from companion_guard.policy.schema import APPLICABLE, ActionKind
from companion_guard.types import Direction, Display, Event, RiskLevel

if TYPE_CHECKING:
    from companion_guard.turn import TurnContext


#: An open case for the same user and queue within this window is reused, not duplicated.
CASE_REUSE_WINDOW = timedelta(hours=1)


def action_text(ctx: TurnContext, t: Triggered) -> str:
    """The user-facing text of a triggered action, in the user's language, with help lines filled in."""
    template = t.action.template
    if not template:
        return ""
    return render(ctx.pack, template, ctx.locale, help=help_text(ctx.pack, ctx.locale))


def help_first(decision: Decision) -> Decision:
    """The part of ``decision`` that must run even when a gate stops the companion (I1, I2)."""
    triggered = tuple(t for t in decision.triggered if t.rule.help_first)
    outcome = (
        "replace"
        if any(t.action.kind is ActionKind.REPLACE for t in triggered)
        else ("steer" if triggered else "allow")
    )
    return Decision(outcome=outcome, triggered=triggered, signals=decision.signals)


def crisis_signal(ctx: TurnContext) -> Triggered | None:
    """The strongest crisis finding of this turn's input (≥ medium, with a crisis reply), if any."""
    found = [
        t
        for t in ctx.input_decision.triggered
        if t.rule.help_first
        and t.signal.category in ctx.pack.crisis_replies
        and t.signal.level >= RiskLevel.MEDIUM
    ]
    return max(found, key=lambda t: (t.signal.level, t.rule.requirement == "I2"), default=None)


def crisis_reply(ctx: TurnContext) -> str | None:
    """The reply for a person in crisis this turn, in their language with their help lines; ``None`` if no crisis."""
    t = crisis_signal(ctx)
    if t is None:
        return None
    return render(
        ctx.pack, ctx.pack.crisis_replies[t.signal.category], ctx.locale, help=help_text(ctx.pack, ctx.locale)
    )


def apply(decision: Decision, ctx: TurnContext, direction: Direction) -> None:
    """Carry out ``decision``'s actions on the turn, strongest signal first."""
    allowed = APPLICABLE[direction]
    for t in sorted(decision.triggered, key=lambda t: (-t.signal.level, not t.rule.help_first)):
        kind = t.action.kind
        if kind not in allowed:  # the loader refuses these; kept as a guard for hand-built packs
            continue
        if kind is ActionKind.REPLACE:
            if direction is Direction.INPUT and ctx.replacement is None:
                # A refusal ("I can't help with that") never answers a person in crisis: the crisis reply does.
                ctx.replacement = (None if t.rule.help_first else crisis_reply(ctx)) or action_text(ctx, t)
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
    """Open a review case unless one is already open for this user and queue (then raise its level)."""
    from companion_guard.store import repositories as repo
    from companion_guard.store.tables import ReviewCase

    recent = ctx.session.scalar(
        select(ReviewCase).where(
            ReviewCase.user_id == ctx.user.id,
            ReviewCase.queue == t.action.queue,
            ReviewCase.status.in_(("open", "acknowledged")),
            ReviewCase.created_at >= ctx.now - CASE_REUSE_WINDOW,
        )
    )
    if recent is not None:
        if RiskLevel.parse(recent.level) < t.signal.level:
            recent.level, recent.category = t.signal.level.label, t.signal.category
        ctx.facts["case_id"] = recent.id
        return
    case = repo.open_case(
        ctx.session,
        user_id=ctx.user.id,
        turn_id=ctx.turn_id,
        queue=t.action.queue,
        category=t.signal.category,
        level=t.signal.level.label,
        requirement=t.rule.requirement,
        now=ctx.now,
    )
    ctx.facts["case_id"] = case.id
    message_id = (
        t.action.template or "escalation.human"
    )  # what the user reads: the rule's text, else the pack's
    if message_id in ctx.pack.messages:
        ctx.emit(
            Event(
                kind="escalation.human",
                requirement=t.rule.requirement,
                level=t.signal.level.label,
                message=render(ctx.pack, message_id, ctx.locale),
                display=Display.INLINE,
                data={"case_id": case.id, "queue": t.action.queue},
            )
        )


def contact_message(ctx: TurnContext, target: str, t: Triggered, contact_locale: str | None) -> str:
    """What the guardian or emergency contact reads: who, what kind of concern, how urgent, what to do, help lines.

    Never the user's words (D3): only the kind of concern.
    """
    pack, locale = ctx.pack, contact_locale or ctx.locale
    name = (ctx.user_name or "").strip() or render(pack, "contact.someone", locale)
    category = t.signal.category
    concern_id = f"concern.{category}"
    concern = render(pack, concern_id, locale) if concern_id in pack.messages else category
    urgency_id = f"urgency.{t.signal.level.label}"
    urgency = render(pack, urgency_id, locale) if urgency_id in pack.messages else t.signal.level.label
    advice_id = f"advice.{category}" if f"advice.{category}" in pack.messages else "advice.default"
    advice = render(pack, advice_id, locale) if advice_id in pack.messages else ""
    when = ctx.now.strftime("%Y-%m-%d %H:%M") + " UTC"
    return render(
        pack,
        f"contact.{target}",
        locale,
        name=name,
        concern=concern,
        urgency=urgency,
        advice=advice,
        help=help_text(pack, locale),
        time=when,
    )


#: The same kind of notification to the same recipient at most once in this window, unless the level rises.
NOTIFY_THROTTLE = timedelta(hours=1)


def _recently_sent(ctx: TurnContext, kind: str, level: RiskLevel) -> bool:
    """Whether this user's contacts got this kind at this level or higher within :data:`NOTIFY_THROTTLE`."""
    from companion_guard.store.tables import OutboxMessage

    rows = ctx.session.scalars(
        select(OutboxMessage.payload).where(
            OutboxMessage.user_id == ctx.user.id,
            OutboxMessage.kind == kind,
            OutboxMessage.created_at >= ctx.now - NOTIFY_THROTTLE,
        )
    ).all()
    return any(RiskLevel.parse(str((p or {}).get("level", "none"))) >= level for p in rows)


def notify(ctx: TurnContext, t: Triggered) -> None:
    """Queue a notification per deliverable channel and tell the user who was told (by name, never an address).

    A channel nothing can deliver through (no SMTP server for an e-mail contact) is not
    promised to the user: the case records it, so the person on duty calls instead. The
    same kind goes to the same contacts at most once an hour unless the level rises.
    """
    from companion_guard.store.cases import record_notified
    from companion_guard.turn import Notification

    target = t.action.target or "emergency_contact"
    kind = f"notify.{target}"
    # A Guard checks at construction that every target of its packs has a resolver.
    every = ctx.resolvers[target](ctx)
    channels = [c for c in every if ctx.deliverable is None or c.channel in ctx.deliverable]
    undeliverable = [c for c in every if c not in channels]
    record_notified(
        ctx.session,
        ctx.facts.get("case_id"),
        [
            {
                "target": target,
                "channel": c.channel,
                "recipient": c.masked,
                "at": ctx.now.isoformat(),
                "status": "no channel can deliver this; call them",
            }
            for c in undeliverable
        ],
    )
    if not channels:
        return
    throttled = _recently_sent(ctx, kind, t.signal.level)
    for channel in [] if throttled else channels:
        message = (
            contact_message(ctx, target, t, channel.locale)
            if f"contact.{target}" in ctx.pack.messages
            else ""
        )
        payload = {
            "kind": kind,
            "requirement": t.rule.requirement,
            "user_id": ctx.user.id,
            "user_name": ctx.user_name or None,
            "category": t.signal.category,
            "level": t.signal.level.label,
            "turn_id": ctx.turn_id,
            "case_id": ctx.facts.get("case_id"),
            "time": ctx.now.isoformat(),
            "language": language(channel.locale or ctx.locale),
            "message": message,
        }
        ctx.notifications.append(
            Notification(
                kind=kind,
                requirement=t.rule.requirement,
                channel=channel.channel,
                target=channel.target,
                recipient_masked=channel.masked,
                payload=payload,
                dedupe_key=f"{ctx.turn_id}:{kind}:{channel.channel}:{channel.target}",
            )
        )
    if not throttled:
        record_notified(
            ctx.session,
            ctx.facts.get("case_id"),
            [
                {"target": target, "channel": c.channel, "recipient": c.masked, "at": ctx.now.isoformat()}
                for c in channels
            ],
        )
    names = [c.name for c in channels if c.name]
    recipient = names[0] if names else channels[0].masked
    stored = mask_name(recipient) if names else recipient
    ctx.emit(
        Event(
            kind=kind,
            requirement=t.rule.requirement,
            level=t.signal.level.label,
            message=render(ctx.pack, kind, ctx.locale, recipient=recipient),
            display=Display.INLINE,
            data={
                "recipient": recipient,
                "channel": channels[0].channel,
                "throttled": throttled,
                "channels": sorted({c.channel for c in channels}),
                "masked": sorted({c.masked for c in channels}),
            },
            private={recipient: stored} if stored != recipient else {},
        )
    )


def mask_name(name: str) -> str:
    """``妈妈`` → ``妈*``, ``Alice`` → ``A***``: how a contact's name is kept in stored events (D3)."""
    return name[:1] + ("*" if len(name) <= 2 else "***")
