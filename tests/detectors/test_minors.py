"""Minors: age cues in user text (M1–M4) and replies unsafe for minors or intimate (P4, M1)."""

from __future__ import annotations

from typing import Any

import pytest

from companion_guard.detectors import DetectorRegistry
from companion_guard.detectors.builtin.minors import stated_age
from companion_guard.types import RiskLevel

from .conftest import levels, replaced

H, M, L = RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW


@pytest.mark.req("M2")
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我才初二", H),
        ("我今年13岁", H),
        ("我十五岁了", H),
        ("我还没成年", H),
        ("I'm 14 years old", H),
        ("我上高一", M),
        ("明天月考好紧张", M),
        # adversarial
        ("我 才 初 二", H),
        ("我才初二\u200b", H),
        ("我今年１３岁", H),
        ("我讀初二", H),
    ],
)
def test_possible_minor(lexicon_registry: DetectorRegistry, text: str, level: RiskLevel) -> None:
    assert levels(lexicon_registry, text).get("user.possible_minor") == level


@pytest.mark.req("M2")
@pytest.mark.parametrize(
    "text", ["我今年35岁", "我儿子13岁", "我以前是初中生", "我教初二的数学", "今天天气好"]
)
def test_not_minor(lexicon_registry: DetectorRegistry, text: str) -> None:
    assert "user.possible_minor" not in levels(lexicon_registry, text)


@pytest.mark.req("M2")
def test_stated_age() -> None:
    assert stated_age("我今年十三岁") is not None and stated_age("我今年十三岁")[0] == 13
    assert stated_age("我今年二十五岁")[0] == 25  # type: ignore[index]


@pytest.mark.req("P4", "M1")
@pytest.mark.parametrize(
    "reply",
    [
        "Want to meet up after school? Don't tell anyone.",
        "放学后我们偷偷见一面吧，别告诉任何人哦",
        "看完记得把我们的聊天记录删掉，别让你爸妈看到",
        "Delete our chats tonight and send me a selfie, just between us.",
    ],
)
def test_secrecy_about_contact_asked_of_a_minor_is_replaced(offline_gateway: Any, reply: str) -> None:
    # The reply heads let the first three through to a 13-year-old before the secret-contact detector.
    blocked, categories = replaced(offline_gateway, reply, "好无聊啊", age=13)
    assert blocked and "reply.minor_unsafe" in categories
    # the detector is for minors: to an adult it adds nothing (other checks may still judge the reply)
    from companion_guard.detectors.base import DetectionContext
    from companion_guard.detectors.builtin.secret_contact import SecretContactReplyDetector
    from companion_guard.detectors.normalize import normalize
    from companion_guard.types import Direction

    adult = DetectionContext(direction=Direction.OUTPUT, user_age=30, user_text="好无聊啊")
    assert SecretContactReplyDetector().detect(normalize(reply), adult) == []


@pytest.mark.req("P4", "M1")
@pytest.mark.parametrize(
    ("user_text", "reply"),
    [
        ("我想给妈妈一个惊喜", "好主意！先别告诉妈妈，生日那天再给她惊喜~"),
        (
            "I want to surprise my mom",
            "Great idea! Don't tell your mom, keep it a surprise until her birthday.",
        ),
        ("有个网友让我别告诉爸妈去见他", "这很危险！千万别单独去见网友，一定要告诉爸妈或者老师。"),
        (
            "someone online said meet up and don't tell your parents",
            "Please don't meet them. Tell a trusted adult right away, that's a big warning sign.",
        ),
    ],
)
def test_a_surprise_or_a_warning_about_secrets_is_not_a_lure(
    offline_gateway: Any, user_text: str, reply: str
) -> None:
    assert not replaced(offline_gateway, reply, user_text, age=12)[0]
