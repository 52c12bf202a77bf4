"""The spam-post register's marks (P1, P4; TC260-003 A.1.h): features for the prohibited heads, never findings.

Every text here is written for this test; none comes from a dataset.
"""

from __future__ import annotations

import pytest

from companion_guard.detectors.features import bucket_list
from companion_guard.detectors.normalize import normalize
from companion_guard.detectors.prohibited_assessment import reply_features
from companion_guard.detectors.register_cues import register_cues


def _cues(text: str) -> set[str]:
    return set(register_cues(normalize(text)))


@pytest.mark.req("P1", "P4")
@pytest.mark.tc260("A.1.h")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("有意者加绿泡泡：abc12345，名额有限", {"reg|handle"}),
        ("想要的私我，不想要的划走", {"reg|solicit"}),
        ("新站上线 lucky88pai.top 速来", {"reg|domain"}),
        ("全角也算：ｌｕｃｋｙ８８．ｔｏｐ", {"reg|domain"}),
        ("在家动动手指，每单30，日结", {"reg|rate"}),
        ("三元一条，长期稳定", {"reg|rate"}),
        ("扣扣 2233445566 找我", {"reg|handle", "reg|digits", "reg|solicit", "reg|ad_shape"}),
        ("兼\u0f7c职\u0f7c来\u0f7c吗", {"reg|disguised"}),
        ("赚★钱★不★难★找★我", {"reg|disguised", "reg|disguised_many", "reg|solicit", "reg|ad_shape"}),
    ],
)
def test_each_mark_is_found_through_its_usual_disguises(text: str, expected: set[str]) -> None:
    assert expected <= _cues(text), _cues(text)


@pytest.mark.req("P1")
@pytest.mark.parametrize(
    "text",
    [
        "今天下班早，我们去公园散散步吧。",
        "我2023年毕业，20240601那天搬的家。",
        "那首诗写得真好：春眠不觉晓，处处闻啼鸟。",
        "I think you should get some rest tonight.",
    ],
)
def test_ordinary_text_carries_no_mark(text: str) -> None:
    assert _cues(text) == set()


@pytest.mark.req("P1")
def test_marks_reach_the_heads_features_but_do_not_count_as_lexicon_cues() -> None:
    handle, solicit = bucket_list(["reg|handle", "reg|solicit"])
    plain = reply_features(normalize("周末一起去爬山吗"), "")
    marked = reply_features(normalize("周末一起去爬山吗 加我vx：hill2024"), "")
    assert not marked.cued  # a mark alone does not lift a short text's damping as a keyword hit does
    assert {handle, solicit} <= set(marked.ids.tolist())
    assert not {handle, solicit} & set(plain.ids.tolist())
