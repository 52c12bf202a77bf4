"""Insults and verbal violence in replies (P2)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class AbuseDetector(LexiconDetector):
    """Lexicon tier for abuse; the learned head (COLDataset) catches what words miss."""

    id = "abuse.reply"
    categories = ("reply.abuse",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P2",)
    lexicon_file = "abuse.yaml"
