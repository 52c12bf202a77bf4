"""Train the user-side crisis assessor: severity, facet and modifier heads (issue 10).

Reads the project's corpus (``training/corpus/user/*.jsonl``, labelled by
``../shared/notes/crisis-grading.md``), CPsyCoun client turns (a ``train`` set:
distressed-but-not-crisis negatives) and the user's turns of the everyday reply writers'
conversations (``--chat-writers``: plain small talk). One writer is held out (``--test-writer``),
more only measure (``scripts/held_out.py``): nothing is trained, tuned or thresholded on them.
Thresholds come from leave-one-writer-out predictions on the training writers; the pooled gate
head's (any signal at medium or above) is set to pass ``--gate-recall`` of those positives.

Writes ``src/companion_guard/detectors/data/assessor.npz`` and ``assessor.json``.

    python scripts/train_assessor.py --data ../shared/data            # rebuild the shipped heads
    python scripts/train_assessor.py --data ../shared/data --report   # also print held-out figures
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from held_out import MEASURE, TEST, held_out  # noqa: E402

from companion_guard.detectors import assessment as A  # noqa: E402
from companion_guard.detectors.features import BUCKETS  # noqa: E402
from companion_guard.detectors.normalize import normalize  # noqa: E402
from companion_guard.evaluation.datasets import is_train  # noqa: E402

LEVELS = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
#: CPsyCoun dialogues that mention suicide or self-harm are not used as negatives.
_CPSY_RISKY = re.compile(r"自杀|轻生|死|割腕|伤害自己|自残|活不下去|跳楼|安眠药")


def load_corpus_file(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def load_corpus(folder: Path) -> list[dict]:
    return [item for path in sorted(folder.glob("*.jsonl")) for item in load_corpus_file(path)]


def negative(
    item_id: str,
    writer: str,
    lang: str,
    text: str,
    *,
    context: list[str] | None = None,
    modifiers: list[str] | None = None,
) -> dict:
    """A corpus-shaped item with no crisis (``signal none``, ``level none``), from a source that is not the corpus."""
    item = {"id": item_id, "writer": writer, "lang": lang, "text": text, "signal": "none", "level": "none"}
    return (
        item
        | {"facets": [], "modifiers": modifiers or []}
        | ({"context": context} if context is not None else {})
    )


def cpsycoun_dialogues(data: Path) -> list[list[str]]:
    """Turns of the CPsyCoun dialogues usable for training: train side of ``companion-guard eval``'s split
    (its negative pools stay unseen), none that mention suicide or self-harm."""
    path = data / "CPsyCoun" / "CPsyCounD.jsonl"
    if not path.exists():
        return []
    out: list[list[str]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        rec = json.loads(line)
        if not _CPSY_RISKY.search(rec["text"]) and is_train(rec.get("source_path", "")):
            out.append(rec["text"].split("\r\n\r\n"))
    return out


def load_cpsycoun(data: Path, limit: int) -> list[dict]:
    """Client turns as distressed-but-not-crisis negatives."""
    out: list[dict] = []
    for turns in cpsycoun_dialogues(data):
        for turn in turns:
            if turn.startswith("来访者：") and 6 <= len(turn) - 4 <= 160:
                out.append(negative(f"cpsy-{len(out)}", "cpsycoun", "zh", turn[4:], modifiers=["venting"]))
        if len(out) >= limit:
            break
    return out[:limit]


def _writers(text: str) -> frozenset[str]:
    """The writer ids of a comma-separated option."""
    return frozenset(w.strip() for w in text.split(",") if w.strip())


def load_everyday_negatives(folder: Path, held_out: str, writers: frozenset[str] = frozenset()) -> list[dict]:
    """User messages of the prohibited-content corpus (affection, requests, jailbreaks, everyday questions,
    none about suicide or self-harm) as negatives: "今晚想你了，抱抱我" is a partner's goodnight, not a plan.
    ``held_out``: comma-separated writers never used; ``writers``: only these (empty: all the others)."""
    if not folder.is_dir():
        return []
    out = _writers(held_out)
    return [
        negative(i["id"], "everyday", i["lang"], i["text"])
        for i in load_corpus(folder)
        if i.get("direction") == "user" and i["writer"] not in out and (not writers or i["writer"] in writers)
    ]


def load_chat_negatives(folder: Path, writers: frozenset[str]) -> list[dict]:
    """The user's turns in the everyday reply writers' conversations (``training/corpus/reply/e*.jsonl``,
    written with no crisis at all, not even ``low``) as negatives: good news, weekend plans with a time and a
    place, a vitamin the doctor suggested. ``writers``: the files used (never a held-out one)."""
    seen: set[str] = set()
    out: list[dict] = []
    for writer in sorted(writers):
        path = folder / f"{writer}.jsonl"
        if not path.exists():
            continue
        for item in load_corpus_file(path):
            turns = [m for m in item.get("context") or [] if isinstance(m, dict) and m.get("role") == "user"]
            for k, m in enumerate(turns):
                if m["content"] in seen:
                    continue
                seen.add(m["content"])
                context = [t["content"] for t in turns[:k]]
                out.append(
                    negative(
                        f"{item['id']}-u{k}", f"chat-{writer}", item["lang"], m["content"], context=context
                    )
                )
    return out


def targets(item: dict) -> np.ndarray:
    """The 0/1 target of every head for one item."""
    y = np.zeros(len(A.HEADS), dtype=np.int8)
    level = LEVELS[item.get("level", "none")]
    sig = item.get("signal", "none")
    mods = set(item.get("modifiers") or [])
    facets = set(item.get("facets") or [])
    for i, head in enumerate(A.HEADS):
        kind, name, threshold = head
        if kind == "level":
            y[i] = int(sig == name and level >= threshold)
        elif kind == "third":
            y[i] = int(
                "third_person" in mods and LEVELS.get(item.get("third_party_level", "none"), 0) >= threshold
            )
        elif kind == "facet":
            y[i] = int(name in facets and level >= 2)
        elif kind == "modifier":
            y[i] = int(name in mods)
        elif kind == "gate":
            y[i] = int(sig != "none" and level >= threshold)
    return y


def matrix(items: list[dict]) -> sparse.csr_matrix:
    rows, cols, scales = [], [], []
    for r, item in enumerate(items):
        row = A.features_for(normalize(item["text"]), tuple(item.get("context") or ()))
        rows.extend([r] * len(row.ids))
        cols.extend(row.ids.tolist())
        scales.append(row.scale)
    data = np.ones(len(rows), dtype=np.float32)
    x = sparse.csr_matrix((data, (rows, cols)), shape=(len(items), BUCKETS), dtype=np.float32)
    # Scale rows as the gateway does (features.row_scale): long rants and short bursts weigh alike.
    return sparse.diags(np.array(scales, dtype=np.float32)) @ x


def fit(
    x: sparse.csr_matrix, y: np.ndarray, c: float, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One logistic head per column of ``y`` (items weighted by ``weight``, if given);
    returns (weights (buckets, heads), bias (heads,))."""
    w = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    b = np.full(y.shape[1], -6.0, dtype=np.float32)
    for j in range(y.shape[1]):
        if y[:, j].sum() < 3:
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear")
        model.fit(x, y[:, j], sample_weight=weight)
        w[:, j] = model.coef_[0]
        b[j] = model.intercept_[0]
    return w, b


