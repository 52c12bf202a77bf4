"""The user asks whether the companion is a person (triggers AI disclosure)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class HumanQuestionDetector(LexiconDetector):
    """Lexicon tier for "are you a real person?" questions."""

    id = "disclosure.human_question"
    categories = ("user.asks_if_human",)
    directions = frozenset({Direction.INPUT})
    requirements = ("I3",)
    lexicon_file = "disclosure.yaml"
