"""The pure decision core: signals + who the user is → what happens. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from companion_guard.policy.schema import OUTCOME_ORDER, Action, ActionKind, PolicyPack, Rule
from companion_guard.types import Direction, RiskLevel, Signal


@dataclass(frozen=True, slots=True)
class Triggered:
    """A rule that fired, the action to take, and the strongest signal that fired it."""

    pack: str
    rule: Rule
    action: Action
    signal: Signal


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy decided for one text, with the rules that made it (kept for audit)."""

    outcome: str = "allow"
    triggered: tuple[Triggered, ...] = ()
    signals: tuple[Signal, ...] = ()

    @property
    def max_level(self) -> RiskLevel:
        """The strongest level among the signals that fired a rule."""
        return max((t.signal.level for t in self.triggered), default=RiskLevel.NONE)

    def actions(self, kind: ActionKind) -> list[Triggered]:
        """The triggered actions of one kind, de-duplicated by (rule, action)."""
        seen: set[tuple[str, int]] = set()
        out = []
        for t in self.triggered:
            key = (t.rule.id, id(t.action))
            if t.action.kind is kind and key not in seen:
                seen.add(key)
                out.append(t)
        return out

    def rules_json(self) -> list[dict[str, Any]]:
        """The fired rules as stored with the turn."""
        seen: dict[str, dict[str, Any]] = {}
        for t in self.triggered:
            seen.setdefault(
                f"{t.pack}:{t.rule.id}",
                {
                    "pack": t.pack,
                    "rule": t.rule.id,
                    "requirement": t.rule.requirement,
                    "category": t.signal.category,
                    "level": t.signal.level.label,
                },
            )
        return list(seen.values())


@dataclass(slots=True)
class PolicyEngine:
    """Evaluates every pack in force; the strictest outcome wins."""

    packs: Sequence[PolicyPack]
    _index: dict[tuple[Direction, str], list[tuple[str, Rule]]] = field(init=False)

    def __post_init__(self) -> None:
        self._index = {}
        for pack in self.packs:
            for rule in pack.rules:
                for category in rule.categories:
                    self._index.setdefault((rule.direction, category), []).append((pack.id, rule))

    @property
    def primary(self) -> PolicyPack:
        """The first pack: its settings (usage, disclosure, messages) apply."""
        return self.packs[0]

    def decide(self, signals: Iterable[Signal], *, direction: Direction, groups: frozenset[str]) -> Decision:
        """Match signals against rules for a user in ``groups`` (e.g. {"minor", "any"})."""
        signals = tuple(signals)
        best: dict[tuple[str, str], Signal] = {}
        rules: dict[tuple[str, str], Rule] = {}
        for signal in signals:
            for pack_id, rule in self._index.get((direction, signal.category), ()):
                if signal.level < rule.min_level:
                    continue
                if not ({"any", *groups} & set(rule.user_groups)):
                    continue
                key = (pack_id, rule.id)
                prev = best.get(key)
                if prev is None or (signal.level, signal.score) > (prev.level, prev.score):
                    best[key] = signal
                    rules[key] = rule
        triggered = tuple(
            Triggered(pack_id, rules[(pack_id, rid)], action, best[(pack_id, rid)])
            for (pack_id, rid) in best
            for action in rules[(pack_id, rid)].actions
        )
        outcome = "allow"
        for t in triggered:
            candidate = {ActionKind.REPLACE: "replace", ActionKind.STEER: "steer"}.get(t.action.kind)
            if candidate and OUTCOME_ORDER[candidate] > OUTCOME_ORDER[outcome]:
                outcome = candidate
        return Decision(outcome=outcome, triggered=triggered, signals=signals)
