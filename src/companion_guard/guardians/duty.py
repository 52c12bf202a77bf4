"""The guardian duties: small duties with one job each, over one :class:`GuardianState` per turn.

In stage order (:data:`companion_guard.duties.DEFAULT_DUTIES`):

- :class:`ConsentGateDuty` — M2: no turn for an under-14 user without a guardian's consent.
- :class:`MinorModeDuty` — M3: quiet hours and the daily limit (gate), reality reminders.
- :class:`PersonaAccessDuty` — M1/M4/M3: intimate personas, the guardian's block-list, the
  allowed list (gate); asks an adult whose words suggest a minor to confirm their age.
- :class:`ElderlyDuty` — E1: the first-turn guidance. Fraud warnings and help cases are the
  pack's rules (``elderly.*``), carried out by :mod:`companion_guard.effects`.
- :class:`GuardianCrisisAlertDuty` — M4, I2: a minor in crisis lands in the guardian's alerts.
- :class:`DependencyDuty` — I3: the dependency score, its reminders and the guardian's notice.
- :class:`ActivityDuty` — notes the served turn (minutes today, dependency, overview).

The rules themselves are pure (``age``, ``minor_mode``, ``personas``, ``elderly``,
``dependency``); these duties read the state, call them and write the outcome. Every
text comes from the pack in force (``ctx.pack``).
"""

from __future__ import annotations

from datetime import timedelta

from companion_guard.clock import as_utc
from companion_guard.duties.base import Duty
from companion_guard.guardians import dependency, elderly
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.age import AgeVerification
from companion_guard.guardians.elderly import HELP_QUEUE
from companion_guard.guardians.messages import text
from companion_guard.guardians.minor_mode import MinorUsage, active_minutes_by_day, evaluate
from companion_guard.guardians.notices import alert_guardians, enqueue_now
from companion_guard.guardians.personas import PersonaInfo, check_persona
from companion_guard.guardians.state import GuardianState, guardian_state
from companion_guard.store import repositories as repo
from companion_guard.turn import GateResult, TurnContext
from companion_guard.types import Display, Event, Relationship, RiskLevel

__all__ = [
    "HELP_QUEUE",
    "ActivityDuty",
    "ConsentGateDuty",
    "DependencyDuty",
    "ElderlyDuty",
    "GuardianCrisisAlertDuty",
    "MinorModeDuty",
    "PersonaAccessDuty",
]

_CRISIS_REQUIREMENTS = ("I1", "I2")
#: The full dependency score is recomputed on a dependency signal, else at most this often.
DEPENDENCY_REFRESH = timedelta(minutes=10)


class ConsentGateDuty(Duty):
    """M2: an under-14 user without a guardian's consent is told so, and nothing of the turn is kept."""

    id = "guardians.consent"
    requirements = ("M2",)
    provides = frozenset({"consent"})

    def gate(self, ctx: TurnContext) -> GateResult | None:
        """Stop the turn until a guardian consents."""
        state = guardian_state(ctx)
        if not state.age.needs_consent or state.consent is not None:
            return None
        event = Event(
            "consent.required",
            "M2",
            text("consent.required", ctx.locale, pack=ctx.pack),
            "warning",
            Display.POPUP,
            data={"band": state.age.band.id},
        )
        # Nothing of this turn is kept: no message, no activity, no usage (M2).
        return GateResult(reply=event.message, events=[event], status="consent_required", keep_content=False)


class MinorModeDuty(Duty):
    """M3: quiet hours and the daily limit stop the turn; reality reminders while it goes on."""

    id = "guardians.minor_mode"
    requirements = ("M3",)
    provides = frozenset({"minor_mode"})

    def gate(self, ctx: TurnContext) -> GateResult | None:
        """Refuse in quiet hours or past the daily limit."""
        state = guardian_state(ctx)
        if not state.mode.active:
            return None
        usage = MinorUsage(minutes_today=_minutes_today(ctx, state))
        verdict = evaluate(state.mode, usage, ctx.now, ctx.locale, pack=ctx.pack)
        if verdict.allowed:
            return None
        state.record(ctx, served=False, kinds=[e.kind for e in verdict.events])
        return GateResult(reply=verdict.events[0].message, events=list(verdict.events), status="limited")

    def on_input(self, ctx: TurnContext) -> None:
        """A reality reminder once the interval of continuous use has passed."""
        state = guardian_state(ctx)
        if not state.mode.active or state.mode.reality_reminder_minutes is None:
            return
        clock = repo.usage_clock(ctx.session, ctx.user.id)
        start = as_utc(clock.session_started_at) if clock is not None else ctx.now
        last = state.row.last_reality_reminder_at if state.row is not None else None
        usage = MinorUsage(session_started_at=start, last_reality_reminder_at=as_utc(last) if last else None)
        verdict = evaluate(state.mode, usage, ctx.now, ctx.locale, pack=ctx.pack)
        if verdict.reality_reminder:
            for event in verdict.events:
                ctx.emit(event)
            state.ensure_row(ctx).last_reality_reminder_at = ctx.now


