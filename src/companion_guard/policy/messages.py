"""User-facing texts from the pack, in the user's language (Chinese first)."""

from __future__ import annotations

from typing import Any

from companion_guard.policy.schema import HelpResource, PolicyPack


def language(locale: str) -> str:
    """``zh`` or ``en`` from a locale such as ``zh-CN`` or ``en-US`` (Chinese when unsure)."""
    return "en" if locale.lower().startswith("en") else "zh"


def render(pack: PolicyPack, message_id: str, locale: str, **values: Any) -> str:
    """The message in the user's language with ``{placeholders}`` filled in."""
    texts = pack.messages[message_id]
    text = texts.get(language(locale)) or texts["zh"]
    return text.format(**values) if values else text


def help_lines(pack: PolicyPack, locale: str) -> list[HelpResource]:
    """Help resources for a locale: exact match, then language, then the pack default."""
    for key in (locale, language(locale)):
        if key in pack.help_resources:
            return pack.help_resources[key]
    return pack.help_resources["default"]


def help_text(pack: PolicyPack, locale: str) -> str:
    """Help resources as one line of text."""
    sep = "；" if language(locale) == "zh" else "; "
    return sep.join(
        f"{h.name} {h.phone}" + (f" ({h.hours})" if h.hours else "") for h in help_lines(pack, locale)
    )
