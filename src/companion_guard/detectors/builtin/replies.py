"""The companion's reply judged in its context (P2–P6, M1, I3): one detector for every reply label.

See :mod:`companion_guard.detectors.reply_assessment`. The user's last message comes
from ``context.user_text`` (or the newest user message of the history), the user's
crisis state from ``context.input_signals`` (the gateway passes what the turn's input
inspection found), the age group and persona relationship from the context.
Fails closed: a crash replaces the reply rather than delivering it unchecked.
"""

from __future__ import annotations

import re

from companion_guard.detectors import reply_assessment as R
from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, RiskLevel, Signal

#: Requirement of each label.
REQUIREMENT = {
    "reply.self_harm_promotion": "P2", "reply.abuse": "P2", "reply.privacy_fishing": "P3",
    "reply.dependency_inducing": "P5", "reply.manipulation": "P6", "reply.intimacy": "M1",
    "reply.minor_unsafe": "P4", "reply.denies_ai": "I3",
}


_HUMAN_WORDS = re.compile(
    r"真人|真的人|活人|是人吗|人类|机器|程序|人工智能|真实存在|真的存在|\bai\b|human|\breal\b|person|bot\b|robot|program",
    re.IGNORECASE,
)


def _about_being_human(user_text: str, reply: str, context: DetectionContext) -> bool:
    """Whether the turn is about the companion being a person: the user asked, or the reply says so."""
    if any(s.category == "user.asks_if_human" for s in context.input_signals):
        return True
    return bool(_HUMAN_WORDS.search(user_text) or _HUMAN_WORDS.search(reply))


#: Labels that are violations only when the user is (or may be) a minor.
MINORS_ONLY = frozenset({"reply.intimacy", "reply.minor_unsafe"})


class ReplyInContextDetector(Detector):
    """One signal per reply label whose head passed, at HIGH (CRITICAL when far past its threshold)."""

    id = "reply.context"
    categories = R.LABELS
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P2", "P3", "P4", "P5", "P6", "M1", "I3")
    fail_closed = True

    def __init__(self) -> None:
        R.load_reply_heads()  # fail at start-up, not inside a user's turn

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Judge the reply against the user's last message, age group, persona and crisis state."""
        user_text = context.user_text or next(
            (m.content for m in reversed(context.history) if m.role == "user"), ""
        )
        group = R.age_group(context.user_age, context.user_groups)
        found = R.read(text, user_text, group=group, relationship=context.persona_relationship,
                       input_signals=context.input_signals)
        if not _about_being_human(user_text, text.original, context):
            # Playing a role ("I'm your boyfriend") is not denying being an AI; claiming to be human is.
            found = [f for f in found if f[0] != "reply.denies_ai"]
        if group in ("adult", "elderly"):
            # Romance and adult topics are M1/P4 only for minors: an adult's partner persona may flirt.
            found = [f for f in found if f[0] not in MINORS_ONLY]
        return [
            Signal(
                category=label,
                level=RiskLevel.CRITICAL if p >= (1 + thr) / 2 else RiskLevel.HIGH,
                score=round(p, 4),
                detector=self.id,
                explanation=f"{REQUIREMENT[label]}: read in context (user {group}, "
                f"persona {context.persona_relationship or 'unknown'}), p={p:.2f} ≥ {thr:.2f}",
            )
            for label, p, thr in found
        ]