class PersonaAccessDuty(Duty):
    """M1, M4, M3: who may talk to which persona; an adult age in doubt is asked to be confirmed."""

    id = "guardians.personas"
    requirements = ("M1", "M4", "M3")

    def gate(self, ctx: TurnContext) -> GateResult | None:
        """Refuse a persona this user may not use, with kind alternatives; tell a minor's guardian."""
        state = guardian_state(ctx)
        persona = PersonaInfo(
            ctx.persona.id, _relationship(ctx.persona.relationship), ctx.persona.display_name
        )
        if check_persona(state.age, persona, rules=state.rules).allowed:
            return None
        catalogue = [
            PersonaInfo(p.id, _relationship(p.relationship)) for p in repo.list_personas(ctx.session)
        ]
        verdict = check_persona(
            state.age, persona, rules=state.rules, catalogue=catalogue, locale=ctx.locale, pack=ctx.pack
        )
        events = list(verdict.events)
        if state.age.minor:
            notes, shown = alert_guardians(
                ctx.session,
                user_id=ctx.user.id,
                kind="block.persona",
                requirement=verdict.requirement,
                level="warning",
                now=ctx.now,
                data={"persona": persona.id, "reason": verdict.reason},
                dedupe_key=f"{ctx.turn_id}:block.persona",
                locale=ctx.locale,
                pack=ctx.pack,
            )
            enqueue_now(ctx.session, notes, user_id=ctx.user.id, turn_id=None, now=ctx.now)
            events.extend(shown)
        state.record(ctx, served=False, kinds=[e.kind for e in events])
        return GateResult(reply=events[0].message, events=events, status="blocked_persona")

    def on_input(self, ctx: TurnContext) -> None:
        """An adult whose words suggest a minor: ask once to confirm the age (intimate personas wait)."""
        state = guardian_state(ctx)
        if state.age.minor or state.age.verification is AgeVerification.VERIFIED or ctx.age is None:
            return
        if not any(s.category == "user.possible_minor" for s in ctx.input_signals):
            return
        row = state.ensure_row(ctx)
        if row.possible_minor_at is None:
            row.possible_minor_at = ctx.now
            ctx.emit(
                Event(
                    "notice.age_confirmation",
                    "M1",
                    text("age.confirm", ctx.locale, pack=ctx.pack),
                    "info",
                    Display.POPUP,
                )
            )


class ElderlyDuty(Duty):
    """E1: healthy-use guidance on an elderly user's first turn.

    The ``warning.fraud`` pop-up, the anti-fraud steer and help, and the cases in the
    ``elderly_help`` queue are the pack's ``elderly.*`` rules, not code here.
    """

    id = "guardians.elderly"
    requirements = ("E1",)

    def on_input(self, ctx: TurnContext) -> None:
        """Show the guidance once."""
        state = guardian_state(ctx)
        if not state.elderly:
            return
        row = state.ensure_row(ctx)
        if row.elderly_onboarded_at is None:
            row.elderly_onboarded_at = ctx.now
            ctx.emit(elderly.guidance(ctx.locale, pack=ctx.pack))


class GuardianCrisisAlertDuty(Duty):
    """M4, I2: a minor in crisis (high or above) appears in the guardian portal's alerts."""

    id = "guardians.crisis_alert"
    requirements = ("M4", "I2")

    def on_input(self, ctx: TurnContext) -> None:
        """Record the alert (the notification itself is the pack's ``notify`` action)."""
        state = guardian_state(ctx)
        level = _crisis_level(ctx)
        if state.age.minor and level >= RiskLevel.HIGH:
            grepo.add_alert(
                ctx.session,
                user_id=ctx.user.id,
                kind="crisis",
                requirement="I2",
                level=level.label,
                now=ctx.now,
                data={"turn_id": ctx.turn_id},
            )


