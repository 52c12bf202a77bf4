"""Figures for prohibited content (issue 13): the held-out writer's corpus and the measure-only public sets.

"Blocked" means what the gateway would do: the default pack, in the item's user group,
replaces the reply (reply items) or refuses or steers the request (user items) — the
same judgement as a turn, not a raw detector score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from companion_guard.detectors.base import DetectionContext
from companion_guard.evaluation import datasets as ds
from companion_guard.evaluation.corpus import reply_blocked
from companion_guard.types import Direction

#: Hard-negative kinds as writers tag them, folded into the families the figures report.
FAMILIES = (
    ("romance", ("romance", "affection", "flirt", "love", "intimacy", "couple")),
    (
        "refusal or safe answer",
        ("refus", "declin", "safe", "redirect", "warn", "explain", "report", "spot", "advice", "help", "law"),
    ),
    ("history, news, education", ("history", "news", "lesson", "educat", "museum", "homework", "school")),
    (
        "fiction, games, sport",
        ("fiction", "novel", "story", "game", "movie", "film", "sport", "plot", "boxing"),
    ),
    ("medical, health facts", ("medic", "health", "doctor", "sex_ed", "contracep", "debunk", "fact")),
    (
        "groups without demeaning",
        ("travel", "region", "religion", "culture", "food", "colleague", "elder", "disagree", "vent"),
    ),
)


def family(kind: str) -> str:
    """The hard-negative family of a writer's ``kind`` tag."""
    k = (kind or "").lower()
    for name, keys in FAMILIES:
        if any(key in k for key in keys):
            return name
    return "other"


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


@dataclass
class ProhibitedFigures:
    """Per label: [blocked, total]; healthy items by family: [blocked, total]; minimal pairs."""

    reply: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    reply_healthy: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    request: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    request_refused: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    request_healthy: list[int] = field(default_factory=lambda: [0, 0, 0])  # steered, refused, total
    #: Healthy messages replaced for a prohibited-content reason (a request or jailbreak head), not for help.
    request_healthy_prohibited: int = 0
    pairs: list[int] = field(default_factory=lambda: [0, 0])

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON form."""

        def rates(d: dict[str, list[int]]) -> dict[str, Any]:
            return {k: {"rate": _ratio(v[0], v[1]), "n": v[1]} for k, v in sorted(d.items())}

        return {
            "reply_recall": rates(self.reply),
            "reply_healthy_flagged": rates(self.reply_healthy),
            "reply_healthy_flagged_all": _ratio(
                sum(v[0] for v in self.reply_healthy.values()), sum(v[1] for v in self.reply_healthy.values())
            ),
            "request_caught": rates(self.request),
            "request_refused": rates(self.request_refused),
            "request_healthy_steered": _ratio(self.request_healthy[0], self.request_healthy[2]),
            "request_healthy_refused": _ratio(self.request_healthy[1], self.request_healthy[2]),
            "request_healthy_refused_prohibited": _ratio(
                self.request_healthy_prohibited, self.request_healthy[2]
            ),
            "request_healthy_n": self.request_healthy[2],
            "pairs_both_right": self.pairs[0],
            "pairs": self.pairs[1],
        }


def _prohibited_request(category: str) -> bool:
    """A signal that refuses a request for prohibited content (not a crisis or anti-fraud duty that answers with help)."""
    return category.startswith("user.request.") or category == "user.jailbreak"


def request_decision(guard: Any, item: dict[str, Any]) -> tuple[str, frozenset[str]]:
    """What the default pack does with this user message, and the categories of the rules that decided it."""
    from companion_guard.evaluation.corpus import _history
    from companion_guard.pipeline import user_groups

    age = item.get("user_age")
    groups = frozenset(user_groups(age, guard.policy.primary))
    ctx = DetectionContext(
        direction=Direction.INPUT, history=_history(item), user_age=age, user_groups=groups
    )
    signals = guard.registry.detect(str(item["text"]), ctx)
    decision = guard.policy.decide(signals, direction=Direction.INPUT, groups=groups)
    return str(decision.outcome), frozenset(t.signal.category for t in decision.triggered)


def evaluate(guard: Any, items: list[dict[str, Any]]) -> ProhibitedFigures:
    """Every item of a prohibited-content corpus file, judged as the gateway would."""
    fig = ProhibitedFigures()
    right: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        label = str(item.get("label", "none"))
        if item.get("direction") == "reply":
            blocked, _ = reply_blocked(guard, item | {"reply": item["text"]})
            if label == "none":
                row = fig.reply_healthy[family(str(item.get("kind", "")))]
                ok = not blocked
            else:
                key = f"{label} ({item['severity']})" if item.get("severity") else label
                row = fig.reply[key]
                ok = blocked
            row[0] += blocked
            row[1] += 1
        else:
            outcome, decided_by = request_decision(guard, item)
            if label == "none":
                fig.request_healthy[0] += outcome == "steer"
                fig.request_healthy[1] += outcome == "replace"
                fig.request_healthy[2] += 1
                fig.request_healthy_prohibited += outcome == "replace" and any(
                    map(_prohibited_request, decided_by)
                )
                ok = outcome != "replace"
            else:
                fig.request[label][0] += outcome != "allow"
                fig.request[label][1] += 1
                fig.request_refused[label][0] += outcome == "replace"
                fig.request_refused[label][1] += 1
                ok = outcome != "allow"
        if item.get("pair"):
            right[str(item["pair"])].append(ok)
    fig.pairs = [
        sum(1 for v in right.values() if len(v) > 1 and all(v)),
        sum(1 for v in right.values() if len(v) > 1),
    ]
    return fig


def measure_sets(guard: Any, root: Path, *, limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Blocked share of each ChineseHarm-Bench class, of random Weibo posts and of each DiaSafety val category
    (replies, user of unknown age)."""
    out: dict[str, dict[str, Any]] = {}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def add(name: str, reply: str, context: list[dict[str, str]]) -> None:
        c = counts[name]
        if limit is None or c[1] < limit:
            c[0] += reply_blocked(guard, {"reply": reply, "context": context})[0]
            c[1] += 1

    for row in ds.chinese_harm(root):
        add(f"ChineseHarm-Bench {row.label}", row.text, [])
    for row in ds.weibo(root, "normal"):  # random posts: what a feed check meets most
        add("Weibo random posts (normal.txt, harmless pool)", row.text, [])
    for row in ds.diasafety(root, "val"):
        add(
            f"DiaSafety val {row.meta['category']} {row.label}",
            row.text,
            [{"role": "user", "content": str(row.meta["context"])}],
        )
    for name, (blocked, n) in sorted(counts.items()):
        out[name] = {"flagged": _ratio(blocked, n), "n": n}
    return out


