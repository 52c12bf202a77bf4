"""Prohibited content of every other kind, judged by learned heads (P1, P4; TC260-003 Appendix A).

Two sets of heads over hashed n-grams (:mod:`companion_guard.detectors.features`):
the reply heads read what the companion says after what the user asked (``u|``
n-grams of the user's last message), so that a safe answer to a harmful question is
told from a harmful one; the request heads read what the user asks (``h|`` n-grams
of the user's previous message, for requests split over turns) and whether it is
wrapped to get past the companion's rules (``user.jailbreak``); the reply heads also read what the
user's message asks to do with the topic (:mod:`~companion_guard.detectors.request_intent`: protect,
learn, make). The TC260 keyword
library's hits are cues for both; the reply heads also read the marks of the spam-post
register (contact handles, site addresses, pay rates, disguised spelling), since a
companion made to post ads is a reply that must not go out. Trained on the prohibited-content corpus by
several writers and on permissive public sets, thresholded on sources they did not
see (``scripts/train_prohibited_heads.py``).

Each head has two thresholds: its ordinary one gives a medium finding, a stricter one
(chosen for a far lower false-positive rate) a high one. ``reply.sexual`` is any
sexual content (suggestive and vulgar included) and stays medium — the pack blocks it
for minors; ``reply.sexual_explicit`` is explicit content and is reported as
``reply.sexual`` at high (which the pack blocks for everyone) past its strict threshold, or past its
ordinary one when the sexual-content head agrees, and otherwise at medium (blocked for minors and
users of unknown age, like suggestive content).
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

from companion_guard.detectors.features import BUCKETS, Row, bucket_list, ids_of, load_shipped, own_ids
from companion_guard.detectors.lexicon import Lexicon
from companion_guard.detectors.normalize import Normalized, cached_normalize
from companion_guard.detectors.register_cues import register_cues
from companion_guard.detectors.request_intent import request_intent
from companion_guard.exceptions import ConfigError

#: The reply heads, in the order of their weight matrix's columns.
REPLY_LABELS: tuple[str, ...] = (
    "reply.sexual",
    "reply.sexual_explicit",
    "reply.violence_terror",
    "reply.illegal_assistance",
    "reply.gambling",
    "reply.fraud_assistance",
    "reply.discrimination",
    "reply.misinformation",
    "reply.national_security",
)
#: The request heads, in the order of their weight matrix's columns.
USER_LABELS: tuple[str, ...] = (
    "user.request.sexual",
    "user.request.violence_terror",
    "user.request.illegal",
    "user.request.gambling",
    "user.request.fraud",
    "user.request.discrimination",
    "user.request.misinformation",
    "user.request.national_security",
    "user.jailbreak",
)
#: A text this short (folded characters) with no keyword cue is not judged.
QUIET_CHARS = 4


@cache
def keyword_lexicons() -> tuple[Lexicon, ...]:
    """The TC260 keyword library's lexicons (their hits, with level and context marks, are cues)."""
    from companion_guard.detectors.builtin.prohibited_keywords import tc260_lexicons

    return tc260_lexicons()


def _cues(text: Normalized) -> list[str]:
    return [c for lexicon in keyword_lexicons() for c in lexicon.cues(text)]


def _register_ids(text: Normalized) -> list[int]:
    """Buckets of the spam-post marks (:mod:`~companion_guard.detectors.register_cues`); not lexicon cues, so a
    short text with only these is still damped like any short text."""
    return bucket_list(register_cues(text))


def _asked_ids(user_text: str) -> list[int]:
    """Buckets of what the request heads read in the user's last message (``ask|<label>`` and ``…|high``)
    and of what it asks to do (``ask|intent|…``, :mod:`~companion_guard.detectors.request_intent`).

    Why: "first get the materials, then mix them" is harmless alone and an answer to "how do I make a
    bomb" after it; the reply heads learn how a reply that complies reads once they know what was asked.
    """
    return list(_asked_ids_of(user_text)) if user_text else []


@lru_cache(maxsize=4096)
def _asked_ids_of(user_text: str) -> tuple[int, ...]:
    """``_asked_ids`` once per user message: a streamed reply is judged sentence by sentence after the same one."""
    norm = cached_normalize(user_text)
    found = request_heads().read(request_features(norm, ""), norm)
    return tuple(
        bucket_list(
            [
                *(
                    tag
                    for label, _, high in found
                    for tag in ((f"ask|{label}", f"ask|{label}|high") if high else (f"ask|{label}",))
                ),
                *(f"ask|{mark}" for mark in request_intent(norm)),
            ]
        )
    )


def reply_features(reply: Normalized, user_text: str) -> Row:
    """Bucket ids of a reply after the user's last message (its grams, ``u|`` ones, what the request heads read
    in that message, the keyword cues, the spam-post marks)."""
    user = own_ids(cached_normalize(user_text), "u|", drop=("p|",), min_len=2) if user_text else ()
    cues = _cues(reply)
    return Row(
        ids_of(own_ids(reply), user, _asked_ids(user_text), bucket_list(cues), _register_ids(reply)),
        bool(cues),
    )


def request_features(text: Normalized, previous_user_text: str) -> Row:
    """Bucket ids of a user's message, with the previous one they sent (``h|`` grams), then cues."""
    previous = (
        own_ids(cached_normalize(previous_user_text), "h|", drop=("p|",), min_len=2)
        if previous_user_text
        else ()
    )
    cues = _cues(text)
    return Row(ids_of(own_ids(text), previous, bucket_list(cues)), bool(cues))


class Heads:
    """One set of shipped heads: weights, bias, and the medium and high thresholds of each."""

    def __init__(
        self,
        labels: tuple[str, ...],
        weights: np.ndarray,
        bias: np.ndarray,
        medium: np.ndarray,
        high: np.ndarray,
    ) -> None:
        if weights.shape != (BUCKETS, len(labels)):
            raise ConfigError(
                "prohibited heads do not match the feature layout (run scripts/train_prohibited_heads.py)"
            )
        self.labels = labels
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.medium = medium.astype(np.float32)
        self.high = high.astype(np.float32)

    def probabilities(self, row: Row) -> np.ndarray:
        """Each head's probability (rows scaled as in training)."""
        z = self.bias if len(row.ids) == 0 else self.weights[row.ids].sum(axis=0) * row.scale + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def read(self, row: Row, text: Normalized) -> list[tuple[str, float, bool]]:
        """``(label, probability, high)`` of every head past its medium threshold."""
        if len(text.text) <= QUIET_CHARS and not row.cued:
            return []
        p = self.probabilities(row)
        return [
            (label, float(p[i]), bool(p[i] >= self.high[i]))
            for i, label in enumerate(self.labels)
            if p[i] >= self.medium[i]
        ]


def _load(name: str, labels: tuple[str, ...]) -> Heads:
    meta, weights, bias = load_shipped(name, "scripts/train_prohibited_heads.py")
    if [h["label"] for h in meta["heads"]] != list(labels):
        raise ConfigError(f"{name}.json lists other labels than this version expects")
    return Heads(
        labels,
        weights,
        bias,
        np.array([h["medium"] for h in meta["heads"]], dtype=np.float32),
        np.array([h["high"] for h in meta["heads"]], dtype=np.float32),
    )


@cache
def reply_heads() -> Heads:
    """The shipped reply heads (cached per process)."""
    return _load("prohibited_reply", REPLY_LABELS)


@cache
def request_heads() -> Heads:
    """The shipped request heads (cached per process)."""
    return _load("prohibited_user", USER_LABELS)
