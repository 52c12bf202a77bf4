#!/usr/bin/env python
"""How often the TC260-003 keyword library fires on harmless text, and what it finds in harmful text.

Harmless text: the healthy items of the project's corpora (``label``/``signal`` ==
"none" in ``training/corpus/user/*.jsonl`` and ``training/corpus/reply/*.jsonl``) and,
for measuring only, ``../shared/data/weibo-suicide-detect-svm/normal.txt`` and the
不违规 items of ``../shared/data/ChineseHarm-Bench/bench.json``. Recall-style figures
come from ChineseHarm-Bench's violating classes. Only counts and the library's own
TERMS are printed, never a text of those sets.

A hit is counted as the detector reports it (negations, allow-lists and frames
applied): ``high`` is a hit at high after framing, ``any`` a hit at any level.

    python scripts/keyword_false_hits.py            # false hits, offending terms, recall
    python scripts/keyword_false_hits.py --terms 40 # more offending terms per list
    python scripts/keyword_false_hits.py --cost     # load time and scan time per message
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BENCH = SHARED / "ChineseHarm-Bench" / "bench.json"
WEIBO = SHARED / "weibo-suicide-detect-svm" / "normal.txt"
#: ChineseHarm-Bench classes whose texts should mostly hit.
HARM_CLASSES = ("低俗色情", "博彩", "欺诈", "黑产广告", "谩骂引战")
#: The goal: high terms fire on at most this share of harmless texts.
HIGH_GOAL = 0.005


def corpus_none(kind: str) -> list[str]:
    """Healthy items of the project's user or reply corpus."""
    out = []
    for path in sorted((ROOT / "training" / "corpus" / kind).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("label", row.get("signal")) == "none":
                    out.append(str(row.get("text", row.get("reply", ""))))
    return out


def bench(label: str | None = None) -> list[tuple[str, str]]:
    """``(label, text)`` of ChineseHarm-Bench (empty when the set is absent)."""
    if not BENCH.is_file():
        return []
    rows = json.loads(BENCH.read_text(encoding="utf-8"))
    return [(r["标签"], r["文本"]) for r in rows if label is None or r["标签"] == label]


def weibo() -> list[str]:
    """Ordinary Weibo posts (empty when the set is absent)."""
    if not WEIBO.is_file():
        return []
    return [line for line in WEIBO.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


def scan(texts: list[str]):  # type: ignore[no-untyped-def]
    """Per text: ``{risk: (effective level, term)}`` of what the library keeps."""
    from companion_guard.detectors.builtin.prohibited_keywords import _LOWER, tc260_library
    from companion_guard.detectors.normalize import normalize

    library = tc260_library()
    out = []
    for text in texts:
        norm = normalize(text)
        found: list[tuple[str, object, str]] = []
        for source in library:
            hits = source.lexicon.matches(norm)
            if not hits:
                continue
            framed = bool(source.framed(norm))
            for hit in hits:
                level = _LOWER.get(hit.level, hit.level) if framed else hit.level
                found.append((source.risk, level, hit.term.rule))
        out.append(found)
    return out


def false_hits(sources: dict[str, list[str]], n_terms: int) -> None:
    from companion_guard.types import RiskLevel

    per_risk_high: Counter[str] = Counter()
    per_risk_any: Counter[str] = Counter()
    high_terms: Counter[str] = Counter()
    any_terms: Counter[str] = Counter()
    total = 0
    print(f"{'harmless source':28} {'texts':>7} {'any hit':>9} {'high hit':>9}")
    for name, texts in sources.items():
        if not texts:
            print(f"{name:28} {'absent':>7}")
            continue
        found = scan(texts)
        n_any = sum(1 for f in found if f)
        n_high = sum(1 for f in found if any(lv >= RiskLevel.HIGH for _, lv, _ in f))
        print(f"{name:28} {len(texts):7d} {n_any / len(texts):9.2%} {n_high / len(texts):9.2%}")
        total += len(texts)
        for f in found:
            for risk in {r for r, _, _ in f}:
                per_risk_any[risk] += 1
            for risk in {r for r, lv, _ in f if lv >= RiskLevel.HIGH}:
                per_risk_high[risk] += 1
            for term in {(r, t) for r, lv, t in f if lv >= RiskLevel.HIGH}:
                high_terms[f"{term[0]} {term[1]}"] += 1
            for term in {(r, t) for r, _, t in f}:
                any_terms[f"{term[0]} {term[1]}"] += 1
    if not total:
        return
    all_high = sum(per_risk_high.values())
    print(f"\nper risk, over all {total} harmless texts (goal: high ≤ {HIGH_GOAL:.1%} in all):")
    from companion_guard.detectors.builtin.prohibited_keywords import MINIMUMS

    for risk in MINIMUMS:
        flag = "" if per_risk_high[risk] / total <= HIGH_GOAL else "  <-- over the goal"
        print(
            f"  {risk:6} high {per_risk_high[risk] / total:7.3%}  any {per_risk_any[risk] / total:7.3%}{flag}"
        )
    print(f"  texts with a high hit of some risk: {all_high} hits over {total} texts")
    print(f"\nhigh terms that fired on harmless text (texts), top {n_terms}:")
    for term, n in high_terms.most_common(n_terms):
        print(f"  {n:5d}  {term}")
    print(f"\nany terms that fired on harmless text (texts), top {n_terms}:")
    for term, n in any_terms.most_common(n_terms):
        print(f"  {n:5d}  {term}")


def recall() -> None:
    from companion_guard.types import RiskLevel

    rows = bench()
    if not rows:
        print("\nChineseHarm-Bench absent: no recall figures")
        return
    print(
        f"\nChineseHarm-Bench violating classes: share of texts with a hit\n{'class':10} {'texts':>6} {'high':>8} {'any':>8}"
    )
    for label in HARM_CLASSES:
        texts = [t for lab, t in rows if lab == label]
        found = scan(texts)
        n_high = sum(1 for f in found if any(lv >= RiskLevel.HIGH for _, lv, _ in f))
        n_any = sum(1 for f in found if f)
        print(f"{label:10} {len(texts):6d} {n_high / len(texts):8.1%} {n_any / len(texts):8.1%}")


_COST = r"""
import json, sys, time
from pathlib import Path
from companion_guard.detectors import DetectionContext
from companion_guard.detectors.builtin import BUILTIN_FACTORIES
from companion_guard.detectors.builtin.prohibited_keywords import ProhibitedKeywordDetector
from companion_guard.detectors.normalize import normalize
from companion_guard.detectors.registry import DetectorRegistry
from companion_guard.types import Direction
with_library = sys.argv[1] == "with"
texts = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
normalize("预热")
factories = [f for f in BUILTIN_FACTORIES if with_library or f is not ProhibitedKeywordDetector]
# the lexicon tier only: what runs on every streamed sentence
detectors = [f() for f in factories]
t0 = time.perf_counter()
if with_library:
    from companion_guard.detectors.builtin.prohibited_keywords import tc260_library
    tc260_library.cache_clear()
    lib = tc260_library()
load = time.perf_counter() - t0
reg = DetectorRegistry([d for d in detectors if d.tier == "lexicon"])
ctx = DetectionContext(Direction.OUTPUT, tiers=frozenset({"lexicon"}))
t0 = time.perf_counter(); reg.detect("你好", ctx); first = time.perf_counter() - t0
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    for text in texts:
        reg.detect(text, ctx)
    best = min(best, (time.perf_counter() - t0) / len(texts))
alone = 0.0
if with_library:
    det = ProhibitedKeywordDetector()
    t0 = time.perf_counter()
    for text in texts:
        det.detect(normalize(text), ctx)
    norm_only = time.perf_counter()
    for text in texts:
        normalize(text)
    alone = ((norm_only - t0) - (time.perf_counter() - norm_only)) / len(texts)
print(json.dumps({"load_s": load, "first_scan_s": first, "scan_us": best * 1e6, "alone_us": alone * 1e6}))
"""


def cost() -> None:
    """Load time of the library and the lexicon tier's scan time per message, without and with it."""
    import tempfile

    texts = corpus_none("reply")[:1500] + corpus_none("user")[:1500]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(texts, fh, ensure_ascii=False)
    results = {}
    for mode in ("without", "with"):
        out = subprocess.run(
            [sys.executable, "-c", _COST, mode, fh.name], capture_output=True, text=True, check=True
        )
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    Path(fh.name).unlink()
    w, wo = results["with"], results["without"]
    print(f"lexicon tier, {len(texts)} corpus messages, best of 3:")
    print(f"  scan per message: {wo['scan_us']:.0f} µs without the library, {w['scan_us']:.0f} µs with it")
    print(
        f"  tc260.keywords alone (its own index scan and matching, normalising excluded): {w['alone_us']:.0f} µs"
    )
    print(
        f"  library load (parse + compile): {w['load_s'] * 1000:.0f} ms; first scan (index build): "
        f"{wo['first_scan_s'] * 1000:.0f} ms without, {w['first_scan_s'] * 1000:.0f} ms with"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", type=int, default=25, help="offending terms to list")
    parser.add_argument("--cost", action="store_true", help="print load and scan time instead")
    args = parser.parse_args()
    if args.cost:
        cost()
        return
    t0 = time.perf_counter()
    from companion_guard.detectors.builtin.prohibited_keywords import tc260_library

    lib = tc260_library()
    print(
        f"library: {sum(r.terms for r in lib)} terms in {len(lib)} files, loaded in {time.perf_counter() - t0:.2f} s\n"
    )
    false_hits(
        {
            "corpus/user (none)": corpus_none("user"),
            "corpus/reply (none)": corpus_none("reply"),
            "weibo normal.txt": weibo(),
            "ChineseHarm-Bench 不违规": [t for _, t in bench("不违规")],
        },
        args.terms,
    )
    recall()


if __name__ == "__main__":
    main()
