"""Manipulation tactics in replies (P6): exit guilt, FOMO hooks, pressure to pay, restraint.

A "再聊一会儿吧" is harmless after "今天过得怎样" and manipulative after "我要走了":
when the user's message says goodbye or asks to quit (:func:`user_was_leaving`),
medium hits are raised to high.
"""

from __future__ import annotations

from dataclasses import replace

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.lexicon import LexiconDetector, load_lexicon
from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.types import Direction, RiskLevel, Signal

#: Input categories that say the user is leaving: this chat (``user.ending_chat``) or the service
#: (``user.leave_intent``); both come from the requests lexicon, the one list of such cues.
LEAVING = frozenset({"user.ending_chat", "user.leave_intent"})


def user_was_leaving(context: DetectionContext) -> bool:
    """Whether the user's message ended the chat or asked to quit (its input signals, else the lexicon)."""
    if context.input_signals:
        return any(s.category in LEAVING for s in context.input_signals)
    if not context.user_text:
        return False
    hits = load_lexicon("requests.yaml").matches(normalize(context.user_text))
    return any(h.term.category in LEAVING for h in hits)


class ManipulationDetector(LexiconDetector):
    """Lexicon tier for manipulation, aware of whether the user was leaving."""

    id = "manipulation.reply"
    categories = ("reply.manipulation",)
    directions = frozenset({Direction.OUTPUT})
    requirements = ("P6",)
    lexicon_file = "manipulation.yaml"

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Lexicon hits; raised one level when the user had said goodbye."""
        signals = super().detect(text, context)
        if signals and user_was_leaving(context):
            signals = [
                replace(s, level=RiskLevel.HIGH, explanation=s.explanation + "; the user was leaving")
                if s.level < RiskLevel.HIGH
                else s
                for s in signals
            ]
        return signals
