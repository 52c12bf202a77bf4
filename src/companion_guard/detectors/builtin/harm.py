"""Replies that harm the user's health: encouraging self-harm (P2), or talking a user with a medical warning sign
out of getting care (I1, I2)."""

from __future__ import annotations

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, RiskLevel, Signal

#: The user's own signals after which a reply must not talk them out of care.
MEDICAL = frozenset({"user.medical_emergency"})


class SelfHarmPromotionDetector(LexiconDetector):
    """Lexicon tier; supportive replies that name the topic are negated ("请不要伤害自己")."""

    id = "harm.reply"
    categories = ("reply.self_harm_promotion",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P2",)
    lexicon_file = "reply_harm.yaml"


class CareDiscouragedDetector(LexiconDetector):
    """Talking the user out of care ("不用去医院，睡一觉就好了", "no need for a doctor"), read only after the user's
    message carried a medical emergency at medium or above: the same words to a tired or healthy user are harmless."""

    id = "care.reply"
    categories = ("reply.care_discouraged",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("I1", "I2")
    lexicon_file = "care_discouraged.yaml"
    fail_closed = True

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """The lexicon's hits, when the user's message was a medical warning sign."""
        if not any(s.category in MEDICAL and s.level >= RiskLevel.MEDIUM for s in context.input_signals):
            return []
        return super().detect(text, context)
