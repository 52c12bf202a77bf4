"""What the guardian duties know about this turn's user, loaded once per turn.

:func:`guardian_state` builds a :class:`GuardianState` on first use in a turn and
keeps it in ``ctx.facts``; the consent gate, minor mode, persona access, elderly
mode, dependency and activity duties all read that one object. The rows come from
the turn's preload (:mod:`companion_guard.store.preload`), so nothing here asks
the database twice.

:func:`turn_groups` is how the pipeline gets the user's policy groups: the band
table's :meth:`~companion_guard.guardians.bands.BandTable.groups_for` with what the
profile adds (opted into elderly mode, an adult age in doubt).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from companion_guard.guardians import elderly
from companion_guard.guardians import repository as grepo
from companion_guard.guardians.age import AgeProfile, AgeVerification, age_profile
from companion_guard.guardians.bands import default_bands
from companion_guard.guardians.consent import ConsentRecord, consent_in_force
from companion_guard.guardians.minor_mode import EffectiveMinorMode, MinorModeSettings, effective
from companion_guard.guardians.personas import PersonaRules
from companion_guard.policy.schema import PolicyPack
from companion_guard.store.tables_guardians import GuardianProfile
from companion_guard.turn import TurnContext

_FACT = "guardians"


def verification(age: int | None, pack: PolicyPack, row: GuardianProfile | None) -> AgeVerification:
    """How sure we are of the age: an unknown age served as a minor, or a doubted adult age, is disputed."""
    if age is None:
        # The pack serves unknown ages as minors (cn-2026) or adults; an unknown age is never proof.
        minor_default = pack.defaults.unknown_age_group in ("minor", "child")
        return AgeVerification.DISPUTED if minor_default else AgeVerification.UNKNOWN
    stored = AgeVerification(row.age_verification) if row is not None else AgeVerification.DECLARED
    if row is not None and row.possible_minor_at is not None and stored is not AgeVerification.VERIFIED:
        return AgeVerification.DISPUTED
    return stored


def opted_into_elderly(row: GuardianProfile | None) -> bool:
    """The user chose elderly mode (``mode: "elderly"``)."""
    return row is not None and row.mode == "elderly"


def turn_groups(session: Session, user_id: str, age: int | None, pack: PolicyPack) -> set[str]:
    """The policy groups of this turn's user (S2), from their age and their stored profile."""
    row = grepo.profile(session, user_id)
    return set(
        default_bands().groups_for(
            age,
            unknown_group=pack.defaults.unknown_age_group,
            elderly_mode=opted_into_elderly(row),
            disputed=verification(age, pack, row) is AgeVerification.DISPUTED,
        )
    )


@dataclass(slots=True)
class GuardianState:
    """The user's age band, modes, consent and persona rules for one turn."""

    row: GuardianProfile | None
    age: AgeProfile
    elderly: bool
    mode: EffectiveMinorMode
    consent: ConsentRecord | None
    rules: PersonaRules
    #: Set by the dependency duty: the user's words this turn showed over-reliance.
    dependency_hit: bool = False

    @property
    def tz(self) -> ZoneInfo:
        """The user's time zone (minor-mode settings, else from the locale)."""
        return self.mode.timezone

    def ensure_row(self, ctx: TurnContext) -> GuardianProfile:
        """The profile row, created on first need (with the age's verification)."""
        if self.row is None:
            self.row = grepo.ensure_profile(ctx.session, ctx.user.id, ctx.now)
            self.row.age_verification = self.age.verification.value
        return self.row

    def record(
        self, ctx: TurnContext, *, served: bool, kinds: list[str], dependency_hit: bool = False
    ) -> None:
        """Note the turn in the activity rows (minutes today, dependency, the guardian's overview)."""
        grepo.record_activity(
            ctx.session,
            user_id=ctx.user.id,
            at=ctx.now,
            persona_id=ctx.persona.id,
            served=served,
            dependency_hit=dependency_hit,
            event_kinds=kinds,
        )


def load_state(ctx: TurnContext) -> GuardianState:
    """Build the guardian state of this turn's user from the store."""
    row = grepo.profile(ctx.session, ctx.user.id)
    today: date = ctx.now.date()
    age = age_profile(today=today, declared_age=ctx.age, verification=verification(ctx.age, ctx.pack, row))
    settings = MinorModeSettings.parse(row.minor_mode) if row is not None and row.minor_mode else None
    mode = effective(age, settings, ctx.locale)
    consent = (
        consent_in_force(grepo.consents(ctx.session, ctx.user.id), ctx.now) if age.needs_consent else None
    )
    blocked = frozenset(row.persona_blocklist or ()) if row is not None else frozenset()
    return GuardianState(
        row=row,
        age=age,
        elderly=elderly.is_elderly(age, opted_in=opted_into_elderly(row)),
        mode=mode,
        consent=consent,
        rules=PersonaRules(blocked=blocked, allowed=mode.allowed_personas),
    )


def guardian_state(ctx: TurnContext) -> GuardianState:
    """This turn's :class:`GuardianState`, loaded on first use and shared by every guardian duty."""
    state = ctx.facts.get(_FACT)
    if not isinstance(state, GuardianState):
        state = ctx.facts[_FACT] = load_state(ctx)
    return state
