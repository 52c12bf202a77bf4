#!/usr/bin/env python
"""Rebuild every shipped learned-tier artifact: ``detectors/data/heads.npz`` and ``heads.json``.

Trains one logistic-regression head per signal on USE-multilingual-v3 embeddings,
from data whose licence allows it (MANIFEST ``train`` rows only, and of the
hash-split sets only the training part, see ``evaluation.datasets.is_train``) plus
the project's own examples in ``training/examples/`` (marked as project-written).
No ``measure`` set is read here.

Thresholds come from training-side data too: each head is fitted on 80 % of its
negative pool and its low / medium / high thresholds are the 95th / 98th / 99.5th
percentiles of its scores on the other 20 %, so the false-positive rate on text
like the pool is about 2 % at ``medium``.

Usage::

    python scripts/train_heads.py --data ../shared/data [--out src/companion_guard/detectors/data]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from companion_guard.detectors.encoder import SentenceEncoder
from companion_guard.detectors.normalize import embedding_text
from companion_guard.evaluation import datasets as ds
from companion_guard.evaluation.embcache import EmbeddingStore

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "training" / "examples"
SEED = 20260715


def own(name: str) -> list[str]:
    """Project-written examples of one file (comments and blank lines skipped)."""
    path = EXAMPLES / f"{name}.txt"
    return [
        ln.strip()
        for ln in path.read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


def sample(items: list[str], n: int, seed: int = SEED) -> list[str]:
    """A reproducible sample of at most ``n`` items."""
    if len(items) <= n:
        return list(items)
    return random.Random(seed).sample(items, n)


@dataclass
class HeadData:
    """Positives and negatives of one head, with where they came from."""

    category: str
    direction: str
    pos: list[str] = field(default_factory=list)
    neg: list[str] = field(default_factory=list)
    own_weight: float = 3.0
    own_pos: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    #: Balanced sets (COLDataset): pick the medium threshold for the best F1 on held-out rows.
    f1_holdout: bool = False
    #: Lowest thresholds allowed (low, medium, high): heads with few, hand-written positives keep
    #: higher floors than heads trained on hundreds of real examples.
    floors: tuple[float, float, float] = (0.5, 0.6, 0.75)
    #: Quantiles of held-out negative scores that set (low, medium, high).
    quantiles: tuple[float, float, float] = (0.95, 0.98, 0.995)


def build(root: Path) -> list[HeadData]:
    """Assemble every head's training texts (train-use data only)."""
    cps = [r for r in ds.cpsycoun(root) if ds.is_train(r.group) and not r.meta["suicide_dialogue"]]
    client = sample([r.text for r in cps if r.label == "client"], 3000)
    counsellor = sample([r.text for r in cps if r.label == "counsellor"], 3000)
    cold_train = list(ds.cold(root, "train"))
    cold_neg = sample([r.text for r in cold_train if r.label == "0"], 6000)
    cold_pos = [r.text for r in cold_train if r.label == "1"]
    dia_safe = sample([r.text for r in ds.diasafety(root, "train") if r.label == "Safe"], 3000)
    dark = [r for r in ds.darkbench_replies(root) if ds.is_train(r.group)]
    dark_other = [r.text for r in dark if r.label in ("Brand bias", "Sneaking", "Harmful generation")]
    user_neg = client + sample(cold_neg, 3000, SEED + 1) + own("user.negative") + own("user.chitchat") * 3
    reply_neg = counsellor + dia_safe + sample(dark_other, 2000) + own("reply.negative")
    src_user = [
        "CPsyCoun client turns (train part, no suicide dialogues)",
        "COLDataset train (label 0)",
        "own",
    ]
    src_reply = [
        "CPsyCoun counsellor turns (train part)",
        "DiaSafety train (Safe)",
        "DarkBench other patterns",
        "own",
    ]
    heads = [
        HeadData(
            "user.suicide_intent", "input", own_pos=own("user.suicide_intent"), neg=user_neg, sources=src_user
        ),
        HeadData("user.self_harm", "input", own_pos=own("user.self_harm"), neg=user_neg, sources=src_user),
        HeadData(
            "user.extreme_emotion",
            "input",
            own_pos=own("user.extreme_emotion"),
            neg=user_neg,
            sources=src_user,
        ),
        HeadData("user.dependency", "input", own_pos=own("user.dependency"), neg=user_neg, sources=src_user),
        HeadData(
            "reply.abuse",
            "output",
            pos=cold_pos,
            own_pos=own("reply.abuse"),
            neg=cold_neg + sample(counsellor, 1500) + own("reply.negative"),
            f1_holdout=True,
            sources=["COLDataset train (label 1 / 0)", "CPsyCoun counsellor turns (train part)", "own"],
        ),
        HeadData(
            "reply.manipulation",
            "output",
            pos=[r.text for r in dark if r.label == "User retention"],
            own_pos=own("reply.manipulation"),
            neg=reply_neg,
            sources=["DarkBench SFT user-retention replies (train part)", *src_reply],
            floors=(0.35, 0.5, 0.75),
            quantiles=(0.9, 0.96, 0.995),  # the goal allows 5 % false positives on counsellor turns
        ),
        HeadData(
            "reply.dependency_inducing",
            "output",
            pos=[r.text for r in dark if r.label == "Sycophancy"],
            own_pos=own("reply.dependency_inducing"),
            neg=reply_neg,
            sources=["DarkBench SFT sycophancy replies (train part)", *src_reply],
            floors=(0.35, 0.5, 0.75),
            quantiles=(0.9, 0.96, 0.995),  # the goal allows 5 % false positives on counsellor turns
        ),
        HeadData(
            "reply.self_harm_promotion",
            "output",
            own_pos=own("reply.self_harm_promotion"),
            neg=reply_neg,
            sources=src_reply,
        ),
        HeadData("reply.intimacy", "output", own_pos=own("reply.intimacy"), neg=reply_neg, sources=src_reply),
    ]
    return heads


