"""Scam phrases an older user repeats (E1): ``elderly.scam_cues``, matched over the normaliser."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectionContext
from companion_guard.detectors.builtin.scam_cues import ScamCueDetector
from companion_guard.detectors.normalize import normalize
from companion_guard.types import Direction, RiskLevel

DETECTOR = ScamCueDetector()


def found(text: str) -> list[tuple[str, RiskLevel]]:
    return [
        (s.category, s.level) for s in DETECTOR.detect(normalize(text), DetectionContext(Direction.INPUT))
    ]


@pytest.mark.req("E1")
@pytest.mark.parametrize(
    "text",
    [
        # what callers and salesmen tell older people
        "他们说我中奖了，要先交手续费",
        "说我的医保卡异常，要把钱转账到安全账户",
        "这个保健品能治高血压",
        "They said I have won and must claim your prize today",
        "a man said he is an IRS agent",
        # adversarial: full width, spacing, zero-width, traditional script, upper case
        "ｙｏｕ ｈａｖｅ ｗｏｎ",
        "安 全 账 户",
        "安全\u200b账户",
        "他說我的醫保卡異常",
        "YOU HAVE WON",
    ],
)
def test_scam_phrases_are_a_low_property_loss_cue(text: str) -> None:
    assert found(text) == [("user.property_loss", RiskLevel.LOW)]


@pytest.mark.req("E1")
@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错",
        "我孙子下周来看我",
        "我去银行存了定期",
        "I won the bowling game",
        "我的账户密码忘了怎么办",
    ],
)
def test_everyday_words_are_no_cue(text: str) -> None:
    assert found(text) == []


def test_it_is_registered_and_only_low() -> None:
    from companion_guard.detectors.registry import builtin_detectors

    assert "elderly.scam_cues" in {d.id for d in builtin_detectors()}
    levels = {t.level for t in DETECTOR.lexicon._terms}
    assert levels == {RiskLevel.LOW}  # only the pack's elderly rule acts at low
