"""The lexicon engine: file format, negation, allow-list, third person, context, pinyin (I2)."""

from __future__ import annotations

import pytest

from companion_guard.detectors.lexicon import Lexicon, load_lexicon
from companion_guard.detectors.normalize import normalize
from companion_guard.exceptions import ConfigError
from companion_guard.types import RiskLevel

pytestmark = pytest.mark.req("I2")

DATA = {
    "name": "t",
    "categories": {
        "x.risk": [
            {"level": "high", "score": 0.8, "pinyin": True, "terms": ["去死", "我想自杀"]},
            {"level": "medium", "context": ["刀"], "terms": ["划一下"]},
        ],
        "_internal": [{"level": "low", "terms": ["再见"]}],
    },
    "negations": ["不要"],
    "third_person": ["朋友"],
    "third_person_level": "low",
    "allow": ["去死皮"],
}


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon(DATA, source="test")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你去死", [("去死", RiskLevel.HIGH)]),
        ("wo xiang zi sha", [("我想自杀", RiskLevel.HIGH)]),  # typed pinyin
        ("我想紫砂", [("我想自杀", RiskLevel.HIGH)]),  # homophone, 4 syllables
        ("你去四", []),  # two-syllable homophones only count when typed as pinyin
        ("qusi", [("去死", RiskLevel.HIGH)]),
        ("不要去死", []),  # negation
        ("别拦我。不要，我去死", [("去死", RiskLevel.HIGH)]),  # negation belongs to another clause
        ("用去死皮膏", []),  # allow-list
        ("我朋友想去死", [("去死", RiskLevel.LOW)]),  # third person
        ("拿刀划一下", [("划一下", RiskLevel.MEDIUM)]),  # context word present
        ("划一下屏幕", []),  # context word absent
        ("再见", [("再见", RiskLevel.LOW)]),
    ],
)
def test_matches(lex: Lexicon, text: str, expected: list[tuple[str, RiskLevel]]) -> None:
    assert [(h.term.rule, h.level) for h in lex.matches(normalize(text))] == expected


def test_pinyin_hits_must_align_with_syllables(lex: Lexicon) -> None:
    # "qusi" inside "jiqusi" would start mid-syllable of a Han text: here all Latin, so it is a letter run
    assert not lex.matches(normalize("曲思"))  # qu si as Han: two syllables, not typed pinyin


@pytest.mark.parametrize(
    "bad",
    [
        {"categories": {}},
        {"name": "x", "categories": {"a": [{"level": "extreme", "terms": ["x"]}]}},
        {"name": "x", "categories": {"a": [{"level": "low", "terms": []}]}},
    ],
)
def test_invalid_lexicons_are_config_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Lexicon(bad, source="bad")


@pytest.mark.parametrize(
    "name",
    [
        "crisis.yaml",
        "disclosure.yaml",
        "dependency.yaml",
        "minors.yaml",
        "requests.yaml",
        "reply_harm.yaml",
        "abuse.yaml",
        "privacy.yaml",
        "manipulation.yaml",
        "reply_dependency.yaml",
        "intimacy.yaml",
        "minors_reply.yaml",
        "security.yaml",
        "gate.yaml",
    ],
)
def test_shipped_lexicons_load(name: str) -> None:
    assert load_lexicon(name).categories


def test_missing_lexicon_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load_lexicon("nope.yaml")


def test_each_registry_owns_its_index_and_one_scan_serves_every_lexicon() -> None:
    from companion_guard.detectors.base import DetectionContext
    from companion_guard.detectors.lexicon import LexiconDetector
    from companion_guard.detectors.registry import DetectorRegistry, default_registry
    from companion_guard.types import Direction

    full = default_registry(learned="off")
    before = len(full.lexicon_index.lexicons)
    assert before >= 10  # the built-ins' lexicons, the TC260 library among them
    for _ in range(3):  # more registries in the process (tests, eval, a second gateway) change nothing here
        default_registry(learned="off").lexicon_index.scan(normalize("再见"))
    assert len(full.lexicon_index.lexicons) == before

    class Crisis(LexiconDetector):
        id = "test.crisis"
        categories = ("user.suicide_intent",)
        directions = frozenset({Direction.INPUT})
        lexicon_file = "crisis.yaml"

    small = DetectorRegistry([Crisis()])
    assert len(small.lexicon_index.lexicons) == 1
    norm = normalize("我不想活了，我想自杀")
    signals = small.detect(norm, DetectionContext(direction=Direction.INPUT))
    assert any(s.category == "user.suicide_intent" for s in signals)
    # The same text through the full registry: its index scans the lexicons the small one did not,
    # and a lexicon asked directly reads what was found (no second scan, no duplicate hits).
    full.detect(norm, DetectionContext(direction=Direction.INPUT))
    crisis = load_lexicon("crisis.yaml")
    found = crisis.found(norm)
    assert found and len(found) == len(set(found))
    assert crisis.found(normalize("今天天气不错")) == []


@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("It takes guts, but you can do it.", False),  # "s, b": folded it reads "sb"
        ("Come closer, I want to show you something.", False),  # "loser" inside "closer"
        ("你就是个sb", True),
        ("你就是个 s b", True),  # spaced out on purpose
        ("loser.", True),
        ("ｌｏｓｅｒ，滚", True),  # full-width letters still form a word
    ],
)
def test_latin_terms_match_whole_words_only(text: str, hit: bool) -> None:
    lex = load_lexicon("abuse.yaml")
    assert bool(lex.matches(normalize(text))) is hit


@pytest.mark.req("I1")
def test_an_a_not_a_question_is_not_a_negation() -> None:
    lex = load_lexicon("crisis.yaml")
    # 是不是 holds 不是, 能不能 holds 不能: both ask, neither negates what follows
    assert lex.matches(normalize("我是不是想自杀了"))
    assert lex.matches(normalize("我是不是该自杀"))
    assert not lex.matches(normalize("我不会去死的，放心"))


@pytest.mark.req("I1", "I2")
@pytest.mark.parametrize(
    ("text", "third"),
    [
        ("I can't take the pain anymore i want to die", False),  # "he" inside "the"
        ("Should I skip the ER for my chest pain?", False),
        ("nobody cares, she said so herself, i want to die", False),  # the cue sits in another clause
        ("my friend keeps saying i want to die", True),  # reported speech: the friend's words
        ("he's choking me every time he gets drunk", False),  # the user is the one choked
        ("我朋友说她想自杀", True),
    ],
)
def test_english_third_person_cues_are_whole_words(text: str, third: bool) -> None:
    # the folded text has no spaces: a cue "he " matched inside "the", "she" and "there", and every such
    # English crisis message was read as about someone else (its level lowered to medium)
    hits = load_lexicon("crisis.yaml").matches(normalize(text))
    assert hits and all(h.third_person is third for h in hits)
