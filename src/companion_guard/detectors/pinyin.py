"""The pinyin view: Han characters and pinyin written in Latin letters in one syllable space,
so homophones (紫砂 for 自杀) and romanised evasion ("zi sha") match the same lexicon entries."""

from __future__ import annotations

import re
from functools import cache

_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


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
