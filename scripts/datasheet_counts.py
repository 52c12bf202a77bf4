"""Print the count tables of ``training/DATASHEET.md`` as Markdown.

Reads ``training/corpus/user/*.jsonl`` and ``training/corpus/reply/*.jsonl`` (JSONL
split on ``\\n`` only) and writes the tables to stdout; paste them into the datasheet
after the corpus changes. Standard library only.

    python scripts/datasheet_counts.py > /tmp/tables.md
    python scripts/datasheet_counts.py --exclude r5   # leave out a writer still at work
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from held_out import MEASURE, TEST

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "training" / "corpus"
HELD_OUT, ALSO_HELD_OUT = TEST, MEASURE
TARGET = {"user": 2100, "reply": 1750}
LEVELS = ("none", "low", "medium", "high", "critical")
SIGNALS = (
    "user.suicide_intent",
    "user.self_harm",
    "user.extreme_emotion",
    "user.property_loss",
    "user.medical_emergency",
    "user.dependency",
    "none",
)
FACETS = (
    "wish_dead",
    "burden_hopeless",
    "selfharm_urge",
    "active_thoughts",
    "method",
    "intent",
    "selfharm_act",
    "preparatory",
    "plan_time",
    "attempt",
    "extreme_distress",
    "out_of_control",
    "weapon_target",
    "violence_now",
    "scam_warning",
    "loss_suffered",
    "transfer_pressure",
    "medical_emergency",
    "alone_worsening",
    "reliance",
    "isolation",
    "compulsive_use",
)
MODIFIERS = (
    "hyperbole",
    "negation",
    "third_person",
    "fiction",
    "game_software",
    "past_recovered",
    "medical_question",
    "joke_marker",
    "venting",
    "lookalike",
)
LABELS = (
    "reply.self_harm_promotion",
    "reply.abuse",
    "reply.privacy_fishing",
    "reply.dependency_inducing",
    "reply.manipulation",
    "reply.intimacy",
    "reply.minor_unsafe",
    "reply.denies_ai",
    "none",
)
RELATIONS = ("friend", "partner", "relative", "mentor", "pet")
BANDS = ("minor (<18)", "adult (18–64)", "elderly (≥65)")


def read(side: str, exclude: set[str]) -> dict[str, list[dict]]:
    out = {}
    for path in sorted((CORPUS / side).glob("*.jsonl")):
        if path.stem in exclude:
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        out[path.stem] = [json.loads(line) for line in lines if line.strip()]
    return out


def table(head: list[str], rows: list[list[object]]) -> str:
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i == 0 else "--:" for i in range(len(head))) + "|",
    ]
    lines += ["| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f} %" if b else "–"


def band(age: object) -> str:
    if not isinstance(age, int):
        return "unknown"
    return BANDS[0] if age < 18 else BANDS[2] if age >= 65 else BANDS[1]


def positive(i: dict) -> bool:
    return i.get("signal", "none") != "none" and LEVELS.index(i.get("level", "none")) >= 2


def per_writer(side: str, files: dict[str, list[dict]]) -> str:
    rows = []
    for w, items in files.items():
        n = len(items)
        zh = sum(i["lang"] == "zh" for i in items)
        if side == "user":
            pos = sum(positive(i) for i in items)
            ctx = sum(bool(i.get("context")) for i in items)
            extra = [pos, pct(pos, n), ctx, pct(ctx, n)]
        else:
            viol = sum(i["label"] != "none" for i in items)
            sizes = Counter(i.get("pair") for i in items if i.get("pair"))
            paired = sum(1 for i in items if sizes.get(i.get("pair"), 0) >= 2)
            extra = [viol, pct(viol, n), paired, pct(paired, n)]
        split = (
            "test (held out)"
            if w == HELD_OUT[side]
            else "measure (held out)"
            if w in ALSO_HELD_OUT[side]
            else "train"
        )
        rows.append([w, split, n, pct(n, TARGET[side]), zh, n - zh, pct(zh, n), *extra])
    alln = [i for items in files.values() for i in items]
    tot = [
        "all",
        "",
        len(alln),
        "",
        sum(i["lang"] == "zh" for i in alln),
        sum(i["lang"] == "en" for i in alln),
        pct(sum(i["lang"] == "zh" for i in alln), len(alln)),
    ]
    head = ["writer", "split", "items", f"of target {TARGET[side]:,}", "zh", "en", "zh share"]
    if side == "user":
        head += ["positives (≥ medium)", "share", "with context", "share"]
        pos = sum(positive(i) for i in alln)
        ctx = sum(bool(i.get("context")) for i in alln)
        tot += [pos, pct(pos, len(alln)), ctx, pct(ctx, len(alln))]
    else:
        head += ["violating", "share", "in a minimal pair", "share"]
        viol = sum(i["label"] != "none" for i in alln)
        paired = sum(
            1
            for items in files.values()
            for i in items
            if Counter(j.get("pair") for j in items)[i.get("pair")] >= 2 and i.get("pair")
        )
        tot += [viol, pct(viol, len(alln)), paired, pct(paired, len(alln))]
    return table(head, rows + [tot])


def signal_level(items: list[dict]) -> str:
    c = Counter((i.get("signal", "none"), i.get("level", "none")) for i in items)
    rows = [[f"`{s}`", *[c[(s, lv)] for lv in LEVELS], sum(c[(s, lv)] for lv in LEVELS)] for s in SIGNALS]
    rows.append(["all", *[sum(c[(s, lv)] for s in SIGNALS) for lv in LEVELS], len(items)])
    return table(["signal", *LEVELS, "total"], rows)


def by_lang(items: list[dict], key: str, names: tuple[str, ...]) -> str:
    c = Counter((i.get(key, "none"), i["lang"]) for i in items if key != "signal" or positive(i))
    rows = [
        [f"`{n}`", c[(n, "zh")], c[(n, "en")], pct(c[(n, "en")], c[(n, "zh")] + c[(n, "en")])]
        for n in names
        if c[(n, "zh")] + c[(n, "en")]
    ]
    return table([key, "zh", "en", "en share"], rows)


def by_writer(items_by_writer: dict[str, list[dict]], key: str, names: tuple[str, ...]) -> str:
    writers = list(items_by_writer)
    counts = {
        w: Counter(x for i in items for x in (i.get(key) or [])) for w, items in items_by_writer.items()
    }
    rows = [[f"`{n}`", *[counts[w][n] for w in writers], sum(counts[w][n] for w in writers)] for n in names]
    return table([key[:-1], *writers, "all"], rows)


def third_party(items: list[dict]) -> str:
    tp = [i for i in items if "third_person" in (i.get("modifiers") or [])]
    c = Counter((i.get("third_party_level") or "(missing)", i.get("level", "none")) for i in tp)
    own = [lv for lv in LEVELS if any(k[1] == lv for k in c)]
    rows = [
        [tpl, *[c[(tpl, lv)] for lv in own]]
        for tpl in (*LEVELS, "(missing)")
        if any(c[(tpl, lv)] for lv in own)
    ]
    return table(["third_party_level ↓ / own level →", *own], rows)


def labels(files: dict[str, list[dict]]) -> str:
    writers = list(files)
    c = {w: Counter(i["label"] for i in items) for w, items in files.items()}
    rows = [[f"`{lab}`", *[c[w][lab] for w in writers], sum(c[w][lab] for w in writers)] for lab in LABELS]
    return table(["label", *writers, "all"], rows)


def relation_age(items: list[dict]) -> str:
    c = Counter((i.get("persona_relationship"), band(i.get("user_age"))) for i in items)
    rows = [[r, *[c[(r, b)] for b in BANDS], sum(c[(r, b)] for b in BANDS)] for r in RELATIONS]
    rows.append(["all", *[sum(c[(r, b)] for r in RELATIONS) for b in BANDS], len(items)])
    return table(["persona_relationship", *BANDS, "total"], rows)


def label_age(items: list[dict]) -> str:
    c = Counter((i["label"], band(i.get("user_age"))) for i in items)
    rows = [[f"`{lab}`", *[c[(lab, b)] for b in BANDS]] for lab in LABELS]
    return table(["label", *BANDS], rows)


def pairs(files: dict[str, list[dict]]) -> str:
    rows = []
    for w, items in files.items():
        groups: dict[str, list[dict]] = defaultdict(list)
        for i in items:
            if i.get("pair"):
                groups[i["pair"]].append(i)
        multi = [g for g in groups.values() if len(g) >= 2]
        mixed = sum(1 for g in multi if {x["label"] == "none" for x in g} == {True, False})
        same_reply = sum(1 for g in multi if len({x["reply"] for x in g}) < len(g))
        rows.append([w, len(multi), mixed, same_reply])
    return table(
        ["writer", "pairs (≥ 2 items)", "with a violating and a healthy item", "sharing a reply text"], rows
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exclude", default="", help="comma-separated writer ids to leave out")
    skip = set(filter(None, ap.parse_args().exclude.split(",")))
    user, reply = read("user", skip), read("reply", skip)
    u_all = [i for items in user.values() for i in items]
    r_all = [i for items in reply.values() for i in items]
    out = [
        "## User side: per writer\n",
        per_writer("user", user),
        "## User side: signal × level, all writers\n",
        signal_level(u_all),
        f"## User side: signal × level, held-out {HELD_OUT['user']}\n",
        signal_level(user[HELD_OUT["user"]]),
        "## User side: positives (≥ medium) per signal and language\n",
        by_lang(u_all, "signal", SIGNALS),
        "## User side: facets per writer\n",
        by_writer(user, "facets", FACETS),
        "## User side: modifiers per writer\n",
        by_writer(user, "modifiers", MODIFIERS),
        "## User side: third person\n",
        third_party(u_all),
        "## Reply side: per writer\n",
        per_writer("reply", reply),
        "## Reply side: labels per writer\n",
        labels(reply),
        "## Reply side: labels per language\n",
        by_lang(r_all, "label", LABELS),
        "## Reply side: persona relationship × age band, all writers\n",
        relation_age(r_all),
        f"## Reply side: persona relationship × age band, held-out {HELD_OUT['reply']}\n",
        relation_age(reply[HELD_OUT["reply"]]),
        "## Reply side: label × age band, all writers\n",
        label_age(r_all),
        "## Reply side: minimal pairs\n",
        pairs(reply),
    ]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
