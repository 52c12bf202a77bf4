"""Normalisation: evasion folded away, offsets back to the original (I1, I2, P2)."""

from __future__ import annotations

import pytest

from companion_guard.detectors.normalize import embedding_text, normalize, to_pinyin, to_syllables

pytestmark = pytest.mark.req("I2")


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        # plain
        ("我想自杀", "我想自杀"),
        # spacing and inserted symbols
        ("我 想 自 杀", "我想自杀"),
        ("我*想*自*杀", "我想自杀"),
        ("我…想…死", "我想死"),
        # zero-width and bidi characters
        ("我\u200b想\u200d自\u202e杀", "我想自杀"),
        # traditional characters (OpenCC table, plus 著 → 着)
        ("我想自殺", "我想自杀"),
        ("活著沒意思", "活着没意思"),
        # full width and fancy letters
        ("ＫＩＬＬ　ＭＹＳＥＬＦ", "killmyself"),
        ("𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟", "killmyself"),
        # emoji become tokens, not nothing
        ("想🔪了自己", "想刀了自己"),
        ("💊全吃了", "药全吃了"),
        ("心碎💔", "心碎心碎"),
    ],
)
def test_folding(raw: str, folded: str) -> None:
    assert normalize(raw).text == folded


@pytest.mark.parametrize("raw", ["我 想 自 杀", "我\u200b想\u200b死", "想🔪了", "💔我想死", "ＡＢＣ 你好"])
def test_offsets_point_into_the_original(raw: str) -> None:
    norm = normalize(raw)
    assert len(norm.offsets) == len(norm.text)
    for i, off in enumerate(norm.offsets):
        assert 0 <= off < len(raw)
        if norm.text[i].isascii() or norm.text[i] == raw[off]:
            continue
    s, e = norm.original_span(0, len(norm.text))
    assert raw[s:e].strip() == raw.strip()


def test_span_of_a_word_in_the_original() -> None:
    raw = "今天好累 我 想 死"
    norm = normalize(raw)
    start = norm.text.index("想死")
    s, e = norm.original_span(start, start + 2)
    assert raw[s:e] == "想 死"


def test_syllable_views() -> None:
    assert to_pinyin("紫砂") == to_pinyin("自杀") == "zisha"
    assert to_syllables("紫砂")[0] == to_syllables("自杀")[0] == to_syllables("zisha")[0]
    norm = normalize("我想 zi sha 了")
    syl = norm.pinyin_text
    assert len(syl) == 5  # 我 想 zi sha 了
    assert norm.text[slice(*norm.syllable_index(2, 4))] == "zisha"
    assert to_syllables("hello")[0] == "hello"  # not pinyin: left alone


def test_embedding_text_keeps_words_and_clauses() -> None:
    assert embedding_text("I Want To Die!") == "i want to die!"
    assert embedding_text("我 想 死 真 的") == "我想死真的"
    assert embedding_text(" ".join("always here")) == "always here"
    assert embedding_text("我想自殺\u200b") == "我想自杀"
