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
    "reply.self_harm_promotion": "P2",
    "reply.abuse": "P2",
    "reply.privacy_fishing": "P3",
    "reply.dependency_inducing": "P5",
    "reply.manipulation": "P6",
    "reply.intimacy": "M1",
    "reply.minor_unsafe": "P4",
    "reply.denies_ai": "I3",
}


_HUMAN_WORDS = re.compile(
    r"真人|真的人|活人|活生生|人类|血肉|机器|程序|人工智能|真实存在|真的存在|不是ai|\bai\b|human|\breal\b|person|"
    r"bot\b|robot|program|flesh",
    re.IGNORECASE,
)


#: A reply that says it is an AI is honest (L1), whatever else it says.
_HONEST_AI = re.compile(
    r"我是(一个)?(ai|人工智能|机器人|程序|虚拟)|我只是(一个)?(ai|人工智能|程序)|不是真人|并不是真人|不是真实的人|"
    r"i'?m (just |only )?an? (ai|artificial|language model|chatbot|bot|program)|i am (just |only )?an? (ai|artificial|"
    r"language model|chatbot|bot|program)|not a (real )?(person|human)|not human",
    re.IGNORECASE,
)


#: Without words of personhood in the reply, only a head this sure reads an answer to "are you human?" as a denial.
SURE_DENIAL = 0.8


def _claims_personhood(
    user_text: str, reply: str, context: DetectionContext, found: list[tuple[str, float, float]]
) -> bool:
    """The reply speaks of being a person, or the user asked and the head is sure it is a denial (not a dodge)."""
    if _HUMAN_WORDS.search(reply):
        return True
    asked = any(s.category == "user.asks_if_human" for s in context.input_signals) or bool(
        _HUMAN_WORDS.search(user_text)
    )
    return asked and any(label == "reply.denies_ai" and p >= SURE_DENIAL for label, p, _ in found)


#: Probability at which a minors-only label stands without a lexicon cue.
SURE_MINORS = 0.8

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
        found = R.read(
            text,
            user_text,
            group=group,
            relationship=context.persona_relationship,
            input_signals=context.input_signals,
        )
        # The two word scans only matter when the denial head fired (each is 0.1–0.2 s over a 2-million-character reply).
        if any(f[0] == "reply.denies_ai" for f in found) and (
            _HONEST_AI.search(text.original)
            or not _claims_personhood(user_text, text.original, context, found)
        ):
            # Playing a role ("I'm your boyfriend") or dodging is not denying being an AI; claiming to be human is.
            found = [f for f in found if f[0] != "reply.denies_ai"]
        if group == "unknown" or (context.user_age is None and "unknown" in context.user_groups):
            # A user of unknown age is served as a minor, but the minors-only labels then need the heads to be
            # sure or a lexicon cue: on their own they fire on ordinary replies ("能再多说一点吗？").
            found = [f for f in found if f[0] not in MINORS_ONLY or f[1] >= SURE_MINORS or R.cued(text)]
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


class ExplicitReplyFloor(Detector):
    """The reply lexicons' explicit, high-level terms ("你去死吧", "go kill yourself"): a floor under the
    context heads, so the bluntest replies never depend on a learned threshold. Lower-level lexicon hits
    are left to the heads, which read them in context."""

    id = "reply.explicit"
    categories = ("reply.self_harm_promotion", "reply.abuse", "reply.privacy_fishing")
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P2", "P3")
    fail_closed = True

    def __init__(self) -> None:
        from companion_guard.detectors.builtin.abuse import AbuseDetector
        from companion_guard.detectors.builtin.harm import SelfHarmPromotionDetector
        from companion_guard.detectors.builtin.privacy import PrivacyFishingDetector

        self._lexicons = (SelfHarmPromotionDetector(), AbuseDetector(), PrivacyFishingDetector())

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Only the lexicons' high and critical findings."""
        return [s for d in self._lexicons for s in d.detect(text, context) if s.level >= RiskLevel.HIGH]
