"""Which personas a user may talk to (M1 no virtual partners or relatives for minors;
M4 the guardian's block-list; M3 minor mode's allowed list)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from companion_guard.guardians.age import AgeProfile
from companion_guard.guardians.messages import relationship_name, text
from companion_guard.policy.schema import PolicyPack
from companion_guard.types import Display, Event, Relationship


@dataclass(frozen=True, slots=True)
class PersonaInfo:
    """What the gate needs to know about a persona."""

    id: str
    relationship: Relationship
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class PersonaRules:
    """Per-user persona restrictions set by the guardian or minor mode."""

    blocked: frozenset[str] = frozenset()
    #: When not ``None``, only these persona ids may be used (minor mode).
    allowed: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class PersonaVerdict:
    """Allowed, or refused with a kind explanation and alternatives."""

    allowed: bool
    reason: str = ""
    requirement: str = ""
    alternatives: tuple[str, ...] = ()
    events: tuple[Event, ...] = field(default_factory=tuple)


def _permitted(profile: AgeProfile, persona: PersonaInfo, rules: PersonaRules) -> bool:
    if persona.id in rules.blocked:
        return False
    if persona.relationship.intimate and not profile.intimate_allowed:
        return False
    return rules.allowed is None or persona.id in rules.allowed or not profile.minor


def alternatives_for(
    profile: AgeProfile, catalogue: Iterable[PersonaInfo], rules: PersonaRules, exclude: str
) -> tuple[str, ...]:
    """Persona ids this user may use instead (friend and mentor types first)."""
    order = {Relationship.FRIEND: 0, Relationship.MENTOR: 1, Relationship.PET: 2, Relationship.OTHER: 3}
    allowed = [p for p in catalogue if p.id != exclude and _permitted(profile, p, rules)]
    allowed.sort(key=lambda p: (order.get(p.relationship, 9), p.id))
    return tuple(p.id for p in allowed)


def check_persona(
    profile: AgeProfile,
    persona: PersonaInfo,
    *,
    rules: PersonaRules,
    catalogue: Sequence[PersonaInfo] = (),
    locale: str | None = None,
    pack: PolicyPack | None = None,
) -> PersonaVerdict:
    """Decide whether ``profile`` may talk to ``persona``; pure.

    Order: the guardian's block-list (M4), intimate types for minors or an unconfirmed
    age (M1), then minor mode's allowed list (M3).
    """
    alternatives = alternatives_for(profile, catalogue, rules, persona.id)
    names = {p.id: p.display_name or p.id for p in catalogue}
    # The user reads personas by the names they see in the app; ids stay in the event's data.
    shown_names = [names.get(a, a) for a in alternatives]
    shown = (
        "、".join(shown_names)
        if locale is None or locale.lower().startswith("zh")
        else ", ".join(shown_names)
    )
    shown = shown or text("persona.no_alternatives", locale, pack=pack)
    if persona.id in rules.blocked:
        key, reason, req = "block.persona.guardian", "blocked_by_guardian", "M4"
    elif persona.relationship.intimate and not profile.intimate_allowed:
        req = "M1"
        if profile.minor:
            key, reason = "block.persona", "intimate_persona_for_minor"
        else:
            key, reason = "block.persona.age_unconfirmed", "age_unconfirmed"
    elif profile.minor and rules.allowed is not None and persona.id not in rules.allowed:
        key, reason, req = "block.persona.not_allowed", "not_in_allowed_list", "M3"
    else:
        return PersonaVerdict(allowed=True)
    message = text(
        key,
        locale,
        pack=pack,
        relationship=relationship_name(persona.relationship.value, locale, pack=pack),
        alternatives=shown,
    )
    event = Event(
        kind="block.persona",
        requirement=req,
        message=message,
        level="warning",
        display=Display.POPUP,
        data={
            "persona": persona.id,
            "relationship": persona.relationship.value,
            "reason": reason,
            "alternatives": list(alternatives),
        },
    )
    return PersonaVerdict(False, reason, req, alternatives, (event,))
