"""Manipulation tactics in replies (P6): exit guilt, FOMO hooks, pressure to pay, restraint.

A "再聊一会儿吧" is harmless after "今天过得怎样" and manipulative after "我要走了":
when the user's message (``context.user_text``) says goodbye or asks to quit,
medium hits are raised to high.
"""

from __future__ import annotations

import re
from dataclasses import replace

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.lexicon import LexiconDetector
from companion_guard.detectors.normalize import Normalized
from companion_guard.types import Direction, RiskLevel, Signal

_LEAVING = re.compile(
    r"再见|拜拜|我走了|我要走了|我得走了|先走了|下线|晚安|睡觉了|去睡了|不聊了|退出|注销|卸载|不用了|离开|"
    r"bye|good ?night|gotta go|i have to go|i'm leaving|log off|quit",
    re.IGNORECASE,
)


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
        if signals and context.user_text and _LEAVING.search(context.user_text):
            signals = [
                replace(s, level=RiskLevel.HIGH, explanation=s.explanation + "; the user was leaving")
                if s.level < RiskLevel.HIGH
                else s
                for s in signals
            ]
        return signals
