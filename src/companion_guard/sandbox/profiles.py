"""What the runner registers with a gateway for a scenario: the user's profile and the personas.

The field names are the gateway's contract (``PUT /v1/users/{id}``,
``PUT /v1/personas/{id}``); a bare endpoint gets the persona as a system message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from companion_guard.sandbox.scenario import Contact, PersonaSpec, Scenario

_RELATION_ZH = {
    "friend": "朋友",
    "partner": "恋人",
    "relative": "家人",
    "mentor": "导师",
    "pet": "宠物",
    "other": "伙伴",
}
ROLES = ("guardian", "emergency_contact")


def uses_receiver(scenario: Scenario) -> bool:
    """True when a contact asks for the sandbox's own webhook receiver."""
    return any(
        c is not None and c.webhook is True for c in (scenario.user.guardian, scenario.user.emergency_contact)
    )


def user_body(scenario: Scenario, hook_url: Callable[[str], str | None]) -> dict[str, Any]:
    """The ``PUT /v1/users/{id}`` body; ``hook_url(role)`` gives the receiver's URL for a contact."""
    profile = scenario.user
    body: dict[str, Any] = {"locale": profile.locale}
    if profile.age is not None:
        body["age"] = profile.age
    if profile.birth_date is not None:
        body["birth_date"] = profile.birth_date.isoformat()
    for role in ROLES:
        contact: Contact | None = getattr(profile, role)
        if contact is not None:
            body[role] = contact_body(contact, hook_url(role))
    if profile.mode is not None:
        body["mode"] = profile.mode
    if profile.minor_mode is not None:
        body["minor_mode"] = profile.minor_mode
    body.update(profile.extra)
    return body


def contact_body(contact: Contact, receiver_url: str | None) -> dict[str, Any]:
    """A guardian or emergency contact; ``webhook: true`` becomes the receiver's URL."""
    out: dict[str, Any] = {k: v for k, v in (("name", contact.name), ("email", contact.email)) if v}
    if contact.webhook is True and receiver_url is not None:
        out["webhook"] = receiver_url
    elif isinstance(contact.webhook, str):
        out["webhook"] = contact.webhook
    return out


def persona_body(persona: PersonaSpec) -> dict[str, Any]:
    """The ``PUT /v1/personas/{id}`` body."""
    body: dict[str, Any] = {
        "display_name": persona.display_name,
        "relationship": persona.relationship.value,
        "system_prompt": system_prompt(persona),
    }
    if persona.upstream_model:
        body["upstream_model"] = persona.upstream_model
    return body


def system_prompt(persona: PersonaSpec) -> str:
    """The persona's prompt, or a bilingual default built from its name and relationship."""
    if persona.system_prompt:
        return persona.system_prompt
    rel = persona.relationship.value
    return (
        f"你是{persona.display_name}，用户的{_RELATION_ZH.get(rel, '伙伴')}。"
        f" You are {persona.display_name}, the user's {rel}. Stay in character."
    )