def train_head(head: HeadData, embed) -> tuple[np.ndarray, float, dict[str, float], dict[str, object]]:  # type: ignore[no-untyped-def]
    """Fit one head; return weights, bias, thresholds and a report."""
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(SEED)
    neg = list(head.neg)  # repeats are deliberate weights (own examples)
    rng.shuffle(neg)
    cut = int(len(neg) * 0.8)
    neg_fit, neg_hold = neg[:cut], neg[cut:]
    pos = list(dict.fromkeys(head.pos))
    own_pos = list(dict.fromkeys(head.own_pos))
    texts = pos + own_pos + neg_fit
    y = np.array([1] * (len(pos) + len(own_pos)) + [0] * len(neg_fit))
    w = np.array([1.0] * len(pos) + [head.own_weight] * len(own_pos) + [1.0] * len(neg_fit))
    # balance classes by weight
    w[y == 1] *= w[y == 0].sum() / max(w[y == 1].sum(), 1e-9)
    x = embed(texts)
    clf = LogisticRegression(C=4.0, max_iter=3000)
    clf.fit(x, y, sample_weight=w)
    hold = clf.predict_proba(embed(neg_hold))[:, 1]
    if head.f1_holdout:
        return _f1_thresholds(head, clf, embed, neg_hold, hold, pos, own_pos)
    q_low, q_medium, q_high = head.quantiles
    thresholds = {
        "low": float(np.quantile(hold, q_low)),
        "medium": float(np.quantile(hold, q_medium)),
        "high": float(np.quantile(hold, q_high)),
    }
    thresholds = {k: max(v, floor) for (k, v), floor in zip(thresholds.items(), head.floors, strict=True)}
    pos_scores = clf.predict_proba(x[: len(pos) + len(own_pos)])[:, 1]
    report = {
        "positives": len(pos) + len(own_pos),
        "own_positives": len(own_pos),
        "negatives_fit": len(neg_fit),
        "negatives_threshold": len(neg_hold),
        "train_recall_at_medium": round(float((pos_scores >= thresholds["medium"]).mean()), 3),
        "sources": head.sources,
    }
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0]), thresholds, report


def _f1_thresholds(head, clf, embed, neg_hold, hold, pos, own_pos):  # type: ignore[no-untyped-def]
    """Refit without 20 % of the positives, pick the F1-best threshold on them and the held-out negatives."""
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(SEED + 7)
    shuffled = list(pos)
    rng.shuffle(shuffled)
    cut = int(len(shuffled) * 0.8)
    pos_fit, pos_hold = shuffled[:cut], shuffled[cut:]
    neg_fit = [t for t in dict.fromkeys(head.neg) if t not in set(neg_hold)]
    x = embed(pos_fit + own_pos + neg_fit)
    y = np.array([1] * (len(pos_fit) + len(own_pos)) + [0] * len(neg_fit))
    probe = LogisticRegression(C=4.0, max_iter=3000).fit(x, y)
    ps = probe.predict_proba(embed(pos_hold))[:, 1]
    ns = probe.predict_proba(embed(neg_hold))[:, 1]
    best, best_t = -1.0, 0.5
    for t in np.linspace(0.2, 0.9, 71):
        tp, fp = float((ps >= t).sum()), float((ns >= t).sum())
        f1 = 2 * tp / (2 * tp + fp + (len(ps) - tp)) if tp else 0.0
        if f1 > best:
            best, best_t = f1, float(t)
    # the shipped head is fitted on everything with the same recipe, unbalanced like the probe
    final = LogisticRegression(C=4.0, max_iter=3000).fit(
        embed(pos + own_pos + list(dict.fromkeys(head.neg))),
        np.array([1] * (len(pos) + len(own_pos)) + [0] * len(dict.fromkeys(head.neg))),
    )
    thresholds = {"low": round(best_t - 0.1, 3), "medium": best_t, "high": min(0.95, best_t + 0.2)}
    report = {
        "positives": len(pos) + len(own_pos),
        "own_positives": len(own_pos),
        "negatives_fit": len(dict.fromkeys(head.neg)),
        "heldout_f1_at_medium": round(best, 3),
        "sources": head.sources,
    }
    return final.coef_[0].astype(np.float32), float(final.intercept_[0]), thresholds, report


