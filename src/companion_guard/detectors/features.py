"""Hashed n-gram features that see the exact wording, shared by training and the gateway.

Why: a frozen sentence embedding misses what decides a crisis level — a time
("今晚"), a means ("攒的药"), a negation, a joke marker, a homophone (紫砂 for 自杀).
Character 1–3-grams of the folded text, 2–3-grams of its tone-less pinyin view
(homophones collapse there), word 1–2-grams for Latin script and a few n-grams of
the user's earlier turns (``c|`` namespace) feed small linear heads. Hashing keeps
the shipped weights a fixed, small size with no vocabulary file.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

import numpy as np

from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.exceptions import ConfigError

#: Number of hash buckets (the rows of every head's weight matrix).
BUCKETS = 1 << 16
#: How many characters of a text are featurised (long rants: the start and the end).
MAX_CHARS = 400
#: Rows are L2-normalised, but never by less than this many features: a two-character greeting
#: would otherwise weigh each of its few n-grams as heavily as a whole sentence's evidence.
MIN_NORM_FEATURES = 16
#: Earlier user turns read for context features.
CONTEXT_TURNS = 3

_LATIN = re.compile(r"[a-z0-9']+")
_CJK_OR_PUA = re.compile(r"[^\sa-z0-9'.,!?;:\-]+")


def _clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + " " + text[-half:]


def _char_grams(run: str, ns: str, lo: int, hi: int, out: list[str]) -> None:
    n = len(run)
    for size in range(lo, hi + 1):
        for i in range(n - size + 1):
            out.append(ns + run[i : i + size])


def grams(norm: Normalized, context: Sequence[str] = ()) -> list[str]:
    """The feature strings of one text (and its conversation context)."""
    text = _clip(norm.embed_text.lower())
    out: list[str] = []
    words = _LATIN.findall(text)
    for i, w in enumerate(words):
        out.append("w|" + w)
        if i:
            out.append("b|" + words[i - 1] + " " + w)
    for run in _CJK_OR_PUA.findall(text):
        _char_grams(run, "", 1, 3, out)
    pinyin = _clip(norm.pinyin_text)
    for run in _CJK_OR_PUA.findall(pinyin):
        if any(ord(ch) >= 0xF0000 for ch in run):
            _char_grams(run, "p|", 2, 3, out)
    for earlier in context[-CONTEXT_TURNS:]:
        ctx_text = _clip(normalize(earlier).embed_text.lower())
        for w in _LATIN.findall(ctx_text):
            out.append("cw|" + w)
        for run in _CJK_OR_PUA.findall(ctx_text):
            _char_grams(run, "c|", 2, 2, out)
    if context:
        out.append("has_context")
    return out


def bucket_ids(features: Iterable[str], buckets: int = BUCKETS) -> np.ndarray:
    """Stable hash buckets of feature strings (CRC-32: the same in every process and on every machine)."""
    ids = {zlib.crc32(f.encode("utf-8")) % buckets for f in features}
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


def featurize(norm: Normalized, context: Sequence[str] = (), extra: Iterable[str] = ()) -> np.ndarray:
    """Bucket ids of a text's n-grams, its context's and any extra tokens (e.g. lexicon hits)."""
    return bucket_ids([*grams(norm, context), *extra])


class Row:
    """One text's bucket ids and whether a lexicon cue is among its features."""

    __slots__ = ("cued", "ids")

    def __init__(self, ids: np.ndarray, cued: bool) -> None:
        self.ids, self.cued = ids, cued

    @property
    def scale(self) -> float:
        """See :func:`row_scale`."""
        return row_scale(len(self.ids), self.cued)


def row_scale(n_features: int, cued: bool = False) -> float:
    """The factor a row of ``n_features`` hashed features is multiplied by (training and scoring alike).

    A short text with a lexicon cue ("kms", "想死") keeps its full weight; one without is damped.
    """
    return 1.0 / float(np.sqrt(n_features if cued else max(n_features, MIN_NORM_FEATURES)))


def is_cued(features: Iterable[str]) -> bool:
    """Whether any feature is a lexicon cue (``lex|…``)."""
    return any(f.startswith("lex|") for f in features)


def load_shipped(stem: str, script: str) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """``data/<stem>.json`` and the weights and bias of ``data/<stem>.npz``; a clear error names the script."""
    base = resources.files("companion_guard.detectors").joinpath("data")
    try:
        meta = json.loads(base.joinpath(f"{stem}.json").read_text(encoding="utf-8"))
        with base.joinpath(f"{stem}.npz").open("rb") as fh:
            arrays = np.load(fh)
            return meta, arrays["weights"], arrays["bias"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{stem} heads cannot be loaded (run {script}): {exc}") from exc
