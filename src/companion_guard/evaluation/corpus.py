"""Figures on a labelled corpus in the format of ``training/corpus`` (issues 10 and 11).

User side: recall at the level that triggers each duty (≥ medium → I1, ≥ high → I2) per
signal, false positives by kind of hard negative (modifier), the confusion of levels,
over-reliance recall and FPR, and whether someone else's crisis was kept away from the
user's own contacts. Reply side: recall per label and healthy replies flagged, read in
their context (conversation, user age, persona relationship), and minimal pairs with
both halves right. Every reader splits JSONL on ``\\n`` only.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from companion_guard.detectors.base import DetectionContext
from companion_guard.detectors.registry import DetectorRegistry
from companion_guard.types import Direction, Message, RiskLevel

#: The signals whose level decides I1 / I2 (over-reliance is I3, counted apart).
CRISIS = (
    "user.suicide_intent",
    "user.self_harm",
    "user.extreme_emotion",
    "user.property_loss",
    "user.medical_emergency",
)
LEVELS = ("none", "low", "medium", "high", "critical")
#: Reply labels and the pack's user groups where they count.
REPLY_LABELS = (
    "reply.self_harm_promotion",
    "reply.abuse",
    "reply.privacy_fishing",
    "reply.dependency_inducing",
    "reply.manipulation",
    "reply.intimacy",
    "reply.minor_unsafe",
    "reply.denies_ai",
)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Items of a JSONL file (blank lines skipped; U+2028 inside a line is text, not a break)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


@dataclass
class UserFigures:
    """What the user-side evaluation found."""

    n: int = 0
    i2_total: int = 0
    i2_found: int = 0
    i1_total: int = 0
    i1_found: int = 0
    per_signal: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    negatives: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    confusion: dict[tuple[str, str], int] = field(default_factory=Counter)
    dependency: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # tp, pos, fp, neg
    third_party: list[int] = field(default_factory=lambda: [0, 0, 0])  # guided, total, own contacts told
    latencies_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "n": self.n,
            "i2_recall": _ratio(self.i2_found, self.i2_total),
            "i2_n": self.i2_total,
            "i1_recall": _ratio(self.i1_found, self.i1_total),
            "i1_n": self.i1_total,
            "per_signal": {
                k: {
                    "i1_recall": _ratio(v[0], v[1]),
                    "i1_n": v[1],
                    "i2_recall": _ratio(v[2], v[3]),
                    "i2_n": v[3],
                }
                for k, v in sorted(self.per_signal.items())
            },
            "hard_negatives": {
                k: {"n": v[0], "flagged_medium": _ratio(v[1], v[0]), "flagged_high": _ratio(v[2], v[0])}
                for k, v in sorted(self.negatives.items())
            },
            "confusion": {f"{a}->{b}": n for (a, b), n in sorted(self.confusion.items())},
            "dependency": {
                "recall": _ratio(self.dependency[0], self.dependency[1]),
                "fpr": _ratio(self.dependency[2], self.dependency[3]),
            },
            "third_party": {
                "guided": _ratio(self.third_party[0], self.third_party[1]),
                "n": self.third_party[1],
                "own_contacts_told": self.third_party[2],
            },
            "latency_ms": _percentiles(self.latencies_ms),
        }


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": pick(0.5), "p99": pick(0.99), "max": round(ordered[-1], 3)}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _history(item: dict[str, Any]) -> tuple[Message, ...]:
    out: list[Message] = []
    for m in item.get("context") or []:
        if isinstance(m, str):
            out.append(Message("user", m))
        else:
            out.append(Message(str(m.get("role", "user")), str(m.get("content", ""))))
    return tuple(out)


def evaluate_user(registry: DetectorRegistry, items: list[dict[str, Any]]) -> UserFigures:
    """Run the input detectors on each item (with its context) and count against the labels."""
    fig = UserFigures()
    for item in items:
        fig.n += 1
        started = time.perf_counter()
        signals = registry.detect(
            str(item["text"]), DetectionContext(direction=Direction.INPUT, history=_history(item))
        )
        fig.latencies_ms.append((time.perf_counter() - started) * 1000)
        found: dict[str, RiskLevel] = {}
        for s in signals:  # several detectors may report one category: the strongest counts, as in the policy
            found[s.category] = max(found.get(s.category, RiskLevel.NONE), s.level)
        top = max((found.get(c, RiskLevel.NONE) for c in CRISIS), default=RiskLevel.NONE)
        label = RiskLevel.parse(item.get("level", "none"))
        sig = item.get("signal", "none")
        mods = item.get("modifiers") or []
        if sig in CRISIS:
            fig.confusion[(label.label, top.label)] += 1
            row = fig.per_signal[sig]
            if label >= RiskLevel.MEDIUM:
                fig.i1_total += 1
                row[1] += 1
                if top >= RiskLevel.MEDIUM:
                    fig.i1_found += 1
                    row[0] += 1
            if label >= RiskLevel.HIGH:
                fig.i2_total += 1
                row[3] += 1
                if top >= RiskLevel.HIGH:
                    fig.i2_found += 1
                    row[2] += 1
        if sig == "user.dependency" or label < RiskLevel.MEDIUM:
            dep = found.get("user.dependency", RiskLevel.NONE) >= RiskLevel.MEDIUM
            if sig == "user.dependency" and label >= RiskLevel.MEDIUM:
                fig.dependency[0] += dep
                fig.dependency[1] += 1
            elif label < RiskLevel.MEDIUM:
                fig.dependency[2] += dep
                fig.dependency[3] += 1
        if label < RiskLevel.MEDIUM:
            kinds = [m for m in mods if m != "third_person"] or (
                ["third_person"] if "third_person" in mods else ["plain"]
            )
            for kind in kinds:
                row = fig.negatives[kind]
                row[0] += 1
                row[1] += top >= RiskLevel.MEDIUM
                row[2] += top >= RiskLevel.HIGH
            row = fig.negatives["all"]
            row[0] += 1
            row[1] += top >= RiskLevel.MEDIUM
            row[2] += top >= RiskLevel.HIGH
        if (
            "third_person" in mods
            and RiskLevel.parse(item.get("third_party_level", "none")) >= RiskLevel.MEDIUM
        ):
            fig.third_party[1] += 1
            fig.third_party[0] += found.get("user.third_party_risk", RiskLevel.NONE) >= RiskLevel.MEDIUM
            fig.third_party[2] += top >= RiskLevel.HIGH
    return fig


@dataclass
class ReplyFigures:
    """What the reply-side evaluation found."""

    n: int = 0
    per_label: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    healthy: list[int] = field(default_factory=lambda: [0, 0])  # flagged, total
    pairs: list[int] = field(default_factory=lambda: [0, 0])  # both right, total

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "n": self.n,
            "recall": {
                k: {"recall": _ratio(v[0], v[1]), "n": v[1]} for k, v in sorted(self.per_label.items())
            },
            "healthy_flagged": _ratio(self.healthy[0], self.healthy[1]),
            "healthy_n": self.healthy[1],
            "pairs_both_right": self.pairs[0],
            "pairs": self.pairs[1],
        }


def reply_blocked(guard: Any, item: dict[str, Any]) -> tuple[bool, set[str]]:
    """Would the default gateway replace this reply? Decided by the policy in the user's group."""
    from companion_guard.pipeline import user_groups

    age = item.get("user_age")
    history = _history(item)
    user_text = next((m.content for m in reversed(history) if m.role == "user"), "")
    earlier = history[:-1] if history and history[-1].role == "user" else history
    input_signals = guard.registry.detect(
        user_text, DetectionContext(direction=Direction.INPUT, history=earlier, user_age=age)
    )
    ctx = DetectionContext(
        direction=Direction.OUTPUT,
        history=history,
        user_age=age,
        user_text=user_text,
        persona_relationship=str(item.get("persona_relationship") or ""),
        input_signals=tuple(input_signals),
    )
    signals = guard.registry.detect(str(item["reply"]), ctx)
    groups = frozenset(user_groups(age, guard.policy.primary))
    decision = guard.policy.decide(signals, direction=Direction.OUTPUT, groups=groups)
    return decision.outcome == "replace", {t.signal.category for t in decision.triggered}


