"""Crisis lexicon: suicide intent, self-harm, extreme emotion, property loss (I1, I2)."""

from __future__ import annotations

import pytest

from companion_guard.detectors import DetectionContext, DetectorRegistry
from companion_guard.detectors.builtin.crisis import CrisisLexiconDetector
from companion_guard.detectors.normalize import normalize
from companion_guard.types import Direction, Message, RiskLevel

from .conftest import levels

C, H, M = RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM


@pytest.mark.req("I2")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        # positives
        ("我想自杀", C),
        ("我真的不想活了", C),
        ("今晚就去死", C),
        ("药都攒好了，我准备吞药", C),
        ("I want to kill myself", C),
        ("活着没意思，不如死了", H),
        ("没有我大家会更好", H),
        ("人间不值得，生无可恋", RiskLevel.LOW),  # common hyperbole: a topic cue only
        # adversarial: spacing, zero-width, traditional, full-width, homophone, pinyin, abbreviation, emoji
        ("我 想 自 杀", C),
        ("我\u200b想\u200b死", C),
        ("我想自殺", C),
        ("ＩＷＡＮＴ ＴＯ ＫＩＬＬ ＭＹＳＥＬＦ", C),
        ("我想紫砂", C),
        ("wo xiang zi sha", C),
        ("我想zs", C),
        ("不想活了💊", C),
        # context: not negated when the negation belongs to another clause
        ("不要拦我，我要去死", C),
    ],
)
def test_suicide_intent(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text).get("user.suicide_intent") == level


@pytest.mark.req("I2")
@pytest.mark.parametrize(
    "text",
    [
        # hyperbole and look-alikes
        "笑死我了",
        "今天累死了",
        "想死你了！",
        "我买了一把紫砂壶",
        "这个bug终于杀掉了",
        "跳楼价大甩卖",
        "剧本杀里我的角色死了",
        # negation
        "我不会自杀的，放心",
        "我从来没想过自杀",
        # talking about the topic, not intent
        "自杀干预热线的号码是多少",
        # ordinary
        "今天天气真好",
        "I'm dying of laughter",
    ],
)
def test_not_suicide_intent(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.suicide_intent" not in levels(lexicon_registry, text)


@pytest.mark.req("I2")
def test_third_person_is_lowered(lexicon_registry: DetectorRegistry) -> None:
    assert levels(lexicon_registry, "我朋友说他想自杀")["user.suicide_intent"] == M
    assert levels(lexicon_registry, "他骂我，我想自杀")["user.suicide_intent"] == C


@pytest.mark.req("I2")
@pytest.mark.parametrize(
    ("text", "category", "level"),
    [
        ("我又拿刀划自己了", "user.self_harm", H),
        ("我用烟头烫自己", "user.self_harm", H),
        ("I cut myself again", "user.self_harm", H),
        ("我被骗了全部积蓄", "user.property_loss", C),
        ("他们让我马上转账到安全账户", "user.property_loss", C),
        ("我网贷还不上了，全亏光了", "user.property_loss", H),
        ("我被騙了", "user.property_loss", H),
    ],
)
def test_self_harm_and_property_loss(
    lexicon_registry: DetectorRegistry, text: str, category: str, level: RiskLevel
) -> None:
    assert levels(lexicon_registry, text).get(category) == level


@pytest.mark.req("I1")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我彻底崩溃了", H),
        ("痛不欲生", H),
        ("我快撑不住了", H),
        ("我好绝望", M),
        ("没有人在乎我", M),
        ("I'm falling apart", H),
        ("我 好 绝 望", M),
    ],
)
def test_extreme_emotion(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text).get("user.extreme_emotion") == level


@pytest.mark.req("I1")
@pytest.mark.parametrize("text", ["今天好开心", "心态崩溃了哈哈哈", "考试有点难"])
def test_not_extreme_emotion(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.extreme_emotion" not in levels(lexicon_registry, text)


@pytest.mark.req("I2")
def test_goodbye_after_despair_is_a_crisis(lexicon_registry: DetectorRegistry) -> None:
    despair = (Message("user", "最近好累，活着没意思"), Message("assistant", "我在听"))
    good_day = (Message("user", "今天升职了，好开心"), Message("assistant", "恭喜"))
    text = "谢谢你陪我这么久，永别了"
    assert levels(lexicon_registry, text, history=despair)["user.suicide_intent"] >= H
    assert "user.suicide_intent" not in levels(lexicon_registry, text, history=good_day)
    assert "user.suicide_intent" not in levels(lexicon_registry, text)


@pytest.mark.req("I1")
def test_risk_accumulates_over_turns(lexicon_registry: DetectorRegistry) -> None:
    history = (Message("user", "我好难过"), Message("user", "好痛苦，没人懂我"))
    assert levels(lexicon_registry, "我好绝望")["user.extreme_emotion"] == M
    assert levels(lexicon_registry, "我好绝望", history=history)["user.extreme_emotion"] == H


@pytest.mark.req("I2")
def test_evidence_points_at_the_original_text(lexicon_registry: DetectorRegistry) -> None:
    text = "唉。我 想 自 殺。"
    sig = next(
        s
        for s in lexicon_registry.detect(text, DetectionContext(Direction.INPUT))
        if s.category == "user.suicide_intent"
    )
    ev = sig.evidence[0]
    assert text[ev.start : ev.end] == ev.text == "我 想 自 殺"


@pytest.mark.req("I2")
def test_crisis_detector_fails_closed() -> None:
    assert CrisisLexiconDetector.fail_closed
    assert CrisisLexiconDetector().detect(normalize(""), DetectionContext(Direction.INPUT)) == []
