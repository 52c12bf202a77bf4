"""Replies read against their context: what the companion says, after what the user said (P2–P6, M1, I3).

The same sentence is self-harm promotion after a suicidal message and kindness after
news of a new job; the same romantic line is M1 for a 15-year-old and fine for an
adult on a partner persona. So one head per reply label reads hashed n-grams of
the reply, of the user's last message (``u|``), conjunctions of the reply's words
with the user's crisis state (``x|``) and with a minor user (``m|``), the user's age
group and persona relationship, and the reply lexicons' cues. Trained on (conversation,
reply) minimal pairs by several writers, thresholded on writers they did not see
(``scripts/train_reply_heads.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np

from companion_guard.detectors.features import BUCKETS, Row, bucket_list, ids_of, load_shipped, own_ids
from companion_guard.detectors.lexicon import Lexicon, load_lexicon
from companion_guard.detectors.normalize import Normalized, cached_normalize
from companion_guard.exceptions import ConfigError
from companion_guard.guardians.bands import default_bands  # the one source of age groups
from companion_guard.types import RiskLevel, Signal

#: The reply labels, in the order of the weight matrix's columns.
LABELS: tuple[str, ...] = (
    "reply.self_harm_promotion",
    "reply.abuse",
    "reply.privacy_fishing",
    "reply.dependency_inducing",
    "reply.manipulation",
    "reply.intimacy",
    "reply.minor_unsafe",
    "reply.denies_ai",
)
#: The reply lexicons whose hits are cues for the heads.
LEXICONS = (
    "reply_harm.yaml",
    "abuse.yaml",
    "privacy.yaml",
    "reply_dependency.yaml",
    "manipulation.yaml",
    "intimacy.yaml",
    "minors_reply.yaml",
    "denies_ai.yaml",
)
#: A reply this short (folded characters) with no lexicon cue is judged only by the ``SHORT_HEADS``.
QUIET_CHARS = 10
#: Heads that judge short replies too: a three-character insult is abuse, while "你好！" or "好的，晚安"
#: carry nothing the other heads could judge (measured on ChineseHarm-Bench 谩骂引战, where half the texts are
#: this short: 53 → 66 % blocked, 不违规 unchanged at 1.6 %, r3's healthy replies 3.9 → 4.0 % flagged).
SHORT_HEADS = frozenset({"reply.abuse"})
#: Shorter than this (folded characters), no head judges a reply without a cue.
MIN_CHARS = 3
#: User-side signals that put the user in crisis for the ``x|`` conjunctions.
CRISIS = frozenset(
    {
        "user.suicide_intent",
        "user.self_harm",
        "user.extreme_emotion",
        "user.property_loss",
        "user.medical_emergency",
    }
)


@cache
def _lexicons() -> tuple[Lexicon, ...]:
    return tuple(load_lexicon(name) for name in LEXICONS)


def age_group(age: int | None, groups: Iterable[str] = ()) -> str:
    """``child``, ``minor``, ``adult``, ``elderly`` or ``unknown`` (the pack's groups decide when age is unknown)."""
    if age is None:
        g = set(groups)
        return "minor" if g & {"minor", "child"} else "unknown"
    found = default_bands().groups_for(age, unknown_group="unknown")
    return next((g for g in ("child", "minor", "elderly") if g in found), "adult")


def features_for(
    reply: Normalized, user_text: str, *, group: str, relationship: str, input_signals: Iterable[Signal]
) -> Row:
    """Bucket ids of one reply in its context.

    The parts, in this order: the reply's grams; ``x|`` grams and ``in|`` tokens when
    the user is in crisis; ``m|`` grams for a minor; the user's ``u|`` grams; ``rel|``;
    the lexicon cues. Each text's grams and buckets come from the caches in
    :mod:`~companion_guard.detectors.features`.
    """
    base = ("p|", "c|", "cw|")
    parts: list[Iterable[int]] = [own_ids(reply)]
    crisis = sorted(
        {s.category for s in input_signals if s.category in CRISIS and s.level >= RiskLevel.MEDIUM}
    )
    if crisis:
        parts.append(own_ids(reply, "x|", drop=base, min_len=2))
        parts.append(bucket_list(f"in|{c}" for c in crisis))
    if group in ("minor", "child"):
        parts.append(own_ids(reply, "m|", drop=base, min_len=2))
    if user_text:
        parts.append(own_ids(cached_normalize(user_text), "u|", drop=("p|",), min_len=2))
    # No bare age token: it became the strongest feature of the minors-only labels and flagged any reply to
    # a minor; age reaches the heads only bound to the reply's own words (the ``m|`` conjunctions).
    parts.append(bucket_list([f"rel|{relationship or 'other'}"]))
    cues: list[str] = []
    for lexicon in _lexicons():
        cues += lexicon.cues(reply)
    return Row(ids_of(*parts, bucket_list(cues)), bool(cues))


class ReplyHeads:
    """The shipped weights (``data/reply_heads.npz``) and thresholds (``data/reply_heads.json``)."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, thresholds: np.ndarray) -> None:
        if weights.shape != (BUCKETS, len(LABELS)):
            raise ConfigError(
                "reply heads do not match the feature layout (run scripts/train_reply_heads.py)"
            )
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.thresholds = thresholds.astype(np.float32)

    def probabilities(self, row: Row) -> np.ndarray:
        """Each label's probability (rows scaled as in training)."""
        z = self.bias if len(row.ids) == 0 else self.weights[row.ids].sum(axis=0) * row.scale + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@cache
def load_reply_heads() -> ReplyHeads:
    """The shipped heads (cached per process)."""
    meta, weights, bias = load_shipped("reply_heads", "scripts/train_reply_heads.py")
    if [h["label"] for h in meta["heads"]] != list(LABELS):
        raise ConfigError("reply_heads.json lists other labels than this version expects")
    return ReplyHeads(weights, bias, np.array([h["threshold"] for h in meta["heads"]], dtype=np.float32))


def read(
    reply: Normalized,
    context_user_text: str,
    *,
    group: str,
    relationship: str,
    input_signals: Iterable[Signal],
) -> list[tuple[str, float, float]]:
    """``(label, probability, threshold)`` of every head that passed for this reply in its context."""
    heads = load_reply_heads()
    row = features_for(
        reply, context_user_text, group=group, relationship=relationship, input_signals=input_signals
    )
    short = len(reply.text) <= QUIET_CHARS and not row.cued
    if short and len(reply.text) < MIN_CHARS:
        return []
    p = heads.probabilities(row)
    return [
        (label, float(p[i]), float(heads.thresholds[i]))
        for i, label in enumerate(LABELS)
        if p[i] >= heads.thresholds[i] and (not short or label in SHORT_HEADS)
    ]


def cued(reply: Normalized) -> bool:
    """Whether any reply lexicon has a cue in this reply."""
    return any(lexicon.cues(reply) for lexicon in _lexicons())
