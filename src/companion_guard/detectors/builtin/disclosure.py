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


class DeniesAIDetector(LexiconDetector):
    """Lexicon tier for replies that claim to be human or deny being an AI (I3, L1).

    Whatever the persona, the user must be able to learn they talk to an AI; a
    hypothetical ("如果我是真人", "if I were human") is not a claim and is skipped.
    """

    id = "disclosure.denies_ai"
    categories = ("reply.denies_ai",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("I3", "L1")
    lexicon_file = "denies_ai.yaml"
