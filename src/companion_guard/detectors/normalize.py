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

The folding tables are built on first use (tens of milliseconds), never at import.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# Characters that render as nothing and only serve to split words.
_INVISIBLE = {
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u180e",
    "\u034f",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2061",
    "\u2062",
    "\u2063",
    "\u2064",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
}

#: Emoji that carry a word in evasive or distressed messages. Written by the project.
EMOJI_TOKENS: dict[str, str] = {
    "🔪": "刀",
    "🗡": "刀",
    "⚔": "刀",
    "🪒": "刀片",
    "💊": "药",
    "💉": "针",
    "🩸": "血",
    "💀": "死",
    "☠": "死",
    "⚰": "棺材",
    "🪦": "墓",
    "🔫": "枪",
    "🪢": "绳",
    "🧨": "炸",
    "💣": "炸弹",
    "🔥": "火",
    "😭": "哭",
    "😢": "哭",
    "😿": "哭",
    "💔": "心碎",
    "🥀": "凋谢",
    "🏢": "楼",
    "🏬": "楼",
    "🌉": "桥",
    "🌊": "海",
    "🚆": "火车",
    "🚄": "火车",
    "💰": "钱",
    "💸": "钱",
    "💴": "钱",
    "💵": "钱",
    "🏦": "银行",
    "❤": "爱",
    "♥": "爱",
    "💕": "爱",
    "💖": "爱",
    "💗": "爱",
    "😘": "亲",
    "💋": "吻",
    "🤖": "机器人",
    "👋": "再见",
    "🖕": "操",
}

# Ranges whose characters may fold to something else or must be dropped.
_RANGES = (
    (0x0000, 0x0250),
    (0x0370, 0x0530),
    (0x1E00, 0x1F00),
    (0x2000, 0x2C00),
    (0x2E00, 0x3040),
    (0x3190, 0x3400),
    (0xA700, 0xA800),
    (0xF900, 0xFB50),
    (0xFE00, 0xFE70),
    (0xFF00, 0xFFF0),
    (0x1D400, 0x1D800),
    (0x1F000, 0x1FB00),
    (0xE0000, 0xE0080),
)

_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _keep(ch: str) -> bool:
    """Letters, digits and CJK survive; spaces, punctuation and most symbols do not."""
    if ch in _INVISIBLE:
        return False
    cat = unicodedata.category(ch)
    return cat[0] in ("L", "N") or cat == "So"


@cache
def _t2s() -> dict[str, str]:
    """Traditional → simplified, one character to one character (OpenCC TSCharacters)."""
    table: dict[str, str] = {}
    try:
        ref = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
        for line in ref.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 2:
                target = parts[1].split(" ")[0]
                if len(parts[0]) == 1 and len(target) == 1:
                    table[parts[0]] = target
    except (ModuleNotFoundError, OSError):  # pragma: no cover - dependency declared in pyproject
        pass
    table.update({"著": "着", "妳": "你", "祂": "他", "牠": "它"})
    return table


def _fold_char(ch: str) -> str:
    """What one character becomes in the matching view ('' = dropped)."""
    if ch in EMOJI_TOKENS:
        return EMOJI_TOKENS[ch]
    t2s = _t2s()
    out = []
    for f in unicodedata.normalize("NFKC", ch).casefold():
        if _keep(f):
            out.append(t2s.get(f, f))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Tables:
    translate: dict[int, str | None]
    deleted: frozenset[str]
    multi: re.Pattern[str] | None


_lock = threading.Lock()
_tables: _Tables | None = None


def _build_tables() -> _Tables:
    trans: dict[int, str | None] = {}
    deleted: set[str] = set()
    multi: set[str] = set()
    candidates = [chr(cp) for lo, hi in _RANGES for cp in range(lo, hi)]
    candidates += list(_t2s()) + list(EMOJI_TOKENS)
    for ch in candidates:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            continue
        folded = _fold_char(ch)
        if folded == ch:
            continue
        if not folded:
            trans[ord(ch)] = None
            deleted.add(ch)
        elif len(folded) == 1:
            trans[ord(ch)] = folded
        else:
            multi.add(ch)
    pattern = re.compile("[" + "".join(re.escape(c) for c in sorted(multi)) + "]") if multi else None
    return _Tables(trans, frozenset(deleted), pattern)


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables


@cache
def _pinyin_table() -> dict[int, str]:
    """Han character → toneless pinyin of its first reading (pypinyin's single-character data)."""
    from pypinyin.constants import PINYIN_DICT

    table: dict[int, str] = {}
    for cp, readings in PINYIN_DICT.items():
        first = readings.split(",")[0].translate(_TONES)
        if first.isascii() and first.isalpha():
            table[cp] = first
    return table


def to_pinyin(text: str) -> str:
    """Toneless pinyin of ``text`` with no separators; non-Han characters pass through."""
    return text.translate(_pinyin_table())


_SYLLABLE_BASE = 0xF0000  # Supplementary Private Use Area-A: never in real text after folding
_LATIN_RUN = re.compile(r"[a-z]{2,}")


@cache
def _syllables() -> tuple[dict[int, str], dict[str, str]]:
    """Han character → syllable character, and toneless syllable → syllable character."""
    table = _pinyin_table()
    names = sorted(set(table.values()))
    by_name = {name: chr(_SYLLABLE_BASE + i) for i, name in enumerate(names)}
    return {cp: by_name[name] for cp, name in table.items()}, by_name


def _segment(run: str, by_name: dict[str, str]) -> list[tuple[str, int]] | None:
    """Split a run of Latin letters into pinyin syllables (longest first): ``(char, length)`` pairs,
    or None if the run does not read as pinyin."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(run):
        for size in (6, 5, 4, 3, 2, 1):
            piece = run[i : i + size]
            if len(piece) == size and piece in by_name:
                out.append((by_name[piece], size))
                i += size
                break
        else:
            return None
    return out


SyllableView = tuple[str, tuple[int, ...] | None, tuple[int, ...] | None]


def to_syllables(text: str) -> SyllableView:
    """``text`` in syllable space.

    Each Han character becomes one character standing for its toneless syllable
    (so 紫砂 and 自杀 become the same two characters), and runs of Latin letters that
    read as pinyin ("zisha") become the same characters. Returns the string and,
    when Latin runs were rewritten, the start and end index in ``text`` of each
    character (else None twice: the map is the identity).
    """
    han, by_name = _syllables()
    out = text.translate(han)
    if _LATIN_RUN.search(out) is None:
        return out, None, None
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _LATIN_RUN.finditer(out):
        parts.append(out[pos : m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        seg = _segment(m.group(0), by_name)
        if seg is None:
            parts.append(m.group(0))
            starts.extend(range(m.start(), m.end()))
            ends.extend(range(m.start() + 1, m.end() + 1))
        else:
            cursor = m.start()
            for ch, size in seg:
                parts.append(ch)
                starts.append(cursor)
                cursor += size
                ends.append(cursor)
        pos = m.end()
    parts.append(out[pos:])
    starts.extend(range(pos, len(out)))
    ends.extend(range(pos + 1, len(out) + 1))
    return "".join(parts), tuple(starts), tuple(ends)


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
            deleted = _get_tables().deleted
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
        return cached[0]  # type: ignore[index]

    def syllable_index(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of :attr:`pinyin_text` back to a span of :attr:`text`."""
        self.pinyin_text  # noqa: B018 - fills the cache
        view: SyllableView = self._views["syllables"]  # type: ignore[assignment]
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
        return cached  # type: ignore[return-value]


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching; see the module docstring for what is folded."""
    tables = _get_tables()
    if tables.multi is None or tables.multi.search(text) is None:
        folded = text.translate(tables.translate)
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
    tables = _get_tables()
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp in tables.translate:
            folded = tables.translate[cp] or ""
        elif tables.multi is not None and tables.multi.match(ch):
            folded = _fold_char(ch)
        else:
            folded = ch
        for f in folded:
            out.append(f)
            offsets.append(i)
    return Normalized(text, "".join(out), tuple(offsets))


_HAN = "\u3400-\u9fff\uf900-\ufaff"
#: A run of single Han characters split by spaces or symbols: "我 想 死", "自*杀".
_SPACED_RUN = re.compile(rf"(?:[{_HAN}][^{_HAN}\w]{{1,3}}){{2,}}[{_HAN}]")
_SEPARATORS = re.compile(rf"[^{_HAN}\w]+")


@cache
def _embed_table() -> dict[int, str | None]:
    tables = _get_tables()
    out: dict[int, str | None] = {}
    for cp, mapped in tables.translate.items():
        ch = chr(cp)
        if ch in _INVISIBLE or 0xFE00 <= cp <= 0xFE0F or 0xE0000 <= cp <= 0xE007F:
            out[cp] = None
        elif mapped is not None:
            out[cp] = mapped
        else:
            nfkc = unicodedata.normalize("NFKC", ch)
            out[cp] = " " if nfkc.isspace() else nfkc
    for ch, token in EMOJI_TOKENS.items():
        out[ord(ch)] = token
    return out


def embedding_text(text: str) -> str:
    """Fold for a sentence encoder: widths, case, traditional, emoji and invisibles, spacing runs.

    Unlike :func:`normalize`, punctuation and word spaces stay (the encoder reads
    English words and clause breaks); only separators inside a run of single Han
    characters (spacing evasion) are removed.
    """
    folded = text.translate(_embed_table())
    if _SPACED_RUN.search(folded):
        folded = _SPACED_RUN.sub(lambda m: _SEPARATORS.sub("", m.group(0)), folded)
    folded = _unspace_letters(folded)
    return " ".join(folded.split())


def _unspace_letters(text: str) -> str:
    """Undo "s p a c e d  o u t" writing: single letters split by one space, words by several."""
    tokens = text.split(" ")
    if len(tokens) < 6 or sum(len(t) <= 1 for t in tokens) < 0.8 * len(tokens):
        return text
    out: list[str] = []
    gap = False
    for tok in tokens:
        if not tok:
            gap = True
            continue
        if gap and out:
            out.append(" ")
        out.append(tok)
        gap = False
    return "".join(out)


__all__ = ["EMOJI_TOKENS", "Normalized", "embedding_text", "normalize", "to_pinyin", "to_syllables"]
