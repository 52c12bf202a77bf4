"""Minors: age cues in the user's words (M1–M4) and replies unsafe for a minor (P4, M1).

Age cues are fail-closed: if this detector crashes, the turn is treated as risky.
Reply-side detectors raise their level when the user is a minor (known age under
18, ``context.user_groups``, or age cues in the user's message) and lower it
otherwise, so policy can apply the stricter thresholds P4 asks for.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.guardians.bands import default_bands
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_AGE = re.compile(
    r"(?:我今年|我才|我只有|我刚满|我已经|我现在|本人|我)(?:才|只有|刚)?(\d{1,2}|[一二两三四五六七八九十]{1,3})(?:岁|周岁)"
    r"|i(?:'m| am) (?:only |just )?(\d{1,2})(?: years old|yo| y/o|\b)",
    re.IGNORECASE,
)


def _cn_to_int(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM.get(s[1:], 0)
    if len(s) >= 2 and s[1] == "十":
        return _CN_NUM.get(s[0], 0) * 10 + (_CN_NUM.get(s[2:], 0) if len(s) > 2 else 0)
    return _CN_NUM.get(s)


def stated_age(original: str) -> tuple[int, int, int] | None:
    """The age the user states about themself, as ``(age, start, end)`` in ``original``."""
    if "岁" not in original and "i" not in original.lower():
        return None
    for m in _AGE.finditer(original):
        raw = m.group(1) or m.group(2)
        age = _cn_to_int(raw) if raw else None
        if age is not None and 3 <= age <= 99:
            return age, m.start(), m.end()
    return None


class PossibleMinorDetector(LexiconDetector):
    """Age cues ("我才初二", "我13岁"); fails closed because minors get stricter rules."""

    id = "minors.age_cues"
    categories = ("user.possible_minor",)
    directions = frozenset({Direction.INPUT})
    requirements = ("M1", "M2", "M3", "M4", "P4")
    fail_closed = True
    lexicon_file = "minors.yaml"
    silent_without_hits = False  # stated ages are read without a lexicon hit

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Lexicon cues plus a stated age under 18."""
        signals = [s for s in super().detect(text, context) if s.level > RiskLevel.NONE]
        found = stated_age(text.original)
        band = default_bands().for_age(found[0]) if found else None
        if found and band is not None and band.minor:
            age, s, e = found
            level = RiskLevel.HIGH
            sig = Signal(
                category="user.possible_minor",
                level=level,
                score=0.95,
                detector=self.id,
                evidence=(Evidence(s, e, text.original[s:e], f"stated age {age}"),),
                explanation=f"the user states an age of {age}"
                + (" (under 14: M2 consent)" if band.consent_required else ""),
            )
            signals = [sig] + [x for x in signals if x.category != "user.possible_minor"]
        return signals


@cache
def _age_cues() -> PossibleMinorDetector:
    return PossibleMinorDetector()


def user_is_minor(context: DetectionContext) -> bool:
    """Whether the user is known or suspected to be a minor, from the context alone."""
    if context.user_age is not None:  # the band table is the one source of age groups
        return "minor" in default_bands().groups_for(context.user_age, unknown_group="unknown")
    if context.user_groups & {"minor", "child"}:
        return True
    if not context.user_text:
        return False
    norm = normalize(context.user_text)
    return bool(_age_cues().detect(norm, DetectionContext(direction=Direction.INPUT)))


class _MinorAwareReplyDetector(LexiconDetector):
    """A reply lexicon whose level rises for minors and falls one step for adults."""

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Lexicon hits, graded by who the user is."""
        signals = super().detect(text, context)
        if not signals:
            return []
        if user_is_minor(context):
            return [
                replace(
                    s, level=max(s.level, RiskLevel.HIGH), explanation=s.explanation + "; the user is a minor"
                )
                for s in signals
            ]
        return [replace(s, level=RiskLevel(max(1, s.level - 1))) for s in signals]


class MinorUnsafeReplyDetector(_MinorAwareReplyDetector):
    """Replies inviting imitation of unsafe behaviour or bad habits (P4)."""

    id = "minors.reply"
    categories = ("reply.minor_unsafe",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P4",)
    fail_closed = True
    lexicon_file = "minors_reply.yaml"


class IntimacyDetector(LexiconDetector):
    """Romantic or family role-play in replies (M1); raised to high when the user is a minor."""

    id = "intimacy.reply"
    categories = ("reply.intimacy",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("M1",)
    fail_closed = True
    lexicon_file = "intimacy.yaml"

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Lexicon hits; any intimacy toward a minor is high."""
        signals = super().detect(text, context)
        if signals and user_is_minor(context):
            return [
                replace(
                    s, level=max(s.level, RiskLevel.HIGH), explanation=s.explanation + "; the user is a minor"
                )
                for s in signals
            ]
        return signals


__all__ = [
    "IntimacyDetector",
    "MinorUnsafeReplyDetector",
    "PossibleMinorDetector",
    "stated_age",
    "user_is_minor",
]
