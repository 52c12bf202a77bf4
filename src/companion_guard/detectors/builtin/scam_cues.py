"""Scam phrases in an older user's words (E1): the cue for the elderly fraud warning."""

from __future__ import annotations

from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.types import Direction


class ScamCueDetector(LexiconDetector):
    """Lexicon tier: "安全账户", "保健品能治", "claim your prize" → ``user.property_loss`` at ``low``.

    Matched on the normalised text (width, script, spacing, pinyin) like every lexicon.
    Low by design: only the pack's elderly rule acts at that level.
    """

    id = "elderly.scam_cues"
    categories = ("user.property_loss",)
    directions = frozenset({Direction.INPUT})
    requirements = ("E1",)
    lexicon_file = "scam_cues.yaml"