class DependencyDuty(Duty):
    """I3: the dependency score; reminders at its cadence; a minor's guardian told on a new level."""

    id = "guardians.dependency"
    requirements = ("I3", "M4")

    def on_input(self, ctx: TurnContext) -> None:
        """Refresh the score when due and act on it."""
        state = guardian_state(ctx)
        hit = any(s.category == dependency.DEPENDENCY_CATEGORY for s in ctx.input_signals)
        state.dependency_hit = hit
        row = state.ensure_row(ctx) if hit else state.row
        last = as_utc(row.dependency_at) if row is not None and row.dependency_at else None
        if hit or last is None or ctx.now - last >= DEPENDENCY_REFRESH:
            result = _score(ctx, state, hit)
            row = state.ensure_row(ctx)
            row.dependency_score, row.dependency_at = round(result.score, 4), ctx.now
        elif row is not None and row.dependency_score is not None:
            result = dependency.from_score(row.dependency_score)
        else:
            return
        ctx.facts["dependency_score"] = result.to_dict()
        action = dependency.decide(
            result,
            now=ctx.now,
            last_reminder_at=as_utc(row.last_dependency_reminder_at)
            if row.last_dependency_reminder_at
            else None,
            last_notified_level=row.dependency_notified_level,
            locale=ctx.locale,
            pack=ctx.pack,
        )
        if action.remind and not any(e.kind == "reminder.ai_disclosure" for e in ctx.events):
            for event in action.events:
                ctx.emit(event)
            row.last_dependency_reminder_at = ctx.now
        if action.notify_guardian and result.level is not None:
            row.dependency_notified_level = result.level.level
            if state.age.minor:
                notes, shown = alert_guardians(
                    ctx.session,
                    user_id=ctx.user.id,
                    kind="dependency",
                    requirement="I3",
                    level=result.level.level,
                    now=ctx.now,
                    data=result.to_dict(),
                    dedupe_key=f"{ctx.turn_id}:dependency",
                    locale=ctx.locale,
                    pack=ctx.pack,
                )
                ctx.notifications.extend(notes)
                for event in shown:
                    ctx.emit(event)


class ActivityDuty(Duty):
    """Notes each served turn: the daily limit, the dependency score and the guardian's overview read it."""

    id = "guardians.activity"
    requirements = ("M3", "M4")

    def on_input(self, ctx: TurnContext) -> None:
        """One activity row with the events the turn showed so far."""
        state = guardian_state(ctx)
        state.record(
            ctx, served=True, kinds=[e.kind for e in ctx.events], dependency_hit=state.dependency_hit
        )


def _minutes_today(ctx: TurnContext, state: GuardianState) -> float:
    idle = timedelta(seconds=ctx.pack.usage.idle_reset_seconds)
    local_midnight = ctx.now.astimezone(state.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    stamps = [at for at, _ in grepo.usage_since(ctx.session, ctx.user.id, local_midnight - idle)] + [ctx.now]
    return active_minutes_by_day(stamps, state.tz, idle).get(ctx.now.astimezone(state.tz).date(), 0.0)


def _score(ctx: TurnContext, state: GuardianState, hit: bool) -> dependency.DependencyScore:
    """The full score over the window (a columns-only read of the activity rows)."""
    cfg = dependency.dependency_config()
    usage = grepo.usage_since(ctx.session, ctx.user.id, ctx.now - timedelta(days=cfg.window_days))
    stamps = [at for at, _ in usage] + [ctx.now]
    idle = timedelta(seconds=ctx.pack.usage.idle_reset_seconds)
    minutes = active_minutes_by_day(stamps, state.tz, idle)
    facts = dependency.UsageFacts(
        language_hits=sum(1 for _, h in usage if h) + int(hit),
        avg_daily_minutes=sum(minutes.values()) / cfg.window_days,
        late_night_share=dependency.late_night_share(stamps, state.tz),
        streak_days=dependency.streak_days(set(minutes), ctx.now.astimezone(state.tz).date()),
    )
    return dependency.score(facts, cfg)


def _relationship(value: str) -> Relationship:
    try:
        return Relationship(value)
    except ValueError:
        return Relationship.OTHER


def _crisis_level(ctx: TurnContext) -> RiskLevel:
    levels = [
        t.signal.level
        for t in ctx.input_decision.triggered
        if t.rule.requirement in _CRISIS_REQUIREMENTS and t.signal.category != "user.property_loss"
    ]
    return max(levels, default=RiskLevel.NONE)
