"""The text a sentence encoder sees: folded like :mod:`.fold`, but with word spaces and
punctuation kept, and spaced-out writing ("我 想 死", "s p a c e d") joined up again."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from companion_guard.detectors.fold import EMOJI_TOKENS, INVISIBLE, tables

_HAN = "\u3400-\u9fff\uf900-\ufaff"
#: A run of single Han characters split by spaces or symbols: "我 想 死", "自*杀".
_SPACED_RUN = re.compile(rf"(?:[{_HAN}][^{_HAN}\w]{{1,3}}){{2,}}[{_HAN}]")
_SEPARATORS = re.compile(rf"[^{_HAN}\w]+")


@cache
def _embed_table() -> dict[int, str | None]:
    folds = tables()
    out: dict[int, str | None] = {}
    for cp, mapped in folds.translate.items():
        ch = chr(cp)
        if ch in INVISIBLE or 0xFE00 <= cp <= 0xFE0F or 0xE0000 <= cp <= 0xE007F:
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
