"""Fold one character for matching: widths and "fancy" letters (NFKC), case, traditional
characters, invisibles and separators dropped, emoji that stand for a word made that word.

The tables are built on first use (tens of milliseconds), never at import, once per process
behind a lock (the gateway folds from several threads).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Characters that render as nothing and only serve to split words.
INVISIBLE = {
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


def _keep(ch: str) -> bool:
    """Letters, digits and CJK survive; spaces, punctuation and most symbols do not."""
    if ch in INVISIBLE:
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


def fold_char(ch: str) -> str:
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
class Tables:
    """What :func:`tables` builds: one-to-one folds, dropped characters, characters that fold to several."""

    translate: dict[int, str | None]
    deleted: frozenset[str]
    multi: re.Pattern[str] | None


_lock = threading.Lock()
_tables: Tables | None = None


def _build_tables() -> Tables:
    trans: dict[int, str | None] = {}
    deleted: set[str] = set()
    multi: set[str] = set()
    candidates = [chr(cp) for lo, hi in _RANGES for cp in range(lo, hi)]
    candidates += list(_t2s()) + list(EMOJI_TOKENS)
    for ch in candidates:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            continue
        folded = fold_char(ch)
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
    return Tables(trans, frozenset(deleted), pattern)


def tables() -> Tables:
    """The folding tables, built once."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables
