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
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import numpy as np

from companion_guard.detectors.normalize import Normalized, cached_normalize
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


def own_grams(norm: Normalized) -> tuple[str, ...]:
    """The feature strings of the text alone, computed once per :class:`Normalized` (cached on it).

    Why cached: a turn's detectors featurise the same text up to four times (the
    crisis heads, the request or reply heads, and the user's text again as the
    reply's context).
    """
    found = norm._views.get("grams")
    if found is None:
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
        found = norm._views["grams"] = tuple(out)
    return cast("tuple[str, ...]", found)  # Normalized._views holds each view under its own key


@lru_cache(maxsize=4096)
def _context_grams(earlier: str) -> tuple[str, ...]:
    """The ``c|`` / ``cw|`` features of one earlier turn (cached: the turns after it read it again)."""
    ctx_text = _clip(cached_normalize(earlier).embed_text.lower())
    out = ["cw|" + w for w in _LATIN.findall(ctx_text)]
    for run in _CJK_OR_PUA.findall(ctx_text):
        _char_grams(run, "c|", 2, 2, out)
    return tuple(out)


def grams(norm: Normalized, context: Sequence[str] = ()) -> list[str]:
    """The feature strings of one text (and its conversation context); a new list the caller may extend."""
    out = list(own_grams(norm))
    for earlier in context[-CONTEXT_TURNS:]:
        out.extend(_context_grams(earlier))
    if context:
        out.append("has_context")
    return out


#: Feature string → bucket, for the default bucket count (bounded: cleared when it grows past this).
_BUCKET_CACHE: dict[str, int] = {}
BUCKET_CACHE_SIZE = 200_000


def _bucket(feature: str) -> int:
    found = _BUCKET_CACHE.get(feature)
    if found is None:
        if len(_BUCKET_CACHE) >= BUCKET_CACHE_SIZE:
            _BUCKET_CACHE.clear()
        found = _BUCKET_CACHE[feature] = zlib.crc32(feature.encode("utf-8")) % BUCKETS
    return found


def bucket_list(features: Iterable[str]) -> list[int]:
    """The bucket of every feature, in order and with repeats (what :func:`ids_of` takes)."""
    return [_bucket(f) for f in features]


def own_ids(norm: Normalized, prefix: str = "", *, drop: tuple[str, ...] = (), min_len: int = 0) -> list[int]:
    """Buckets of ``prefix`` + each of the text's own grams not starting with ``drop`` and at least
    ``min_len`` long, cached on ``norm`` (the same text is the user's message and then the reply's context)."""
    key = f"ids:{prefix}:{drop}:{min_len}"
    found = norm._views.get(key)
    if found is None:
        found = norm._views[key] = bucket_list(
            prefix + f for f in own_grams(norm) if len(f) >= min_len and not (drop and f.startswith(drop))
        )
    return cast("list[int]", found)


@lru_cache(maxsize=4096)
def _context_ids(earlier: str) -> tuple[int, ...]:
    return tuple(bucket_list(_context_grams(earlier)))


def gram_ids(norm: Normalized, context: Sequence[str] = ()) -> list[int]:
    """:func:`bucket_list` of :func:`grams`, from the caches."""
    out = list(own_ids(norm))
    for earlier in context[-CONTEXT_TURNS:]:
        out.extend(_context_ids(earlier))
    if context:
        out.append(_bucket("has_context"))
    return out


def ids_of(*parts: Iterable[int]) -> np.ndarray:
    """The distinct buckets of ``parts`` in first-seen order, as :func:`bucket_ids` gives them.

    The order is the set's iteration order for the same insertion sequence, so the
    heads' float sums — and every score — are bit for bit those of :func:`bucket_ids`.
    """
    ids: set[int] = set()
    for part in parts:
        ids.update(part)
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


def bucket_ids(features: Iterable[str], buckets: int = BUCKETS) -> np.ndarray:
    """Stable hash buckets of feature strings (CRC-32: the same in every process and on every machine)."""
    if buckets == BUCKETS:
        return ids_of(bucket_list(features))
    ids = {zlib.crc32(f.encode("utf-8")) % buckets for f in features}
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


def featurize(norm: Normalized, context: Sequence[str] = (), extra: Iterable[str] = ()) -> np.ndarray:
    """Bucket ids of a text's n-grams, its context's and any extra tokens (e.g. lexicon hits)."""
    return ids_of(gram_ids(norm, context), bucket_list(extra))


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
