"""Train the reply heads: each reply label read against its conversation (issue 11).

Reads ``training/corpus/reply/*.jsonl`` ((conversation, reply) items, mostly minimal
pairs) and CPsyCoun counsellor turns (a ``train`` set: supportive replies that must
pass). One writer is held out (``--test-writer``, r3) and more with ``--also-held-out`` (e3, everyday chat):
nothing is trained, tuned or thresholded on them; thresholds come from leave-one-writer-out predictions.

Writes ``src/companion_guard/detectors/data/reply_heads.npz`` and ``reply_heads.json``. The shipped files
(2026-12-03, training/DATASHEET.md §5):

    python scripts/train_reply_heads.py --cold 4000 --public cold --fpr 0.015 \
        --keep reply.abuse,reply.minor_unsafe --report \
        --feed $(ls training/corpus/prohibited/t*.jsonl | grep -v -e /t3.jsonl -e /t25.jsonl)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from held_out import MEASURE, TEST  # noqa: E402
from train_assessor import choose_thresholds, cpsycoun_dialogues, fit, load_corpus, probs  # noqa: E402

from companion_guard.detectors import reply_assessment as R  # noqa: E402
from companion_guard.detectors.base import DetectionContext  # noqa: E402
from companion_guard.detectors.builtin.crisis import CrisisAssessor  # noqa: E402
from companion_guard.detectors.features import BUCKETS  # noqa: E402
from companion_guard.detectors.normalize import normalize  # noqa: E402
from companion_guard.evaluation.corpus import read_jsonl  # noqa: E402
from companion_guard.types import Direction, Message  # noqa: E402


def load_counsellor_turns(data: Path, limit: int) -> list[dict]:
    """Counsellor turns after a client turn, as healthy replies."""
    out: list[dict] = []
    for turns in cpsycoun_dialogues(data):
        for prev, turn in zip(turns, turns[1:]):  # noqa: B905
            if prev.startswith("来访者：") and turn.startswith("心理咨询师：") and len(turn) < 200:
                out.append(
                    {
                        "id": f"cpsy-r{len(out)}",
                        "writer": "cpsycoun",
                        "lang": "zh",
                        "user_age": None,
                        "persona_relationship": "mentor",
                        "context": [{"role": "user", "content": prev[4:]}],
                        "reply": turn[6:],
                        "label": "none",
                    }
                )
        if len(out) >= limit:
            break
    return out[:limit]


def _fold(text: str) -> str:
    return f"public-{int(hashlib.sha1(text.encode()).hexdigest(), 16) % 3}"


def load_public(
    data: Path, cold_limit: int, sets: frozenset[str] = frozenset({"cold", "diasafety", "darkbench"})
) -> list[dict]:
    """Replies from the permissive public sets, as reply items in three hash folds.

    COLD train (offensive comments → abuse), DiaSafety train (a reply that offends the user or agrees with a
    toxic statement → abuse; safe replies healthy; other unsafe kinds left out), the training part of
    DarkBench's replies (user retention → manipulation, sycophancy → dependency_inducing).
    """
    from companion_guard.evaluation import datasets as ds

    out: list[dict] = []

    def add(text: str, user: str, label: str) -> None:
        out.append(
            {
                "id": f"pub-{len(out)}",
                "writer": _fold(text),
                "lang": "",
                "user_age": None,
                "persona_relationship": "",
                "context": [{"role": "user", "content": user}] if user else [],
                "reply": text,
                "label": label,
            }
        )

    for row in list(ds.cold(data, "train"))[:cold_limit] if "cold" in sets else []:
        add(row.text, "", "reply.abuse" if row.label == "1" else "none")
    for row in ds.diasafety(data, "train") if "diasafety" in sets else []:
        if row.label == "Safe":
            add(row.text, row.meta["context"], "none")
        elif row.meta["category"] in ("Offending User", "Toxicity Agreement"):
            add(row.text, row.meta["context"], "reply.abuse")
    dark = {"User retention": "reply.manipulation", "Sycophancy": "reply.dependency_inducing"}
    for row in ds.darkbench_replies(data) if "darkbench" in sets else []:
        if ds.is_train(row.group) and row.label in dark:
            add(row.text, str(row.meta.get("prompt", "")), dark[row.label])
    return out


def item_features(item: dict, assessor: CrisisAssessor) -> R.Row:
    ctx = [Message(str(m.get("role", "user")), str(m.get("content", ""))) for m in item.get("context") or []]
    user_text = next((m.content for m in reversed(ctx) if m.role == "user"), "")
    earlier = tuple(ctx[:-1]) if ctx and ctx[-1].role == "user" else tuple(ctx)
    signals = (
        assessor.detect(normalize(user_text), DetectionContext(direction=Direction.INPUT, history=earlier))
        if user_text
        else []
    )
    return R.features_for(
        normalize(str(item["reply"])),
        user_text,
        group=R.age_group(item.get("user_age")),
        relationship=str(item.get("persona_relationship") or ""),
        input_signals=signals,
    )


def matrix(items: list[dict], assessor: CrisisAssessor) -> sparse.csr_matrix:
    rows, cols, scales = [], [], []
    for r, item in enumerate(items):
        row = item_features(item, assessor)
        rows.extend([r] * len(row.ids))
        cols.extend(row.ids.tolist())
        scales.append(row.scale)
    x = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(items), BUCKETS))
    return sparse.diags(np.array(scales, dtype=np.float32)) @ x


def targets(items: list[dict]) -> np.ndarray:
    return np.array([[int(i.get("label") == label) for label in R.LABELS] for i in items], dtype=np.int8)


SHIPPED = ROOT / "src" / "companion_guard" / "detectors" / "data"


def feed_items(paths: list[Path]) -> list[dict]:
    """Harmless reply items of prohibited-corpus files, as healthy replies (group ``public-feed-<writer>``: they
    train, they set no threshold)."""
    return [
        {
            "writer": f"public-feed-{item['writer']}",
            "reply": item["text"],
            "context": item.get("context") or [],
            "label": "none",
            "persona_relationship": item.get("persona_relationship"),
            "user_age": item.get("user_age"),
        }
        for path in paths
        for item in read_jsonl(path)
        if item.get("direction") == "reply" and item.get("label") == "none"
    ]


def _keep_shipped(w: np.ndarray, b: np.ndarray, thresholds: np.ndarray, keep: set[str]) -> dict[str, dict]:
    """Put the shipped weights, bias and threshold of each head in ``keep`` back in place; their provenance."""
    if not keep:
        return {}
    meta = json.loads((SHIPPED / "reply_heads.json").read_text(encoding="utf-8"))
    arrays = np.load(SHIPPED / "reply_heads.npz")
    old = {h["label"]: (i, h) for i, h in enumerate(meta["heads"])}
    out = {}
    for j, label in enumerate(R.LABELS):
        if label in keep:
            i, head = old[label]
            w[:, j], b[j], thresholds[j] = arrays["weights"][:, i], arrays["bias"][i], head["threshold"]
            out[label] = {"trained_on": head.get("trained_on", meta.get("train_writers", []))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--corpus", type=Path, default=ROOT / "training" / "corpus" / "reply")
    ap.add_argument("--test-writer", default=TEST["reply"])
    ap.add_argument(
        "--also-held-out",
        default=",".join(sorted(MEASURE["reply"])),
        help="more writers kept out of training, tuning and thresholds (comma-separated): e3 by default, the "
        "held-out writer of everyday companion chat (training/corpus/BRIEF-everyday.md)",
    )
    ap.add_argument(
        "--exclude",
        default="",
        help="writers left out of training (comma-separated), e.g. to compare with and without one",
    )
    ap.add_argument(
        "--counsellor", type=int, default=1000, help="CPsyCoun counsellor turns used as healthy replies"
    )
    ap.add_argument(
        "--cold",
        type=int,
        default=0,
        help="also train on public sets with this many COLD rows (measured worse on r3: abuse 83→64 %%, healthy 6.0→7.4 %%; off)",
    )
    ap.add_argument(
        "--public",
        default="cold,diasafety,darkbench",
        help="with --cold: which public sets (comma-separated)",
    )
    ap.add_argument(
        "--feed",
        type=Path,
        nargs="*",
        default=[],
        help="prohibited-corpus files whose harmless replies (label none) also train every head as healthy "
        "(ordinary platform posts, e.g. training/corpus/prohibited/t17.jsonl); train only, like the public sets",
    )
    ap.add_argument("--c", type=float, default=8.0)
    ap.add_argument("--fpr", type=float, default=0.008, help="target false-positive rate per head")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "companion_guard" / "detectors" / "data")
    ap.add_argument(
        "--min-threshold",
        type=float,
        default=0.5,
        help="no head fires below this probability (generic replies to minors drew 0.2-0.4)",
    )
    ap.add_argument("--report", action="store_true")
    ap.add_argument(
        "--keep",
        default="",
        help="comma-separated heads copied unchanged (weights, bias, threshold) from the shipped reply_heads "
        "instead of this training's: e.g. all but reply.abuse when new writers only wrote abuse",
    )
    args = ap.parse_args()

    assessor = CrisisAssessor()
    corpus = load_corpus(args.corpus)
    left_out = {args.test_writer} | {
        w.strip() for w in f"{args.also_held_out},{args.exclude}".split(",") if w.strip()
    }
    train = [i for i in corpus if i["writer"] not in left_out] + load_counsellor_turns(
        args.data, args.counsellor
    )
    if args.cold:
        train += load_public(args.data, args.cold, frozenset(args.public.split(",")))
    train += feed_items(args.feed)
    writers = sorted({i["writer"] for i in train})
    print(f"train: {len(train)} items from {writers}; held out: {args.test_writer}", flush=True)
    t0 = time.time()
    x, y = matrix(train, assessor), targets(train)
    groups = np.array([i["writer"] for i in train])
    oof = np.zeros(y.shape, dtype=np.float32)
    for w_out in writers:
        if w_out.startswith("public-"):
            continue  # public sets always train: thresholds are set on companion replies by unseen writers
        mask = groups == w_out
        w, b = fit(x[~mask], y[~mask], args.c)
        oof[mask] = probs(x[mask], w, b)
        print(f"  fold {w_out}: {time.time() - t0:.0f}s", flush=True)
    scored = ~np.char.startswith(groups.astype(str), "public-")
    thresholds = np.maximum(
        choose_thresholds(oof[scored], y[scored], args.fpr, floor_recall=0.85), args.min_threshold
    )
    w, b = fit(x, y, args.c)
    kept = _keep_shipped(w, b, thresholds, {k.strip() for k in args.keep.split(",") if k.strip()})
    np.savez_compressed(args.out / "reply_heads.npz", weights=w.astype(np.float16), bias=b.astype(np.float32))
    meta = {
        "trained_by": "scripts/train_reply_heads.py",
        "buckets": BUCKETS,
        "heads": [
            {"label": label, "threshold": float(thresholds[i])} | kept.get(label, {})
            for i, label in enumerate(R.LABELS)
        ],
        "train_items": len(train),
        "train_writers": [w for w in writers if not w.startswith("public-")],
        "public_sets": [
            name
            for key, name in (
                ("cold", "COLD train"),
                ("diasafety", "DiaSafety train"),
                ("darkbench", "DarkBench (train part)"),
            )
            if args.cold and key in args.public.split(",")
        ],
        "feed": [path.name for path in args.feed],
        "held_out_writer": args.test_writer,
        "also_held_out": sorted(left_out - {args.test_writer}),
        "c": args.c,
        "target_fpr": args.fpr,
        "min_threshold": args.min_threshold,
    }
    (args.out / "reply_heads.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'reply_heads.npz'} in {time.time() - t0:.0f}s", flush=True)
    if args.report:
        test = [i for i in corpus if i["writer"] == args.test_writer]
        pt, yt = probs(matrix(test, assessor), w, b), targets(test)
        flagged = (pt >= thresholds).any(axis=1)
        healthy = yt.sum(axis=1) == 0
        for j, label in enumerate(R.LABELS):
            pos = yt[:, j] == 1
            if pos.any():
                print(
                    f"  {label:28s} n+={int(pos.sum()):4d} recall {float((pt[pos, j] >= thresholds[j]).mean()):.2f}"
                    f" thr {thresholds[j]:.2f}"
                )
        print(f"  healthy flagged (any head): {float(flagged[healthy].mean()):.3f} of {int(healthy.sum())}")


if __name__ == "__main__":
    main()
