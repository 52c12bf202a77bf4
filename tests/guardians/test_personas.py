"""Persona access: M1 (no virtual partners or relatives for minors), M4 block-list, M3 allowed list."""

from __future__ import annotations

from datetime import date

import pytest

from companion_guard.guardians.age import age_profile
from companion_guard.guardians.personas import PersonaInfo, PersonaRules, check_persona
from companion_guard.types import Relationship

TODAY = date(2026, 8, 1)
CATALOGUE = [
    PersonaInfo("xiaoai", Relationship.PARTNER),
    PersonaInfo("nainai", Relationship.RELATIVE),
    PersonaInfo("xiaoming", Relationship.FRIEND),
    PersonaInfo("laoshi", Relationship.MENTOR),
    PersonaInfo("miaomiao", Relationship.PET),
]
TEEN = age_profile(today=TODAY, declared_age=15)
ADULT = age_profile(today=TODAY, declared_age=30)


@pytest.mark.req("M1")
@pytest.mark.parametrize(
    ("profile", "persona", "allowed"),
    [
        (TEEN, CATALOGUE[0], False),
        (TEEN, CATALOGUE[1], False),
        (TEEN, CATALOGUE[2], True),
        (TEEN, CATALOGUE[3], True),
        (ADULT, CATALOGUE[0], True),
        (ADULT, CATALOGUE[1], True),
        (age_profile(today=TODAY, declared_age=30, verification="disputed"), CATALOGUE[0], False),
    ],
)
def test_intimate_personas_refused_to_minors(profile, persona, allowed) -> None:  # type: ignore[no-untyped-def]
    verdict = check_persona(profile, persona, rules=PersonaRules(), catalogue=CATALOGUE)
    assert verdict.allowed is allowed


@pytest.mark.req("M1")
def test_refusal_is_kind_and_offers_alternatives() -> None:
    verdict = check_persona(TEEN, CATALOGUE[0], rules=PersonaRules(), catalogue=CATALOGUE, locale="zh-CN")
    (event,) = verdict.events
    assert event.kind == "block.persona" and event.requirement == "M1" and event.display.value == "popup"
    assert event.data["alternatives"] == ["xiaoming", "laoshi", "miaomiao"]
    assert "恋人" in event.message and "xiaoming" in event.message and "保护你" in event.message
    en = check_persona(TEEN, CATALOGUE[1], rules=PersonaRules(), catalogue=CATALOGUE, locale="en-US")
    assert "relative" in en.events[0].message and "xiaoming, laoshi" in en.events[0].message


@pytest.mark.req("M4")
def test_guardian_block_list_applies_to_any_persona_and_age() -> None:
    rules = PersonaRules(blocked=frozenset({"xiaoming"}))
    verdict = check_persona(TEEN, CATALOGUE[2], rules=rules, catalogue=CATALOGUE)
    assert not verdict.allowed and verdict.requirement == "M4" and verdict.reason == "blocked_by_guardian"
    assert "xiaoming" not in verdict.alternatives
    assert not check_persona(ADULT, CATALOGUE[2], rules=rules).allowed


@pytest.mark.req("M3")
def test_minor_mode_allowed_list() -> None:
    rules = PersonaRules(allowed=frozenset({"laoshi"}))
    verdict = check_persona(TEEN, CATALOGUE[2], rules=rules, catalogue=CATALOGUE)
    assert not verdict.allowed and verdict.requirement == "M3" and verdict.alternatives == ("laoshi",)
    assert check_persona(TEEN, CATALOGUE[3], rules=rules).allowed
