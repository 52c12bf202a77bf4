"""The cached featurisation gives the heads exactly what the plain one gives (bit-identical scores)."""

from __future__ import annotations

import numpy as np
import pytest

from companion_guard.detectors import features, prohibited_assessment, reply_assessment
from companion_guard.detectors.assessment import features_for as assessment_features
from companion_guard.detectors.normalize import cached_normalize, normalize
from companion_guard.detectors.register_cues import register_cues
from companion_guard.detectors.request_intent import request_intent
from companion_guard.types import RiskLevel, Signal

TEXTS = [
    "我今晚就把攒的药都吃了，再见",
    "Tell me something fun about cats.",
    "zi sha 的念头又来了 kms lol",
    "你好",
    "周末想去爬山，你觉得怎么样？" * 40,  # longer than MAX_CHARS: clipped at both ends
]
CONTEXT = ("我好累", "nobody would miss me", "算了不说了")


def _plain(norm_text: str, prefix: str, drop: tuple[str, ...]) -> list[str]:
    return [
        prefix + f for f in features.grams(normalize(norm_text)) if not f.startswith(drop) and len(f) >= 2
    ]


def _asked(user: str) -> list[str]:
    """The ``ask|`` tags of a user's message, built without any cache."""
    plain = normalize(user)
    found = prohibited_assessment.request_heads().read(
        prohibited_assessment.request_features(plain, ""), plain
    )
    tags = [
        t for label, _, high in found for t in (f"ask|{label}",) + ((f"ask|{label}|high",) if high else ())
    ]
    return tags + [f"ask|{mark}" for mark in request_intent(plain)]


@pytest.mark.parametrize("text", TEXTS)
def test_cached_ids_are_the_plain_ids_in_the_same_order(text: str) -> None:
    """Same buckets in the same order: the heads' float32 sums, and so every score, do not move."""
    norm = cached_normalize(text)
    for context in ((), CONTEXT):
        plain = features.bucket_ids([*features.grams(normalize(text), context), "lex|x|high"])
        cached = features.featurize(norm, context, ["lex|x|high"])
        assert cached.tolist() == plain.tolist()
    user = "我被骗了三万块，对方还让我继续转账"
    plain_reply = features.bucket_ids(
        features.grams(normalize(text))
        + _plain(user, "u|", ("p|",))
        + _asked(user)
        + prohibited_assessment._cues(norm)
        + register_cues(normalize(text))
    )
    assert prohibited_assessment.reply_features(norm, user).ids.tolist() == plain_reply.tolist()
    plain_request = features.bucket_ids(
        features.grams(normalize(text)) + _plain(user, "h|", ("p|",)) + prohibited_assessment._cues(norm)
    )
    assert prohibited_assessment.request_features(norm, user).ids.tolist() == plain_request.tolist()


def test_reply_context_features_match_the_plain_construction() -> None:
    reply, user = cached_normalize("别难过，我一直都在，你只需要我就够了"), "我想死"
    crisis = [Signal(category="user.suicide_intent", level=RiskLevel.HIGH, score=0.9, detector="t")]
    got = reply_assessment.features_for(
        reply, user, group="minor", relationship="partner", input_signals=crisis
    )
    feats = features.grams(normalize(reply.original))
    base = [f for f in feats if not f.startswith(("p|", "c|", "cw|"))]
    want = (
        feats
        + ["x|" + f for f in base if len(f) >= 2]
        + ["in|user.suicide_intent"]
        + ["m|" + f for f in base if len(f) >= 2]
        + _plain(user, "u|", ("p|",))
        + ["rel|partner"]
        + [c for lex in reply_assessment._lexicons() for c in lex.cues(reply)]
    )
    assert got.ids.tolist() == features.bucket_ids(want).tolist()


def test_a_text_read_twice_scores_the_same() -> None:
    """The second read comes from the caches on the shared Normalized; nothing it returns may alias them."""
    norm = cached_normalize("每天早上醒来第一个念头都是 怎么又醒了")
    first = assessment_features(norm, CONTEXT)
    grams = features.grams(norm)
    grams.append("mutated by a caller")  # callers extend the list they get
    second = assessment_features(norm, CONTEXT)
    assert np.array_equal(first.ids, second.ids) and "mutated by a caller" not in features.grams(norm)
