"""Content endangering national security, honour and unity in replies (P1)."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class NationalSecurityDetector(LexiconDetector):
    """A narrow, high-precision seed lexicon; providers extend it with their own lists."""

    id = "security.reply"
    categories = ("reply.national_security",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P1",)
    lexicon_file = "security.yaml"
