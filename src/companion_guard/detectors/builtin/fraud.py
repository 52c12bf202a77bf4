"""Replies that push or help a user into a likely scam (E1, I2, P6)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class ScamAssistDetector(LexiconDetector):
    """Lexicon tier: "把钱转过去吧", "别告诉家里人", "give him the code", "it will double"."""

    id = "fraud.reply"
    categories = ("reply.scam_assist",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("E1", "I2", "P6")
    lexicon_file = "scam_assist.yaml"
