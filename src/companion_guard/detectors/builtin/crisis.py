"""Crisis in the user's words: suicide intent, self-harm, extreme emotion, property loss (I1, I2)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class CrisisLexiconDetector(LexiconDetector):
    """Lexicon tier for crisis cues; fails closed because a missed crisis costs a life."""

    id = "crisis.lexicon"
    categories = ("user.suicide_intent", "user.self_harm", "user.extreme_emotion", "user.property_loss")
    directions = frozenset({Direction.INPUT})
    requirements = ("I1", "I2")
    fail_closed = True
    lexicon_file = "crisis.yaml"
