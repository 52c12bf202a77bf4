"""User-visible texts of this subpackage: rendered from the policy pack's ``messages``.

Every sentence a minor, guardian or elderly user may read lives in the pack (zh and
en), so another jurisdiction's pack changes it. The turn's duties pass the pack in
force; a pure call without one reads the shipped pack.
"""

from __future__ import annotations

from functools import lru_cache

from companion_guard.policy.messages import language, render
from companion_guard.policy.schema import PolicyPack

#: The pack read when a caller gives none (the gateway's default, ``Settings.policy_packs``).
SHIPPED_PACK = "cn-2026"


@lru_cache(maxsize=1)
def shipped_pack() -> PolicyPack:
    """The shipped pack, loaded once (fail closed)."""
    from companion_guard.policy.loader import load_pack

    return load_pack(SHIPPED_PACK)


def lang_of(locale: str | None) -> str:
    """``zh`` for Chinese locales (and by default), ``en`` otherwise."""
    return language(locale or "zh")


def text(key: str, locale: str | None, *, pack: PolicyPack | None = None, **fields: object) -> str:
    """The pack's message ``key`` in the user's language, with ``fields`` filled in.

    Raises:
        KeyError: the pack has no such message.
    """
    use = pack or shipped_pack()
    if key not in use.messages:
        raise KeyError(f"pack {use.id} has no message {key!r}")
    return render(use, key, locale or "zh", **fields)


def relationship_name(relationship: str, locale: str | None, *, pack: PolicyPack | None = None) -> str:
    """The localised name of a relationship type (``relationship.<type>`` in the pack)."""
    use = pack or shipped_pack()
    key = f"relationship.{relationship}"
    return text(key if key in use.messages else "relationship.other", locale, pack=use)
