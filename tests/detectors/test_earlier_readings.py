"""An earlier message's reading, kept compactly so that later turns do not featurise it again (issue 16)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import assessment
from companion_guard.detectors.normalize import cached_normalize, normalize

TEXTS = [
    "每天早上醒来第一个念头都是 怎么又醒了",
    "我已经把药都攒好了，就等周五",
    "然后呢？",
    "I keep thinking everyone would be better off without me",
    "今天吃了火锅，好开心",
]


def _fields(r: assessment.Reading) -> tuple[object, ...]:
    return (r.levels, r.third_party, r.facets, r.modifiers, r.sure)


def _fresh(text: str) -> assessment.Reading:
    """The reading computed from nothing kept: a fresh fold, no kept probabilities."""
    heads = assessment.load_heads()
    norm = normalize(text)
    reading = heads.read(heads.probabilities(assessment.features_for(norm)))
    if assessment.is_quiet(norm):
        capped = {k: (min(lvl, assessment.RiskLevel.LOW), p) for k, (lvl, p) in reading.levels.items()}
        return assessment.Reading(
            capped, (assessment.RiskLevel.NONE, 0.0), frozenset(), reading.modifiers, frozenset()
        )
    return reading


@pytest.mark.req("I1")
@pytest.mark.parametrize("text", TEXTS)
def test_reading_rebuilt_from_kept_probabilities_is_exact(text: str) -> None:
    assessment.read_alone.cache_clear()
    first = assessment.read_alone(text)  # computed, its probabilities kept
    assessment.read_alone.cache_clear()  # whole readings gone: rebuilt from the compact store
    again = assessment.read_alone(text)
    assert _fields(first) == _fields(again) == _fields(_fresh(text))


def test_kept_probabilities_are_bounded_and_least_recent_go_first() -> None:
    kept = assessment._Probabilities(2)
    kept.put(b"a", b"1")
    kept.put(b"b", b"2")
    assert kept.get(b"a") == b"1"  # now the most recent
    kept.put(b"c", b"3")
    assert kept.get(b"b") is None
    assert kept.get(b"a") == b"1" and kept.get(b"c") == b"3"


@pytest.mark.req("I1")
@pytest.mark.parametrize("text", TEXTS)
def test_a_message_kept_on_its_turn_is_not_folded_again_later(text: str) -> None:
    assessment.keep_alone(normalize(text))  # what the crisis assessor does on the message's own turn
    assessment.read_alone.cache_clear()
    cached_normalize.cache_clear()  # many other users' turns since: the fold is long gone
    reading = assessment.read_alone(text)
    assert cached_normalize.cache_info().misses == 0  # not folded, nor featurised, again
    assert _fields(reading) == _fields(_fresh(text))