def markdown(fig: ProhibitedFigures, name: str, measured: dict[str, dict[str, Any]] | None = None) -> str:
    """The README table of these figures."""
    d = fig.as_dict()
    lines = [
        f"**Prohibited content, held-out writer** (`{name}`)",
        "",
        "| replies | blocked | n |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {_p(v['rate'])} | {v['n']} |" for k, v in d["reply_recall"].items()]
    lines += [
        f"| healthy: {k} | {_p(v['rate'])} flagged | {v['n']} |"
        for k, v in d["reply_healthy_flagged"].items()
    ]
    lines += ["", "| requests | steered or refused | refused by the gateway | n |", "|---|---|---|---|"]
    for k, v in d["request_caught"].items():
        lines.append(f"| {k} | {_p(v['rate'])} | {_p(d['request_refused'][k]['rate'])} | {v['n']} |")
    lines.append(
        f"| healthy messages | {_p(d['request_healthy_steered'])} steered | "
        f"{_p(d['request_healthy_refused'])} replaced ({_p(d['request_healthy_refused_prohibited'])} refused as "
        f"prohibited content, the rest answered with crisis or anti-fraud help) | {d['request_healthy_n']} |"
    )
    lines.append(f"\nMinimal pairs with both sides right: {d['pairs_both_right']}/{d['pairs']}.")
    if measured:
        lines += ["", "| measure set (reply direction) | flagged | n |", "|---|---|---|"]
        lines += [f"| {k} | {_p(v['flagged'])} | {v['n']} |" for k, v in measured.items()]
    return "\n".join(lines) + "\n"


def _p(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"
