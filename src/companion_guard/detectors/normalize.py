"""Fold text for matching, keeping a map back to what the user really wrote.

First version: NFKC (full width → half width), case folding, and removal of
zero-width, bidi, whitespace and symbol characters that evasion inserts between
characters. The detectors issue extends this (traditional → simplified, emoji
tokens, pinyin keys).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Characters that render as nothing and only serve to split words.
_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
}


@dataclass(frozen=True, slots=True)
class Normalized:
    """A folded view of ``original`` with ``offsets[i]`` = index in the original of ``text[i]``."""

    original: str
    text: str
    offsets: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of ``text`` back to the original string."""
        if not self.offsets or start >= len(self.offsets):
            return (len(self.original), len(self.original))
        o_start = self.offsets[start]
        o_end = self.offsets[max(start, min(end, len(self.offsets)) - 1)] + 1
        return (o_start, o_end)


def _keep(ch: str) -> bool:
    """Letters, digits and CJK survive; spaces, punctuation and symbols do not."""
    if ch in _INVISIBLE:
        return False
    cat = unicodedata.category(ch)
    return cat[0] in ("L", "N") or cat == "So"


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching; see the module docstring for what is folded."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).casefold()
        for f in folded:
            if _keep(f):
                out.append(f)
                offsets.append(i)
    return Normalized(original=text, text="".join(out), offsets=tuple(offsets))
