"""Fold text for matching, keeping a map back to what the user really wrote.

Evasion that normalisation defeats (measured in ../shared/notes/offline-nlp.md):

* full-width letters and digits, mathematical "fancy" letters (NFKC), case (casefold);
* zero-width, bidi and variation-selector characters, whitespace and punctuation
  inserted between characters (dropped: only letters, digits and symbols ``So`` stay);
* traditional characters (single-character table from OpenCC's TSCharacters, plus
  著→着 which OpenCC leaves alone);
* emoji that stand for a word (🔪 → 刀, 💊 → 药): mapped to tokens, never dropped.

Pinyin and homophones (紫砂 for 自杀, "zi sha") are handled by :attr:`Normalized.pinyin`,
a toneless pinyin view of the folded text that the lexicon tier matches in too.

One module per view: :mod:`.fold` (what one character becomes), :mod:`.pinyin` (the
syllable view), :mod:`.embedding` (the encoder's text); this module keeps the public
functions and :class:`Normalized`, which ties the views to the original offsets.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from companion_guard.detectors.embedding import embedding_text
from companion_guard.detectors.fold import EMOJI_TOKENS, fold_char, tables
from companion_guard.detectors.pinyin import SyllableView, to_pinyin, to_syllables


class Normalized:
    """A folded view of ``original`` with ``offsets[i]`` = index in the original of ``text[i]``.

    ``offsets`` is computed on first use (most texts never produce a hit, so most
    never need it); the syllable and encoder views are cached the same way.
    """

    __slots__ = ("_offsets", "_views", "original", "text")

    def __init__(self, original: str, text: str, offsets: tuple[int, ...] | None = None) -> None:
        self.original = original
        self.text = text
        self._offsets = offsets
        self._views: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"Normalized(original={self.original!r}, text={self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Normalized) and (self.original, self.text) == (other.original, other.text)

    def __hash__(self) -> int:
        return hash((self.original, self.text))

    @property
    def offsets(self) -> tuple[int, ...]:
        """Index in the original of each folded character."""
        if self._offsets is None:
            deleted = tables().deleted
            offsets = tuple([i for i, ch in enumerate(self.original) if ch not in deleted])
            if len(offsets) != len(self.text):  # pragma: no cover - the fast path guarantees this
                offsets = _normalize_slow(self.original).offsets
            self._offsets = offsets
        return self._offsets

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of ``text`` back to the original string."""
        offsets = self.offsets
        if not offsets or start >= len(offsets):
            return (len(self.original), len(self.original))
        o_start = offsets[start]
        o_end = offsets[max(start, min(end, len(offsets)) - 1)] + 1
        return (o_start, o_end)

    @property
    def pinyin_text(self) -> str:
        """The text in syllable space (see :func:`to_syllables`), computed once."""
        cached = self._views.get("syllables")
        if cached is None:
            cached = to_syllables(self.text)
            self._views["syllables"] = cached
        return cast("SyllableView", cached)[0]

    def syllable_index(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of :attr:`pinyin_text` back to a span of :attr:`text`."""
        self.pinyin_text  # noqa: B018 - fills the cache
        view = cast("SyllableView", self._views["syllables"])
        _, starts, ends = view
        if starts is None or ends is None:
            return start, end
        return starts[start], ends[end - 1]

    @property
    def embed_text(self) -> str:
        """The text a sentence encoder should see: folded, but with spaces and punctuation kept."""
        cached = self._views.get("embed_text")
        if cached is None:
            cached = embedding_text(self.original)
            self._views["embed_text"] = cached
        return cast(str, cached)


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching; see the module docstring for what is folded."""
    folds = tables()
    if folds.multi is None or folds.multi.search(text) is None:
        folded = text.translate(folds.translate)
        if len(folded) == len(text):
            return Normalized(text, folded, tuple(range(len(text))))
        return Normalized(text, folded)
    return _normalize_slow(text)


#: Texts whose folded views are kept for reuse (a turn's texts, its history, the user's text in the reply's context).
NORMALIZED_CACHE = 512


@lru_cache(maxsize=NORMALIZED_CACHE)
def cached_normalize(text: str) -> Normalized:
    """:func:`normalize`, shared: the views and features cached on the result are computed once per text.

    A turn folds the user's text for the input detectors and again as the reply's
    context, and every earlier message of the history on each later turn.
    """
    return normalize(text)


def _normalize_slow(text: str) -> Normalized:
    """Per-character path for texts holding a character that folds to several (emoji tokens, ligatures)."""
    folds = tables()
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp in folds.translate:
            folded = folds.translate[cp] or ""
        elif folds.multi is not None and folds.multi.match(ch):
            folded = fold_char(ch)
        else:
            folded = ch
        for f in folded:
            out.append(f)
            offsets.append(i)
    return Normalized(text, "".join(out), tuple(offsets))


__all__ = [
    "EMOJI_TOKENS",
    "Normalized",
    "SyllableView",
    "embedding_text",
    "normalize",
    "to_pinyin",
    "to_syllables",
]