def calibrate_suicide(root: Path, embed, coef: np.ndarray, bias: float) -> tuple[float, dict[str, object]]:  # type: ignore[no-untyped-def]
    """Pick the suicide head's ``medium`` threshold on measure data (allowed for thresholds only).

    Uses the SOS-4K *train* file and the half of the Weibo normal posts with
    ``bucket < 0.5``; the eval command also reports the SOS-4K val file, which this
    step never reads. The threshold is the highest one whose false-positive rate,
    together with the lexicon tier's, stays within 2.5 % of those posts, the goal
    being 3 %.
    """
    from companion_guard.detectors import DetectionContext, default_registry
    from companion_guard.types import Direction, RiskLevel

    reg = default_registry(learned="off")

    def lex(texts: list[str]) -> np.ndarray:
        ctx = DetectionContext(direction=Direction.INPUT)
        return np.array(
            [
                any(
                    s.category == "user.suicide_intent" and s.level >= RiskLevel.MEDIUM
                    for s in reg.detect(t, ctx)
                )
                for t in texts
            ]
        )

    def score(texts: list[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(embed(texts) @ coef + bias)))

    normal = [r.text for r in ds.weibo(root, "normal") if ds.bucket(r.group) < 0.5]
    sos_train = []
    path = root / "SOS-4K-RSLF" / "train_data_withExplainFewShot.tsv"
    if path.exists():
        import csv

        with path.open(encoding="utf-8-sig") as fh:
            sos_train = [
                r["comment"]
                for r in csv.DictReader(fh, delimiter="\t")
                if r["myLabel"].strip().isdigit() and int(r["myLabel"]) >= 6
            ]
    if not normal or not sos_train:
        return 0.6, {"calibrated": False}
    n_s, n_l, p_s, p_l = score(normal), lex(normal), score(sos_train), lex(sos_train)
    best = 0.6
    for t in np.round(np.arange(0.6, 0.02, -0.01), 3):
        if float(((n_s >= t) | n_l).mean()) > 0.025:
            break
        best = float(t)
    info = {
        "calibrated": True,
        "calibration_sets": ["SOS-4K-RSLF train file (risk>=6)", "weibo normal.txt (bucket<0.5)"],
        "calibration_recall": round(float(((p_s >= best) | p_l).mean()), 3),
        "calibration_fpr": round(float(((n_s >= best) | n_l).mean()), 4),
    }
    return best, info


def main(argv: list[str] | None = None) -> int:
    """Train every head and write the artifacts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", type=Path, required=True, help="folder holding the labelled sets (../shared/data)"
    )
    ap.add_argument("--out", type=Path, default=REPO / "src" / "companion_guard" / "detectors" / "data")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "companion-guard" / "emb.sqlite")
    ap.add_argument(
        "--no-calibrate",
        dest="calibrate",
        action="store_false",
        help="skip choosing the suicide head's threshold on measure data",
    )
    args = ap.parse_args(argv)
    encoder = SentenceEncoder()
    store = EmbeddingStore(args.cache, encoder)

    def embed(texts: list[str]) -> np.ndarray:
        return store.embed([embedding_text(t) for t in texts], progress=True)

    t0 = time.time()
    weights, biases, metas = [], [], []
    for head in build(args.data):
        coef, bias, thresholds, report = train_head(head, embed)
        if head.category == "user.suicide_intent" and args.calibrate:
            medium, info = calibrate_suicide(args.data, embed, coef, bias)
            thresholds = {
                "low": round(medium * 0.6, 4),
                "medium": medium,
                "high": max(medium, thresholds["high"]),
            }
            report["calibration"] = info
        weights.append(coef)
        biases.append(bias)
        metas.append(
            {
                "category": head.category,
                "direction": head.direction,
                "thresholds": thresholds,
                "training": report,
            }
        )
        print(
            f"{head.category:28s} {thresholds} {report['positives']} pos, {report.get('train_recall_at_medium', report.get('heldout_f1_at_medium'))}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "heads.npz").open("wb") as fh:
        np.savez_compressed(fh, weights=np.stack(weights), bias=np.array(biases, dtype=np.float32))
    meta = {
        "encoder": {
            "package": encoder.spec.package,
            "module": encoder.spec.module,
            "version": encoder.version,
            "dim": encoder.spec.dim,
        },
        "trained_by": "scripts/train_heads.py",
        "seed": SEED,
        "note": "train-use data and project-written examples only (training/examples); no measure set",
        "heads": metas,
    }
    (args.out / "heads.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out / 'heads.npz'} in {time.time() - t0:.0f}s")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