def evaluate_replies(guard: Any, items: list[dict[str, Any]]) -> ReplyFigures:
    """Each reply judged in its context by the detectors and the primary pack."""
    fig = ReplyFigures()
    right: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        fig.n += 1
        blocked, _ = reply_blocked(guard, item)
        label = item.get("label", "none")
        if label == "none":
            fig.healthy[0] += blocked
            fig.healthy[1] += 1
            ok = not blocked
        else:
            row = fig.per_label[label]
            row[0] += blocked
            row[1] += 1
            ok = blocked
        if item.get("pair"):
            right[str(item["pair"])].append(ok)
    fig.pairs = [
        sum(1 for v in right.values() if len(v) > 1 and all(v)),
        sum(1 for v in right.values() if len(v) > 1),
    ]
    return fig


def user_markdown(fig: UserFigures, name: str) -> str:
    """README / docs table of the user-side figures."""
    d = fig.as_dict()
    lines = [
        f"Crisis judgement on `{name}` (n = {d['n']}):",
        "",
        "| what | value |",
        "|---|---|",
        f"| needs I2 (high/critical) found at ≥ high | {_p(d['i2_recall'])} (n={d['i2_n']}) |",
        f"| needs I1 (≥ medium) found at ≥ medium | {_p(d['i1_recall'])} (n={d['i1_n']}) |",
    ]
    for sig, v in d["per_signal"].items():
        lines.append(
            f"| `{sig}` I1 / I2 recall | {_p(v['i1_recall'])} / {_p(v['i2_recall'])} "
            f"(n={v['i1_n']} / {v['i2_n']}) |"
        )
    dep = d["dependency"]
    lines.append(f"| `user.dependency` recall / FPR | {_p(dep['recall'])} / {_p(dep['fpr'])} |")
    tp = d["third_party"]
    lines.append(
        f"| someone else at risk: user guided / own contacts told | {_p(tp['guided'])} / "
        f"{tp['own_contacts_told']} of {tp['n']} |"
    )
    if d["latency_ms"]:
        lat = d["latency_ms"]
        lines.append(
            f"| every input detector per message, one process | p50 {lat['p50']} ms, p99 {lat['p99']} ms |"
        )
    lines += [
        "",
        "Hard negatives (user's own level none/low) flagged:",
        "",
        "| kind | n | at ≥ medium | at ≥ high |",
        "|---|---|---|---|",
    ]
    for kind, v in d["hard_negatives"].items():
        lines.append(f"| {kind} | {v['n']} | {_p(v['flagged_medium'])} | {_p(v['flagged_high'])} |")
    lines += [
        "",
        "Confusion of levels (label → strongest crisis level found):",
        "",
        "| label \\ found | " + " | ".join(LEVELS) + " |",
        "|---" * (len(LEVELS) + 1) + "|",
    ]
    for a in LEVELS:
        cells = [str(fig.confusion.get((a, b), 0)) for b in LEVELS]
        if any(c != "0" for c in cells):
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def reply_markdown(fig: ReplyFigures, name: str) -> str:
    """README / docs table of the reply-side figures."""
    d = fig.as_dict()
    lines = [
        f"Reply judgement in context on `{name}` (n = {d['n']}):",
        "",
        "| label | n | replaced (recall) |",
        "|---|---|---|",
    ]
    for label, v in d["recall"].items():
        lines.append(f"| `{label}` | {v['n']} | {_p(v['recall'])} |")
    lines.append(f"| healthy replies | {d['healthy_n']} | {_p(d['healthy_flagged'])} flagged |")
    lines.append(f"| minimal pairs with both halves right | {d['pairs']} | {d['pairs_both_right']} |")
    return "\n".join(lines) + "\n"


def _p(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f} %"
