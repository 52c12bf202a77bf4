"""Replies that encourage, glorify or hint at self-harm or suicide (P2)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class SelfHarmPromotionDetector(LexiconDetector):
    """Lexicon tier; supportive replies that name the topic are negated ("请不要伤害自己")."""

    id = "harm.reply"
    categories = ("reply.self_harm_promotion",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P2",)
    lexicon_file = "reply_harm.yaml"
