"""The pure policy core: graded levels, user groups, strictest action wins, fail-closed loading."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from companion_guard.exceptions import ConfigError
from companion_guard.pipeline import user_groups
from companion_guard.policy import PolicyEngine, load_pack
from companion_guard.types import Direction, RiskLevel, Signal

PACK = load_pack("cn-2026")
ENGINE = PolicyEngine([PACK])


def sig(category: str, level: RiskLevel) -> Signal:
    return Signal(category=category, level=level, score=0.9, detector="test")


@pytest.mark.req("S2")
@pytest.mark.parametrize(
    ("age", "groups"),
    [
        (None, {"unknown", "minor"}),
        (9, {"child", "minor"}),
        (13, {"child", "minor"}),
        (14, {"minor"}),
        (17, {"minor"}),
        (18, {"adult"}),
        (59, {"adult"}),
        (60, {"elderly", "adult"}),
        (88, {"elderly", "adult"}),
    ],
)
def test_user_groups_by_age(age: int | None, groups: set[str]) -> None:
    assert user_groups(age, PACK) == groups


@pytest.mark.req("S2")
@pytest.mark.parametrize(
    ("level", "outcome"),
    [
        (RiskLevel.LOW, "allow"),
        (RiskLevel.MEDIUM, "steer"),
        (RiskLevel.HIGH, "replace"),
        (RiskLevel.CRITICAL, "replace"),
    ],
)
def test_actions_scale_with_level(level: RiskLevel, outcome: str) -> None:
    d = ENGINE.decide(
        [sig("user.suicide_intent", level)], direction=Direction.INPUT, groups=frozenset({"adult"})
    )
    assert d.outcome == outcome


@pytest.mark.req("S2", "M1")
def test_minor_only_rules_apply_by_group() -> None:
    s = [sig("reply.intimacy", RiskLevel.LOW)]
    assert ENGINE.decide(s, direction=Direction.OUTPUT, groups=frozenset({"adult"})).outcome == "allow"
    assert ENGINE.decide(s, direction=Direction.OUTPUT, groups=frozenset({"minor"})).outcome == "replace"
    assert (
        ENGINE.decide(s, direction=Direction.OUTPUT, groups=frozenset({"unknown", "minor"})).outcome
        == "replace"
    )


@pytest.mark.req("I2")
def test_strictest_action_wins_and_rules_are_recorded() -> None:
    d = ENGINE.decide(
        [sig("user.extreme_emotion", RiskLevel.MEDIUM), sig("user.suicide_intent", RiskLevel.CRITICAL)],
        direction=Direction.INPUT,
        groups=frozenset({"minor"}),
    )
    assert d.outcome == "replace"
    rules = {r["rule"] for r in d.rules_json()}
    assert {"crisis.intent_high", "crisis.intent_high_minor", "crisis.distress"} <= rules
    assert d.max_level is RiskLevel.CRITICAL


def test_direction_matters() -> None:
    d = ENGINE.decide(
        [sig("user.suicide_intent", RiskLevel.CRITICAL)],
        direction=Direction.OUTPUT,
        groups=frozenset({"adult"}),
    )
    assert d.outcome == "allow" and not d.triggered


def _pack_dict() -> dict:
    from importlib import resources

    return yaml.safe_load(
        resources.files("companion_guard.policy").joinpath("packs", "cn-2026.yaml").read_text("utf-8")
    )


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("rules"), "rules"),
        (lambda d: d["rules"][0].update(min_level="extreme"), "extreme"),
        (lambda d: d["rules"][0].update(colour="red"), "colour"),
        (
            lambda d: d["rules"][0]["actions"].append({"kind": "replace", "template": "nope"}),
            "unknown template",
        ),
        (lambda d: d["rules"][0]["actions"].append({"kind": "notify", "target": "boss"}), "unknown target"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "appears twice"),
        (lambda d: d["messages"]["reminder.time"].pop("en"), "lacks"),
        (lambda d: d["help_resources"].pop("default"), "default"),
    ],
)
def test_invalid_packs_are_refused(tmp_path: Path, mutate, fragment: str) -> None:  # type: ignore[no-untyped-def]
    data = _pack_dict()
    mutate(data)
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        load_pack(str(path))


def test_not_yaml_and_missing_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_pack(str(bad))
    with pytest.raises(ConfigError, match="cannot read"):
        load_pack(str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="unknown policy pack"):
        load_pack("xx-1999")
