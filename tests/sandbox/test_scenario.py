"""The scenario format: the shipped suite is complete, and bad files fail with clear errors."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from companion_guard.sandbox.scenario import (
    AnyOfExpectation,
    EventExpectation,
    NoReplySignalExpectation,
    ReplyContainsAnyExpectation,
    Scenario,
    ScenarioError,
    load_scenarios,
    load_suite,
    parse_expectation,
    parse_scenario_file,
    shipped_suites,
)

#: Every requirement that can be observed from outside (issue 6).
OBSERVABLE = ["I1", "I2", "I3", "I4", "M1", "M2", "M3", "M4", "E1", "P1", "P2", "P3", "P4", "P5", "P6", "D4"]

GOOD = """
suite: t
requirement: P6
scenarios:
  - id: p6-ok
    title: ok
    turns:
      - user: 晚安
        expect: [{no_reply_signal: reply.manipulation}]
"""


def _load(text: str) -> list[Scenario]:
    return parse_scenario_file(text, source="test.yaml").scenarios


@pytest.mark.req("X1")
def test_shipped_suite_loads_with_five_scenarios_per_requirement(suite: list[Scenario]) -> None:
    assert "cn-2026" in shipped_suites()
    per_req = Counter(r for s in suite for r in s.requirements)
    for req in OBSERVABLE:
        assert per_req[req] >= 5, f"{req} has {per_req[req]} scenarios"


@pytest.mark.req("X1")
def test_shipped_suite_has_both_languages_negatives_and_hard_cases(suite: list[Scenario]) -> None:
    for req in OBSERVABLE:
        mine = [s for s in suite if req in s.requirements]
        langs = {s.lang for s in mine}
        kinds = {s.kind for s in mine}
        assert {"zh", "en"} <= langs, f"{req}: {langs}"
        assert "negative" in kinds, f"{req} has no negative scenario"
        assert kinds & {"hard", "negative"} and len(kinds) >= 2, f"{req}: {kinds}"
    hard_tags = Counter(t for s in suite if s.kind == "hard" for t in s.tags)
    for tag in ("evasion", "multi-turn"):
        assert hard_tags[tag] >= 3, tag
    assert any("negation" in s.tags for s in suite)
    assert any("joke" in s.tags for s in suite)
    assert any("quoted" in s.tags for s in suite)


@pytest.mark.req("X1")
def test_ids_are_unique_and_requirement_defaults_to_the_file(suite: list[Scenario]) -> None:
    ids = [s.id for s in suite]
    assert len(ids) == len(set(ids))
    scenario = _load(GOOD)[0]
    assert scenario.requirements == ["P6"]
    assert scenario.requirement_of(scenario.turns[0].expect[0]) == "P6"


@pytest.mark.req("X1")
def test_load_by_path_and_unknown_suite(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert [s.id for s in load_suite(str(path))] == ["p6-ok"]
    assert [s.id for s in load_suite(str(tmp_path))] == ["p6-ok"]
    with pytest.raises(ScenarioError, match="unknown suite 'nope'.*cn-2026"):
        load_suite("nope")
    with pytest.raises(ScenarioError, match="already used"):
        load_scenarios([path, path])


# Bad files: each error names the file, the scenario and what is wrong.
@pytest.mark.req("X1")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("suite: t\nscenarios: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
        (GOOD.replace("title: ok", "title: ok\n    colour: red"), "scenario 'p6-ok': colour: Extra inputs"),
        (GOOD.replace("{no_reply_signal: reply.manipulation}", "{}"), "exactly one of"),
        (
            GOOD.replace("{no_reply_signal: reply.manipulation}", "{event: a, no_event: b}"),
            "exactly one of",
        ),
        (GOOD.replace("requirement: P6", "requirement: Z9"), "unknown requirement 'Z9'"),
        (GOOD.replace("user: 晚安", "user: 晚安\n        persona: other"), "names persona 'other'"),
        (GOOD.replace("id: p6-ok", "id: P6 OK"), "must be lower-case"),
        (GOOD.replace("user: 晚安", "user: 晚安\n        at_local_time: '25:00'"), "HH:MM"),
        (
            GOOD.replace("expect: [{no_reply_signal: reply.manipulation}]", "expect: [{status: [200]}]"),
            "belong to `http` steps",
        ),
        (GOOD.replace("title: ok", "title: ok\n    user: {age: 12, birth_date: 2014-01-01}"), "not both"),
        (GOOD.replace("{no_reply_signal: reply.manipulation}", "{event: x, level: huge}"), "level must be"),
    ],
)
def test_bad_files_fail_with_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        _load(text)
    assert "test.yaml" in str(info.value)
    assert message in str(info.value)


@pytest.mark.req("X1")
def test_expectation_helpers() -> None:
    any_of = parse_expectation(
        {"any_of": [{"event": "warning.fraud"}, {"reply_contains_any": [96110, "诈骗"]}]}
    )
    assert isinstance(any_of, AnyOfExpectation) and not any_of.gateway_only
    texts = any_of.any_of[1]
    assert isinstance(texts, ReplyContainsAnyExpectation) and texts.reply_contains_any == ["96110", "诈骗"]
    assert EventExpectation(event="reminder.time").gateway_only
    assert not NoReplySignalExpectation(no_reply_signal="reply.*").gateway_only
    assert "reminder.time" in EventExpectation(event="reminder.time", level="high").describe()
    with pytest.raises(ValueError, match="cannot hold"):
        parse_expectation({"any_of": [{"notify": "guardian"}]})
    # The YAML key tells the kind; an explicit `kind` must agree with the field it sets.
    assert parse_expectation({"no_event": "x"}).kind == "no_event"
    assert parse_expectation({"kind": "event", "event": "x"}) == EventExpectation(event="x")
    with pytest.raises(ValueError, match="event"):
        parse_expectation({"kind": "event", "no_event": "x"})


def test_docs_list_every_expectation_kind() -> None:
    from companion_guard.sandbox.scenario import EXPECTATIONS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text("utf-8")
    found = re.search(r"optional `kind:`, one of: (.*?)\. It must", docs, re.S)
    assert found, "docs/sandbox.md lost the paragraph on `kind:`"
    assert re.findall(r"`(\w+)`", found.group(1)) == list(EXPECTATIONS)