def probs(x: sparse.csr_matrix, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ w + b)))


def choose_thresholds(p: np.ndarray, y: np.ndarray, target_fpr: float, floor_recall: float) -> np.ndarray:
    """Per head: the lowest threshold whose false-positive rate stays at or under ``target_fpr``,
    lowered further while recall is under ``floor_recall`` and FPR at most twice the target."""
    out = np.full(y.shape[1], 0.5, dtype=np.float32)
    for j in range(y.shape[1]):
        pos, neg = p[y[:, j] == 1, j], p[y[:, j] == 0, j]
        if len(pos) < 3 or len(neg) < 3:
            continue
        best = 0.5
        for t in np.linspace(0.02, 0.98, 97):
            fpr = float((neg >= t).mean())
            rec = float((pos >= t).mean())
            if fpr <= target_fpr or (rec < floor_recall and fpr <= 2 * target_fpr):
                best = float(t)
                break
        out[j] = best
    return out


def gate_threshold(p: np.ndarray, y: np.ndarray, recall: float) -> float:
    """The highest threshold at which the pooled gate head still passes ``recall`` of the out-of-fold positives:
    the gate only stops readings the pooled head is sure are everyday talk."""
    pos = np.sort(p[y == 1])
    if len(pos) == 0 or recall >= 1.0:
        return 0.0
    return float(pos[int(np.floor((1.0 - recall) * len(pos)))])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--corpus", type=Path, default=ROOT / "training" / "corpus" / "user")
    ap.add_argument("--test-writer", default=TEST["user"])
    ap.add_argument("--cpsycoun", type=int, default=1500, help="client turns used as negatives")
    ap.add_argument(
        "--everyday",
        type=Path,
        default=ROOT / "training" / "corpus" / "prohibited",
        help="corpus whose user messages are everyday negatives",
    )
    ap.add_argument(
        "--everyday-held-out",
        default="t3,t25",
        help="that corpus's held-out writers (never used, comma-separated)",
    )
    ap.add_argument(
        "--everyday-writers",
        default="t1,t2",
        help="that corpus's writers whose user messages are used (comma-separated; empty: all but the held-out). "
        "t1,t2 by default, as the shipped heads were trained (2026-12-01); all writers (5,866 more messages) "
        "measured worse on u4 (hard negatives flagged 3.3 -> 4.0 %%, I2 90.4 -> 90.2 %%)",
    )
    ap.add_argument(
        "--chat",
        type=Path,
        default=ROOT / "training" / "corpus" / "reply",
        help="corpus of everyday conversations whose user turns are negatives",
    )
    ap.add_argument(
        "--chat-writers",
        default="e1,e2",
        help="that corpus's writers whose user turns are used (comma-separated; never a held-out one)",
    )
    ap.add_argument(
        "--chat-weight", type=float, default=1.0, help="sample weight of each everyday conversation turn"
    )
    ap.add_argument(
        "--floor-recall",
        type=float,
        default=0.9,
        help="a head's threshold goes lower (to twice --fpr at most) while its out-of-fold recall is under this",
    )
    ap.add_argument(
        "--gate-recall",
        type=float,
        default=0.98,
        help="share of the out-of-fold items at medium or above the pooled gate head must pass (1.0: no gate)",
    )
    ap.add_argument("--c", type=float, default=4.0)
    ap.add_argument(
        "--fpr",
        type=float,
        default=0.035,
        help="target false-positive rate per head (0.03 before the gate head, 2026-12-03)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "companion_guard" / "detectors" / "data")
    ap.add_argument("--report", action="store_true")
    ap.add_argument(
        "--dev-writer",
        default=None,
        help="also leave this writer out (a development split for rule decisions)",
    )
    ap.add_argument(
        "--also-held-out",
        default=",".join(sorted(MEASURE["user"])),
        help="more writers never trained, tuned or thresholded on (comma-separated). u8, u9 and u11 by default "
        "(2026-12-03: jokes and clarifications in conversations; medical emergencies, danger at home, poison, "
        "half English; everyday chat with a crisis in 15 %% of it): trained with u8 or u9, u4's I2 recall fell "
        "90.4 -> 88.4-89.2 %% and the other new writer's hard negatives moved 1-3 points, so they measure instead "
        "(training/DATASHEET.md)",
    )
    ap.add_argument(
        "--threshold-exclude",
        default="chat-e1,chat-e2",
        help="writers that train but whose out-of-fold predictions set no threshold (comma-separated; by default "
        "the everyday conversations' turns: easy negatives would pull every threshold down)",
    )
    args = ap.parse_args()

    corpus = load_corpus(args.corpus)
    held = {args.test_writer, args.dev_writer, *_writers(args.also_held_out)}
    train = [i for i in corpus if i["writer"] not in held]
    train += load_cpsycoun(args.data, args.cpsycoun)
    train += load_everyday_negatives(
        args.everyday,
        args.everyday_held_out,
        _writers(args.everyday_writers),
    )
    chat_writers = _writers(args.chat_writers)
    if chat_writers & held_out("reply"):
        ap.error(f"--chat-writers: {sorted(chat_writers & held_out('reply'))} are held out")
    train += load_chat_negatives(args.chat, chat_writers)
    writers = sorted({i["writer"] for i in train})
    print(f"train: {len(train)} items from {writers}; held out: {args.test_writer}", flush=True)
    t0 = time.time()
    x = matrix(train)
    y = np.stack([targets(i) for i in train])
    groups = np.array([i["writer"] for i in train])
    weight = np.where(np.char.startswith(groups.astype(str), "chat-"), args.chat_weight, 1.0)

    # Leave-one-writer-out predictions for the thresholds (the held-out writer is never seen).
    oof = np.zeros(y.shape, dtype=np.float32)
    for w_out in writers:
        mask = groups == w_out
        if mask.all() or not mask.any():
            continue
        w, b = fit(x[~mask], y[~mask], args.c, weight[~mask])
        oof[mask] = probs(x[mask], w, b)
        print(f"  fold {w_out}: {time.time() - t0:.0f}s", flush=True)
    scored = ~np.isin(groups, sorted(_writers(args.threshold_exclude)))
    thresholds = choose_thresholds(oof[scored], y[scored], args.fpr, floor_recall=args.floor_recall)
    gate = A.HEADS.index(("gate", "any", 2))
    thresholds[gate] = gate_threshold(oof[scored, gate], y[scored, gate], args.gate_recall)
    w, b = fit(x, y, args.c, weight)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "assessor.npz", weights=w.astype(np.float16), bias=b.astype(np.float32))
    meta = {
        "trained_by": "scripts/train_assessor.py",
        "buckets": BUCKETS,
        "heads": [
            {"kind": k, "name": n, "at": t, "threshold": float(thresholds[i])}
            for i, (k, n, t) in enumerate(A.HEADS)
        ],
        "train_items": len(train),
        "train_writers": writers,
        "held_out_writer": args.test_writer,
        "c": args.c,
        "target_fpr": args.fpr,
        "floor_recall": args.floor_recall,
        "gate_recall": args.gate_recall,
        "threshold_excluded": sorted(_writers(args.threshold_exclude)),
    }
    (args.out / "assessor.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {args.out / 'assessor.npz'} ({(args.out / 'assessor.npz').stat().st_size / 1e6:.1f} MB) "
        f"in {time.time() - t0:.0f}s",
        flush=True,
    )
    if args.report:
        test = [i for i in corpus if i["writer"] == args.test_writer]
        pt = probs(matrix(test), w, b)
        yt = np.stack([targets(i) for i in test])
        for j, (k, n, t) in enumerate(A.HEADS):
            pos = yt[:, j] == 1
            if pos.sum() == 0:
                continue
            rec = float((pt[pos, j] >= thresholds[j]).mean())
            fpr = float((pt[~pos, j] >= thresholds[j]).mean())
            print(
                f"  {k:8s} {n:24s} ≥{t}  n+={int(pos.sum()):4d}  recall {rec:.2f}  fpr {fpr:.3f}  thr {thresholds[j]:.2f}"
            )


if __name__ == "__main__":
    main()
