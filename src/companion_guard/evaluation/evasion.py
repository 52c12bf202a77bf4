"""Evasion transforms for the eval command: the ordinary tricks users use to hide a word.

Each transform is deterministic. ``homophone`` and ``pinyin`` rewrite the
characters an evader would hide (a fixed list of sensitive characters below,
written by the project), since rewriting every character is not how people evade.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

#: Sensitive characters and a homophone an evader would type instead (project-written).
HOMOPHONES = {
    "死": "四",
    "杀": "沙",
    "自": "紫",
    "伤": "商",
    "割": "哥",
    "药": "要",
    "跳": "条",
    "楼": "搂",
    "骗": "片",
    "滚": "棍",
    "蠢": "春",
    "笨": "本",
    "废": "费",
    "活": "火",
    "离": "里",
    "残": "惨",
    "刀": "叨",
    "血": "雪",
    "毒": "读",
    "逼": "比",
    "贱": "剑",
    "傻": "沙",
    "婊": "表",
    "妈": "马",
    "垃": "拉",
    "圾": "鸡",
    "痛": "通",
    "绝": "决",
    "崩": "蹦",
    "溃": "愧",
    "爱": "艾",
    "陪": "培",
    "走": "奏",
    "充": "冲",
    "值": "直",
    "唯": "维",
}


@cache
def _s2t() -> Any:  # OpenCC has no types
    from opencc import OpenCC

    return OpenCC("s2t")


def spacing(text: str) -> str:
    """A space between every character."""
    return " ".join(text)


def zero_width(text: str) -> str:
    """A zero-width space between every character."""
    return "\u200b".join(text)


def traditional(text: str) -> str:
    """Simplified → traditional (OpenCC s2t)."""
    converted: str = _s2t().convert(text)
    return converted


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation → full width."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def homophone(text: str) -> str:
    """Sensitive characters → a homophone (死 → 四, 杀 → 沙)."""
    return "".join(HOMOPHONES.get(c, c) for c in text)


def pinyin(text: str) -> str:
    """Sensitive characters → their toneless pinyin (自杀 → zisha)."""
    from companion_guard.detectors.normalize import to_pinyin

    return "".join(to_pinyin(c) if c in HOMOPHONES else c for c in text)


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "spacing": spacing,
    "zero_width": zero_width,
    "traditional": traditional,
    "full_width": full_width,
    "homophone": homophone,
    "pinyin": pinyin,
}

__all__ = ["HOMOPHONES", "TRANSFORMS"]
