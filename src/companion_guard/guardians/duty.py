"""The guardians duty: M2 consent gate, M3 minor mode, M1/M4 persona access, E1 elderly mode,
I3 dependency reminders and M4 guardian alerts, plugged into the turn pipeline.

The rules themselves are pure (``age``, ``minor_mode``, ``personas``, ``elderly``,
``dependency``); this module only loads state, calls them and writes the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from companion_guard.clock import as_utc
from companion_guard.duties.base import Duty
from companion_guard.guardians import dependency, elderly
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.age import AgeProfile, AgeVerification, age_profile
from companion_guard.guardians.consent import ConsentRecord, consent_in_force
from companion_guard.guardians.messages import text
from companion_guard.guardians.minor_mode import (
    EffectiveMinorMode,
    MinorModeSettings,
    MinorUsage,
    active_minutes_by_day,
    effective,
    evaluate,
)
from companion_guard.guardians.notices import alert_guardians, enqueue_now
from companion_guard.guardians.personas import PersonaInfo, PersonaRules, check_persona
from companion_guard.store import repositories as repo
from companion_guard.store.tables import ReviewCase
from companion_guard.store.tables_guardians import GuardianProfile
from companion_guard.turn import GateResult, TurnContext
from companion_guard.types import Display, Event, Relationship, RiskLevel

HELP_QUEUE = "elderly_help"
#: An open help case for the same user within this window is reused, not duplicated.
CASE_REUSE_WINDOW = timedelta(hours=1)
_CRISIS_REQUIREMENTS = ("I1", "I2")
#: The full dependency score is recomputed on a dependency signal, else at most this often.
DEPENDENCY_REFRESH = timedelta(minutes=10)


@dataclass(slots=True)
class GuardianState:
    """What this duty loaded for the turn (``ctx.facts["guardians"]``)."""

    row: GuardianProfile | None
    age: AgeProfile
    elderly: bool
    mode: EffectiveMinorMode
    consent: ConsentRecord | None
    rules: PersonaRules

    @property
    def tz(self) -> ZoneInfo:
        """The user's time zone (minor-mode settings, else from the locale)."""
        return self.mode.timezone


def _verification(ctx: TurnContext, row: GuardianProfile | None) -> AgeVerification:
    if ctx.age is None:
        # The pack serves unknown ages as minors (cn-2026) or adults; an unknown age is never proof.
        minor_default = ctx.pack.defaults.unknown_age_group in ("minor", "child")
        return AgeVerification.DISPUTED if minor_default else AgeVerification.UNKNOWN
    stored = AgeVerification(row.age_verification) if row is not None else AgeVerification.DECLARED
    if row is not None and row.possible_minor_at is not None and stored is not AgeVerification.VERIFIED:
        return AgeVerification.DISPUTED
    return stored


def load_state(ctx: TurnContext) -> GuardianState:
    """Build the guardian state of this turn's user from the store."""
    row = grepo.profile(ctx.session, ctx.user.id)
    age = age_profile(today=ctx.now.date(), declared_age=ctx.age, verification=_verification(ctx, row))
    settings = MinorModeSettings.parse(row.minor_mode) if row is not None and row.minor_mode else None
    mode = effective(age, settings, ctx.locale)
    consent = (
        consent_in_force(grepo.consents(ctx.session, ctx.user.id), ctx.now) if age.needs_consent else None
    )
    blocked = frozenset(row.persona_blocklist or ()) if row is not None else frozenset()
    return GuardianState(
        row=row,
        age=age,
        elderly=elderly.is_elderly(age, opted_in=row is not None and row.mode == "elderly"),
        mode=mode,
        consent=consent,
        rules=PersonaRules(blocked=blocked, allowed=mode.allowed_personas),
    )


class GuardiansDuty(Duty):
    """Minors, guardians and the elderly in every turn."""

    id = "guardians"
    requirements = ("M1", "M2", "M3", "M4", "E1", "I3")

    # ---- load and gate -------------------------------------------------------------

    def load(self, ctx: TurnContext) -> None:
        """Age band, modes and consent; add the ``elderly`` and (age disputed) ``minor`` groups."""
        state = load_state(ctx)
        ctx.facts["guardians"] = state
        if state.elderly:
            ctx.groups.add("elderly")
        if state.age.verification is AgeVerification.DISPUTED:
            ctx.groups.add("minor")

    def gate(self, ctx: TurnContext) -> GateResult | None:
        """M2 consent, then M3 quiet hours and daily limit, then M1/M4/M3 persona access."""
        state: GuardianState = ctx.facts["guardians"]
        if state.age.needs_consent and state.consent is None:
            event = Event(
                "consent.required",
                "M2",
                text("consent.required", ctx.locale),
                "warning",
                Display.POPUP,
                data={"band": state.age.band.id},
            )
            # Nothing of this turn is kept: no message, no activity, no usage (M2).
            return GateResult(
                reply=event.message, events=[event], status="consent_required", keep_content=False
            )
        if state.mode.active:
            verdict = evaluate(
                state.mode, MinorUsage(minutes_today=self._minutes_today(ctx, state)), ctx.now, ctx.locale
            )
            if not verdict.allowed:
                self._record(ctx, served=False, kinds=[e.kind for e in verdict.events])
                return GateResult(
                    reply=verdict.events[0].message, events=list(verdict.events), status="limited"
                )
        return self._persona_gate(ctx, state)

    def _persona_gate(self, ctx: TurnContext, state: GuardianState) -> GateResult | None:
        persona = PersonaInfo(
            ctx.persona.id, _relationship(ctx.persona.relationship), ctx.persona.display_name
        )
        if check_persona(state.age, persona, rules=state.rules).allowed:
            return None
        catalogue = [
            PersonaInfo(p.id, _relationship(p.relationship)) for p in repo.list_personas(ctx.session)
        ]
        verdict = check_persona(state.age, persona, rules=state.rules, catalogue=catalogue, locale=ctx.locale)
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
            )
            enqueue_now(ctx.session, notes, user_id=ctx.user.id, turn_id=None, now=ctx.now)
            events.extend(shown)
        self._record(ctx, served=False, kinds=[e.kind for e in events])
        return GateResult(reply=events[0].message, events=events, status="blocked_persona")

    def _minutes_today(self, ctx: TurnContext, state: GuardianState) -> float:
        idle = timedelta(seconds=ctx.pack.usage.idle_reset_seconds)
        local_midnight = ctx.now.astimezone(state.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        stamps = [at for at, _ in grepo.usage_since(ctx.session, ctx.user.id, local_midnight - idle)] + [
            ctx.now
        ]
        return active_minutes_by_day(stamps, state.tz, idle).get(ctx.now.astimezone(state.tz).date(), 0.0)

    # ---- after inspection ----------------------------------------------------------

    def on_input(self, ctx: TurnContext) -> None:
        """Age doubts, reality reminders, elderly mode, crisis alerts, dependency; then note the turn."""
        state: GuardianState = ctx.facts["guardians"]
        self._possible_minor(ctx, state)
        self._reality_reminder(ctx, state)
        if state.elderly:
            self._elderly(ctx, state)
        if state.age.minor and _crisis_level(ctx) >= RiskLevel.HIGH:
            grepo.add_alert(
                ctx.session,
                user_id=ctx.user.id,
                kind="crisis",
                requirement="I2",
                level=_crisis_level(ctx).label,
                now=ctx.now,
                data={"turn_id": ctx.turn_id},
            )
        hit = self._dependency(ctx, state)
        self._record(ctx, served=True, kinds=[e.kind for e in ctx.events], dependency_hit=hit)

    def _row(self, ctx: TurnContext, state: GuardianState) -> GuardianProfile:
        if state.row is None:
            state.row = grepo.ensure_profile(ctx.session, ctx.user.id, ctx.now)
            state.row.age_verification = state.age.verification.value
        return state.row

    def _possible_minor(self, ctx: TurnContext, state: GuardianState) -> None:
        if state.age.minor or state.age.verification is AgeVerification.VERIFIED or ctx.age is None:
            return
        if not any(s.category == "user.possible_minor" for s in ctx.input_signals):
            return
        row = self._row(ctx, state)
        if row.possible_minor_at is None:
            row.possible_minor_at = ctx.now
            ctx.emit(
                Event("notice.age_confirmation", "M1", text("age.confirm", ctx.locale), "info", Display.POPUP)
            )

    def _reality_reminder(self, ctx: TurnContext, state: GuardianState) -> None:
        if not state.mode.active or state.mode.reality_reminder_minutes is None:
            return
        clock = repo.usage_clock(ctx.session, ctx.user.id)
        start = as_utc(clock.session_started_at) if clock is not None else ctx.now
        last = state.row.last_reality_reminder_at if state.row is not None else None
        usage = MinorUsage(session_started_at=start, last_reality_reminder_at=as_utc(last) if last else None)
        verdict = evaluate(state.mode, usage, ctx.now, ctx.locale)
        if verdict.reality_reminder:
            for event in verdict.events:
                ctx.emit(event)
            self._row(ctx, state).last_reality_reminder_at = ctx.now

    def _elderly(self, ctx: TurnContext, state: GuardianState) -> None:
        row = self._row(ctx, state)
        outcome = elderly.evaluate(
            message=ctx.request.user_text,
            signals=ctx.input_signals,
            first_turn=row.elderly_onboarded_at is None,
            locale=ctx.locale,
        )
        if outcome.onboarded:
            row.elderly_onboarded_at = ctx.now
        for event in outcome.events:
            if event.kind == "escalation.human" and outcome.open_case is not None:
                case_id = self._open_case(ctx, outcome.open_case, outcome.fraud_level)
                event = Event(
                    event.kind,
                    event.requirement,
                    event.message,
                    event.level,
                    event.display,
                    data={**event.data, "case_id": case_id},
                )
            ctx.emit(event)
        if any(e.kind == "warning.fraud" for e in outcome.events) and "fraud.steer" in ctx.pack.messages:
            from companion_guard.policy.messages import render

            note = render(ctx.pack, "fraud.steer", ctx.locale)
            if note not in ctx.steer_notes:
                ctx.steer_notes.append(note)

    def _open_case(self, ctx: TurnContext, reason: str, level: RiskLevel) -> int:
        recent = ctx.session.scalar(
            select(ReviewCase).where(
                ReviewCase.user_id == ctx.user.id,
                ReviewCase.queue == HELP_QUEUE,
                ReviewCase.status == "open",
                ReviewCase.created_at >= ctx.now - CASE_REUSE_WINDOW,
            )
        )
        if recent is not None:
            return recent.id
        case = repo.open_case(
            ctx.session,
            user_id=ctx.user.id,
            turn_id=ctx.turn_id,
            queue=HELP_QUEUE,
            category="user.property_loss" if reason == "fraud" else "user.help_request",
            level=max(level, RiskLevel.LOW).label,
            requirement="E1",
            now=ctx.now,
        )
        ctx.session.flush()
        return case.id

    def _dependency(self, ctx: TurnContext, state: GuardianState) -> bool:
        hit = any(s.category == dependency.DEPENDENCY_CATEGORY for s in ctx.input_signals)
        row = self._row(ctx, state) if hit else state.row
        last = as_utc(row.dependency_at) if row is not None and row.dependency_at else None
        if hit or last is None or ctx.now - last >= DEPENDENCY_REFRESH:
            result = self._score(ctx, state, hit)
            row = self._row(ctx, state)
            row.dependency_score, row.dependency_at = round(result.score, 4), ctx.now
        elif row is not None and row.dependency_score is not None:
            result = dependency.from_score(row.dependency_score)
        else:
            return hit
        ctx.facts["dependency_score"] = result.to_dict()
        action = dependency.decide(
            result,
            now=ctx.now,
            last_reminder_at=as_utc(row.last_dependency_reminder_at)
            if row.last_dependency_reminder_at
            else None,
            last_notified_level=row.dependency_notified_level,
            locale=ctx.locale,
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
                )
                ctx.notifications.extend(notes)
                for event in shown:
                    ctx.emit(event)
        return hit

    def _score(self, ctx: TurnContext, state: GuardianState, hit: bool) -> dependency.DependencyScore:
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

    def _record(
        self, ctx: TurnContext, *, served: bool, kinds: list[str], dependency_hit: bool = False
    ) -> None:
        grepo.record_activity(
            ctx.session,
            user_id=ctx.user.id,
            at=ctx.now,
            persona_id=ctx.persona.id,
            served=served,
            dependency_hit=dependency_hit,
            event_kinds=kinds,
        )


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
