"""Train the prohibited-content heads: replies and the requests for them (issue 13, TC260-003 Appendix A).

Sources (all may train a shipped model):
- ``training/corpus/prohibited/*.jsonl`` — the project's corpus by independent writers; one writer
  (``--test-writer``) is held out: nothing is trained, tuned or thresholded on it;
- COLD train (offensive comments on race, region, gender → ``reply.discrimination``; the rest healthy),
  DiaSafety train (biased opinions → ``reply.discrimination``; safe replies healthy), JADE-DB questions and
  JailBench jailbreak prompts (requests by TC260 type), CPsyCoun train-side turns (healthy);
- the crisis and reply corpora's items (every writer but their held-out ones) as healthy text for these heads,
  and for the request heads the user's messages in the reply corpus's conversations (everyday chat).

Corpus items weigh ``--corpus-weight`` times a public item. Thresholds come from out-of-fold predictions:
each corpus writer is a fold, the public sets are split into three more by a hash of the text. Medium: the
lowest threshold with at most ``--fpr`` false positives on all healthy text and ``--corpus-fpr`` on the
writers' hard negatives; high: a fifth of both. The request heads' medium thresholds also have a floor on
ordinary posts (``--user-pool-fpr``: random Weibo posts and CLUEmotion2020, measure-only, thresholds only),
the reply heads' may have one on ChineseHarm-Bench's harmless posts (``--reply-pool-fpr``, likewise).
Train the request heads first: the reply heads read what they find in the user's message.

Writes ``src/companion_guard/detectors/data/prohibited_{reply,user}.{npz,json}``. The shipped files (2026-12-02):

    python scripts/train_prohibited_heads.py --sides user \
        --exclude t10,t11,t23,t24,t25,t26,t27,t28,t29,t30,t31   # the request heads: the writers their JSON names
    python scripts/train_prohibited_heads.py --sides reply --reply-pool-fpr 0.001 \
        --keep reply.sexual,reply.sexual_explicit,reply.violence_terror,reply.gambling,reply.discrimination,reply.national_security
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
#: Where the shipped heads live (``--keep`` copies heads from here).
SHIPPED = ROOT / "src" / "companion_guard" / "detectors" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from held_out import held_out  # noqa: E402
from train_assessor import cpsycoun_dialogues, fit, load_corpus, probs  # noqa: E402

from companion_guard.detectors import prohibited_assessment as P  # noqa: E402
from companion_guard.detectors.features import BUCKETS, Row  # noqa: E402
from companion_guard.detectors.normalize import normalize  # noqa: E402
from companion_guard.evaluation import datasets as ds  # noqa: E402

#: JADE-DB sub-types → request heads (everything else it holds is a crime or an infringement → illegal).
JADE = {
    "传播虚假有害信息": "user.request.misinformation",
    "宣扬恐怖主义、极端主义": "user.request.violence_terror",
    "宣扬暴力": "user.request.violence_terror",
    "故意伤害他人": "user.request.violence_terror",
    "抢劫": "user.request.violence_terror",
    "宣扬淫秽色情": "user.request.sexual",
    "宣扬暴力、淫秽色情": "user.request.sexual",
    "诈骗": "user.request.fraud",
    "网络欺诈与犯罪": "user.request.fraud",
    "违反商业道德": "user.request.fraud",
    "赌博与开设赌场": "user.request.gambling",
    "赌博或开设赌场": "user.request.gambling",
    "危害国家利益、损害国家形象": "user.request.national_security",
    "侵害国家利益、侵害国家形象": "user.request.national_security",
    "宣扬民族歧视": "user.request.discrimination",
}
#: JailBench second-level domains that name a request head (all its prompts are jailbreaks).
JAILBENCH = {
    "其他法律、行政法规禁止的内容": "user.request.illegal",
    "危害公共安全": "user.request.violence_terror",
    "侵犯他人知识产权": "user.request.illegal",
    "泄露他人商业秘密": "user.request.illegal",
    "侵害他人隐私权": "user.request.illegal",
    "侵害他人财产权": "user.request.illegal",
    "违反商业道德": "user.request.fraud",
}


def _fold(text: str, n: int = 3) -> str:
    return f"public-{int(hashlib.sha1(text.encode()).hexdigest(), 16) % n}"


def _last_user(context: list[dict]) -> str:
    return next((str(m.get("content", "")) for m in reversed(context or []) if m.get("role") == "user"), "")


def corpus_items(folder: Path, test_writer: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(reply items, user items, held-out items) of the prohibited corpus."""
    reply, user, test = [], [], []
    for item in load_corpus(folder):
        if item["writer"] == test_writer:
            test.append(item)
            continue
        labels = set() if item["label"] == "none" else {item["label"]}
        if item["label"] == "reply.sexual" and item.get("severity") == "explicit":
            labels.add("reply.sexual_explicit")
        ctx = item.get("context") or []
        row = {"group": item["writer"], "text": item["text"], "labels": labels}
        if item["direction"] == "reply":
            reply.append(row | {"context": _last_user(ctx)})
        else:
            user.append(row | {"context": _last_user(ctx)})
    return reply, user, test


def public_items(data: Path, cold_limit: int, cpsy_limit: int) -> tuple[list[dict], list[dict]]:
    """(reply items, user items) from the permissive public sets."""
    reply: list[dict] = []
    user: list[dict] = []
    cold = data / "COLDataset" / "train.csv"
    if cold.exists():
        rows = list(csv.DictReader(cold.open(encoding="utf-8-sig")))[:cold_limit]
        reply += [
            {
                "group": _fold(r["TEXT"]),
                "text": r["TEXT"],
                "context": "",
                "labels": {"reply.discrimination"} if r["label"] == "1" else set(),
            }
            for r in rows
        ]
    dia = data / "DiaSafety" / "train.json"
    if dia.exists():
        for r in json.loads(dia.read_text(encoding="utf-8")):
            if r["label"] == "Safe":
                labels: set[str] = set()
            elif r["category"] == "Biased Opinion":
                labels = {"reply.discrimination"}
            else:
                continue  # unsafe in a way these heads do not judge: neither positive nor healthy
            reply.append(
                {
                    "group": _fold(r["response"]),
                    "text": r["response"],
                    "context": r["context"],
                    "labels": labels,
                }
            )
    for path in sorted((data / "JADE-DB").glob("*.csv")):
        for r in csv.DictReader(path.open(encoding="utf-8-sig")):
            kind, sub = r["违规类型"].strip(), r["违规子类"].strip()
            label = JADE.get(sub) or (
                "user.request.discrimination" if kind == "歧视偏见" else "user.request.illegal"
            )
            user.append({"group": _fold(r["问题"]), "text": r["问题"], "context": "", "labels": {label}})
    jb = data / "JailBench" / "JailBench.csv"
    if jb.exists():
        for r in csv.DictReader(jb.open(encoding="utf-8-sig")):
            labels = {"user.jailbreak"}
            if r["二级领域"] in JAILBENCH:
                labels.add(JAILBENCH[r["二级领域"]])
            elif "歧视" in r["二级领域"]:
                labels.add("user.request.discrimination")
            user.append({"group": _fold(r["query"]), "text": r["query"], "context": "", "labels": labels})
    n_client = n_counsellor = 0
    for turns in cpsycoun_dialogues(data):
        for prev, turn in zip(["", *turns], turns):  # noqa: B905
            if turn.startswith("来访者：") and n_client < cpsy_limit:
                user.append({"group": _fold(turn), "text": turn[4:], "context": "", "labels": set()})
                n_client += 1
            elif turn.startswith("心理咨询师：") and n_counsellor < cpsy_limit and len(turn) < 200:
                reply.append({"group": _fold(turn), "text": turn[6:], "context": prev[4:], "labels": set()})
                n_counsellor += 1
        if n_client >= cpsy_limit and n_counsellor >= cpsy_limit:
            break
    return reply, user


#: The other corpora's held-out writers: never healthy text here either.
HELD_OUT_USER, HELD_OUT_REPLY = held_out("user"), held_out("reply")


def healthy_from_other_corpora(corpus: Path, chat: bool = True) -> tuple[list[dict], list[dict]]:
    """Every item of the crisis (user) and reply corpora, bar their held-out writers, as healthy text here;
    with ``chat`` also the user's messages in the reply corpus's conversations (each once, with the one
    before it): everyday companion chat — "讲个故事", "再来一个", greetings, homework — that the request heads
    must not read as a request (trained without them, they took "讲个很长的故事" for a sexual request)."""
    reply = [
        {
            "group": _fold(i["reply"]),
            "text": i["reply"],
            "context": _last_user(i.get("context") or []),
            "labels": set(),
        }
        for i in load_corpus(corpus / "reply")
        if i["writer"] not in HELD_OUT_REPLY
    ]
    user = [
        {"group": _fold(i["text"]), "text": i["text"], "context": "", "labels": set()}
        for i in load_corpus(corpus / "user")
        if i["writer"] not in HELD_OUT_USER
    ]
    seen = {u["text"] for u in user}
    for i in load_corpus(corpus / "reply") if chat else []:
        if i["writer"] in HELD_OUT_REPLY:
            continue
        said = [str(m.get("content", "")) for m in i.get("context") or [] if m.get("role") == "user"]
        for previous, text in zip(["", *said], said):  # noqa: B905
            if text and text not in seen:
                seen.add(text)
                user.append({"group": _fold(text), "text": text, "context": previous, "labels": set()})
    return reply, user


def thresholds(
    oof: np.ndarray,
    y: np.ndarray,
    corpus: np.ndarray,
    fpr: float,
    corpus_fpr: float,
    floor: float,
    small: tuple[int, float] = (50, 0.3),
) -> np.ndarray:
    """Per head: the lowest threshold whose out-of-fold false-positive rate is at most ``fpr`` on all healthy
    text and at most ``corpus_fpr`` on the corpus writers' hard negatives (safe answers that name the topic).
    A head with fewer than ``small[0]`` positives never fires under ``small[1]``: its low probabilities are
    noise ("维护国家统一" drew 0.28 from the national-security head, trained on 60 replies)."""
    out = np.full(y.shape[1], 0.5, dtype=np.float32)
    healthy = y.sum(axis=1) == 0
    for j in range(y.shape[1]):
        neg, hard = oof[y[:, j] == 0, j], oof[healthy & corpus, j]
        if (y[:, j] == 1).sum() < 3 or len(neg) < 3:
            continue
        for t in np.linspace(0.02, 0.98, 97):
            if float((neg >= t).mean()) <= fpr and (not len(hard) or float((hard >= t).mean()) <= corpus_fpr):
                out[j] = max(float(t), floor if (y[:, j] == 1).sum() >= small[0] else small[1])
                break
    return out


def reply_blocks(p: np.ndarray, medium: np.ndarray, high: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """Which texts some reply head would have blocked for an adult: any head at its medium threshold, bar
    ``reply.sexual`` (suggestive content, blocked for minors only) and ``reply.sexual_explicit`` below its
    strict threshold unless the sexual head agrees (the detector's own reading)."""
    fire = p >= medium
    if "reply.sexual" in labels and "reply.sexual_explicit" in labels:
        s, e = labels.index("reply.sexual"), labels.index("reply.sexual_explicit")
        fire[:, e] = (p[:, e] >= high[e]) | (fire[:, e] & fire[:, s])
        fire[:, s] = False
    return fire.any(axis=1)


def union_thresholds(
    o: np.ndarray,
    y: np.ndarray,
    corpus: np.ndarray,
    labels: tuple[str, ...],
    args: argparse.Namespace,
    union: float,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(medium, high, factor, blocked): the per-head thresholds of :func:`thresholds`, with both false-positive
    targets scaled down by the largest factor (1, 0.95, …) at which the heads *together* block at most ``union``
    of the writers' hard negatives out of fold (0: no bound), and the share they block there. Each head alone kept
    to its 2–3 %, but a reply is blocked when any of nine heads fires, and together they blocked 9.7 % of the hard
    negatives."""
    hard = (y.sum(axis=1) == 0) & corpus
    for factor in np.round(np.arange(1.0, 0.04, -0.05), 2) if union > 0 else (1.0,):
        fpr, cfpr = args.fpr * factor, args.corpus_fpr * factor
        medium = thresholds(o, y, corpus, fpr, cfpr, args.min_threshold)
        high = np.maximum(thresholds(o, y, corpus, fpr / 5, cfpr / 5, args.min_threshold), medium)
        blocked = float(reply_blocks(o[hard], medium, high, labels).mean()) if hard.any() else 0.0
        if blocked <= union or union <= 0:
            break
    return medium, high, float(factor), blocked


def ordinary_posts(data: Path) -> list[str]:
    """Ordinary user-written text from two measure-only pools (random Weibo posts, CLUEmotion2020's valid
    posts): used for thresholds only, never for training (``../shared/data/MANIFEST.md``)."""
    weibo = islice(ds.weibo(data, "normal"), 5000)
    clue = islice(ds.clue_emotion(data), 3000)
    return [row.text for row in (*weibo, *clue)]


def pool_thresholds(w: np.ndarray, b: np.ndarray, texts: list[str], side: str, fpr: float) -> np.ndarray:
    """Per head: the probability that at most ``fpr`` of ``texts`` reach (short unmarked texts are not judged,
    as in :meth:`~companion_guard.detectors.prohibited_assessment.Heads.read`)."""
    if not texts or fpr <= 0:
        return np.zeros(w.shape[1], dtype=np.float32)
    return np.quantile(_judged_probs(w, b, texts, side), 1 - fpr, axis=0).astype(np.float32)


def _judged_probs(w: np.ndarray, b: np.ndarray, texts: list[str], side: str) -> np.ndarray:
    """Each head's probability for each pool text, 0 for short unmarked texts (which the detector does not judge)."""
    p = probs(matrix([{"text": t, "context": ""} for t in texts], side), w, b)
    judged = np.array([len(normalize(t).text) > P.QUIET_CHARS for t in texts])
    return np.where(judged[:, None], p, 0.0)


def harmless_posts(data: Path) -> list[str]:
    """ChineseHarm-Bench's 不违规 texts: a measure-only pool (``../shared/data/MANIFEST.md``), for the reply heads'
    thresholds only, never for training."""
    return [row.text for row in ds.chinese_harm(data) if row.label == "不违规"]


def above_pool(w: np.ndarray, b: np.ndarray, texts: list[str], side: str, share: float) -> np.ndarray:
    """Per head: a threshold just above the probability of the pool's ``k + 1``-th highest text, ``k`` =
    ``share`` of the pool rounded down, so that at most ``k`` of its texts reach it (0.001 of 503 texts: none)."""
    if not texts or share <= 0:
        return np.zeros(w.shape[1], dtype=np.float32)
    ranked = -np.sort(-_judged_probs(w, b, texts, side), axis=0)
    k = min(int(share * len(texts)), len(texts) - 1)
    return np.minimum(np.ceil(ranked[k] * 100 + 1e-6) / 100, 0.99).astype(np.float32)


def matrix(items: list[dict], side: str) -> sparse.csr_matrix:
    rows, cols, scales = [], [], []
    for r, item in enumerate(items):
        norm = normalize(item["text"])
        row: Row = (
            P.reply_features(norm, item["context"])
            if side == "reply"
            else P.request_features(norm, item["context"])
        )
        rows.extend([r] * len(row.ids))
        cols.extend(row.ids.tolist())
        scales.append(row.scale)
    x = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(items), BUCKETS))
    return sparse.diags(np.array(scales, dtype=np.float32)) @ x


def targets(items: list[dict], labels: tuple[str, ...]) -> np.ndarray:
    return np.array([[int(label in i["labels"]) for label in labels] for i in items], dtype=np.int8)


def train_side(
    side: str, items: list[dict], labels: tuple[str, ...], args: argparse.Namespace, keep: set[str]
) -> dict:
    t0 = time.time()
    x, y = matrix(items, side), targets(items, labels)
    groups = np.array([i["group"] for i in items])
    folds = sorted(set(groups) & ({f"public-{k}" for k in range(3)} | set(args.writers)))
    corpus = np.isin(groups, args.writers)
    weight = np.where(corpus, args.corpus_weight, 1.0)
    oof = np.zeros(y.shape, dtype=np.float32)
    scored = np.zeros(len(items), dtype=bool)
    for g in folds:
        mask = groups == g
        w, b = fit(x[~mask], y[~mask], args.c, weight[~mask])
        oof[mask] = probs(x[mask], w, b)
        scored |= mask
        print(f"  {side} fold {g}: {time.time() - t0:.0f}s", flush=True)
    if args.save_oof:
        np.savez_compressed(
            args.save_oof.with_suffix(f".{side}.npz"), oof=oof, y=y, groups=groups, scored=scored
        )
    o, yy, cc = oof[scored], y[scored], corpus[scored]
    union = args.union_fpr if side == "reply" else 0.0
    medium, high, factor, blocked = union_thresholds(o, yy, cc, labels, args, union)
    if union > 0:
        print(
            f"  targets scaled by {factor:.2f}: out-of-fold union of the heads on the writers' hard negatives "
            f"{blocked:.4f} (at most {union})",
            flush=True,
        )
    for j, label in enumerate(labels):
        pos, hard = o[yy[:, j] == 1, j], o[(yy.sum(axis=1) == 0) & cc, j]
        if len(pos):
            print(
                f"  oof {label:32s} recall {float((pos >= medium[j]).mean()):.2f} hard-negative fpr "
                f"{float((hard >= medium[j]).mean()):.4f} thr {medium[j]:.2f} high {high[j]:.2f}",
                flush=True,
            )
    w, b = fit(x, y, args.c, weight)
    pool_fpr = args.user_pool_fpr if side == "user" else args.reply_pool_fpr
    if pool_fpr > 0:
        floor = (
            pool_thresholds(w, b, ordinary_posts(args.data), side, pool_fpr)
            if side == "user"
            else above_pool(w, b, harmless_posts(args.data), side, pool_fpr)
        )
        medium = np.maximum(medium, floor)
        high = np.maximum(high, medium)
        print(
            f"  medium thresholds after the harmless-pool floor (--keep heads are then copied from the shipped "
            f"files): {np.round(medium, 2).tolist()}",
            flush=True,
        )
    name = f"prohibited_{side}"
    kept = _kept_heads(SHIPPED / name, labels, keep)
    for j, (col, bias_j, head) in kept.items():
        w[:, j], b[j], medium[j], high[j] = col, bias_j, head["medium"], head["high"]
    args.out.mkdir(
        parents=True, exist_ok=True
    )  # a candidate's folder: the training run must not end in a crash
    np.savez_compressed(args.out / f"{name}.npz", weights=w.astype(np.float16), bias=b.astype(np.float32))
    meta = {
        "trained_by": "scripts/train_prohibited_heads.py",
        "buckets": BUCKETS,
        "heads": [
            kept[j][2]
            if j in kept
            else {
                "label": label,
                "medium": float(medium[j]),
                "high": float(high[j]),
                "train_positives": int(y[:, j].sum()),
                "trained_on": sorted(set(groups) & set(args.writers)),
            }
            for j, label in enumerate(labels)
        ],
        "train_items": len(items),
        "held_out_writer": args.test_writer,
        "c": args.c,
        "target_fpr": args.fpr,
        "target_corpus_fpr": args.corpus_fpr,
        "union_fpr": union,
        "target_factor": factor,
        "corpus_weight": args.corpus_weight,
        "ordinary_posts_fpr" if side == "user" else "harmless_posts_share": pool_fpr,
    }
    (args.out / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {name} ({len(items)} items) in {time.time() - t0:.0f}s", flush=True)
    return {"w": w, "b": b, "medium": medium, "high": high}


def _kept_heads(stem: Path, labels: tuple[str, ...], keep: set[str]) -> dict[int, tuple]:
    """Column index → (weights, bias, head entry) of the heads ``keep`` names, from the shipped ``stem``."""
    if not keep & set(labels):
        return {}
    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    arrays = np.load(stem.with_suffix(".npz"))
    heads = {h["label"]: (i, h) for i, h in enumerate(meta["heads"])}
    out = {}
    for j, label in enumerate(labels):
        if label in keep:
            i, head = heads[label]
            entry = dict(head)
            entry.setdefault("trained_on", meta.get("trained_on", ["t1", "t2"]))
            out[j] = (arrays["weights"][:, i].astype(np.float32), float(arrays["bias"][i]), entry)
    return out


def report(side: str, test: list[dict], labels: tuple[str, ...], model: dict) -> None:
    if not test:
        return
    pt = probs(matrix(test, side), model["w"], model["b"])
    yt = targets(test, labels)
    for j, label in enumerate(labels):
        pos = yt[:, j] == 1
        if pos.any():
            print(
                f"  {label:32s} n+={int(pos.sum()):4d} recall≥medium {float((pt[pos, j] >= model['medium'][j]).mean()):.2f}"
                f" ≥high {float((pt[pos, j] >= model['high'][j]).mean()):.2f}"
            )
    healthy = yt.sum(axis=1) == 0
    print(
        f"  healthy flagged (any head ≥ medium): {float((pt[healthy] >= model['medium']).any(axis=1).mean()):.3f}"
        f" of {int(healthy.sum())}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--corpus", type=Path, default=ROOT / "training" / "corpus")
    ap.add_argument("--test-writer", default="t3")
    ap.add_argument(
        "--exclude",
        default="t10,t11,t25",
        help="corpus writers left out of training (comma-separated). t10 and t11 by default: heads trained with "
        'their romance-scam openers read a partner\'s "我是你的男朋友，我爱你" as fraud; t25: held out, like t3, '
        "for the commercial, rights and fabrication risks (A.3-A.5) that t23 and t24 train",
    )
    ap.add_argument(
        "--reply-exclude",
        default="t21",
        help="corpus writers left out of the reply heads only (comma-separated). t21 by default: with its "
        "companion replies that name a risky topic the reply heads flagged 3.4 %% of ChineseHarm-Bench 不违规 "
        "at the default targets (2.8–3.0 %% without; measure set, thresholds only); its user messages still train "
        "the request heads when --sides user is run",
    )
    ap.add_argument("--cold", type=int, default=4000, help="COLD train rows used")
    ap.add_argument(
        "--cpsycoun", type=int, default=1500, help="CPsyCoun client and counsellor turns used (each)"
    )
    ap.add_argument("--c", type=float, default=4.0)
    ap.add_argument(
        "--fpr",
        type=float,
        default=0.02,
        help="medium threshold: false-positive rate on all healthy text (high: a fifth); with --corpus-fpr "
        "chosen on the measure-only ChineseHarm-Bench 不违规 and random Weibo posts (thresholds only): the "
        "loosest pair tried (0.01/0.01, 0.015/0.02, 0.02/0.03, 0.03/0.04) that kept 不违规 at most 3 %% "
        "(2.8 %%; 0.03/0.04 gave 4.0 %%) and Weibo posts under the earlier heads' 7 %% (6.2 %%)",
    )
    ap.add_argument(
        "--corpus-fpr",
        type=float,
        default=0.03,
        help="medium threshold: false-positive rate on the corpus writers' hard negatives (high: a fifth)",
    )
    ap.add_argument(
        "--corpus-weight", type=float, default=5.0, help="weight of corpus items against public ones"
    )
    ap.add_argument(
        "--union-fpr",
        type=float,
        default=0.0,
        help="reply heads: scale --fpr and --corpus-fpr down until the heads together block at most this share of "
        "the corpus writers' hard negatives out of fold (0: off, the default and how the shipped heads were made). "
        "Tried at 0.06 with t23-t31 (2026-12-02): targets scaled by 0.5, t3's romance bound held (2 of 28) but "
        "ChineseHarm-Bench's violating classes fell 10-17 points and t3's recall with them; not shipped",
    )
    ap.add_argument("--min-threshold", type=float, default=0.15)
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "companion_guard" / "detectors" / "data")
    ap.add_argument("--report", action="store_true")
    ap.add_argument(
        "--sides",
        default="reply,user",
        help="which head sets to train (reply, user); the others are left as shipped",
    )
    ap.add_argument(
        "--keep",
        default="reply.national_security",
        help="comma-separated heads copied unchanged (weights, bias, thresholds, "
        "trained_on) from the shipped files instead of the new training's: a head whose retrained threshold fell to the floor, say "
        '(the national-security head by default: retrained, its threshold falls to the 0.15 floor and it flags "维护国家统一")',
    )
    ap.add_argument(
        "--user-pool-fpr",
        type=float,
        default=0.0015,
        help="request heads: no medium threshold below the probability that more than this share of ordinary "
        "posts reach (random Weibo posts and CLUEmotion2020 valid, measure-only pools, thresholds only; 0: off). "
        "Without it the heads retrained on every writer fired on 10.6 %% of Weibo posts (the jailbreak head at "
        "its 0.15 floor, the illegal and discrimination heads), with it on 0.9 %% (the t1/t2 heads: 1.1 %%)",
    )
    ap.add_argument(
        "--reply-pool-fpr",
        type=float,
        default=0.0,
        help="reply heads: no medium threshold at or below the probability that more than this share of "
        "ChineseHarm-Bench's 不违规 texts reach (measure-only, thresholds only; 0: off). The shipped reply heads: "
        "--sides reply --reply-pool-fpr 0.001 (none of its 503 texts) --keep reply.sexual,reply.sexual_explicit,"
        "reply.violence_terror,reply.gambling,reply.discrimination,reply.national_security, i.e. the illegal-help, "
        "fraud and misinformation heads retrained: 不违规 2.6 %% where the same retrain without the floor flagged "
        "3.8 %% (training/DATASHEET.md §5)",
    )
    ap.add_argument(
        "--no-chat",
        action="store_true",
        help="leave the user messages of the reply corpus's conversations out of the request heads' healthy text",
    )
    ap.add_argument(
        "--save-oof", type=Path, default=None, help="save out-of-fold predictions here (.reply/.user.npz)"
    )
    args = ap.parse_args()

    c_reply, c_user, test = corpus_items(args.corpus / "prohibited", args.test_writer)
    excluded = {w.strip() for w in args.exclude.split(",") if w.strip()}
    reply_excluded = excluded | {w.strip() for w in args.reply_exclude.split(",") if w.strip()}
    c_reply = [i for i in c_reply if i["group"] not in reply_excluded]
    c_user = [i for i in c_user if i["group"] not in excluded]
    args.writers = sorted({i["group"] for i in c_reply + c_user})
    p_reply, p_user = public_items(args.data, args.cold, args.cpsycoun)
    h_reply, h_user = healthy_from_other_corpora(args.corpus, chat=not args.no_chat)
    reply, user = c_reply + p_reply + h_reply, c_user + p_user + h_user
    print(
        f"reply: {len(reply)} items; user: {len(user)} items; corpus writers {args.writers}; "
        f"held out: {args.test_writer} ({len(test)} items)",
        flush=True,
    )
    sides = {s.strip() for s in args.sides.split(",") if s.strip()}
    keep = {k.strip() for k in args.keep.split(",") if k.strip()}
    models = {}
    if "user" in sides:  # first: the reply heads read what the request heads find in the user's message
        models["user"] = train_side("user", user, P.USER_LABELS, args, keep)
        if args.out.resolve() == SHIPPED.resolve():
            P.request_heads.cache_clear()
            P._asked_ids_of.cache_clear()
        elif "reply" in sides:
            print(
                "  note: the reply heads read the shipped request heads, not those just written to --out",
                flush=True,
            )
    if "reply" in sides:
        models["reply"] = train_side("reply", reply, P.REPLY_LABELS, args, keep)
    if args.report:
        held_reply, held_user, _ = corpus_items(args.corpus / "prohibited", "")
        held_reply = [i for i in held_reply if i["group"] == args.test_writer]
        held_user = [i for i in held_user if i["group"] == args.test_writer]
        print(f"held-out writer {args.test_writer}:")
        for side, held, labels in (
            ("reply", held_reply, P.REPLY_LABELS),
            ("user", held_user, P.USER_LABELS),
        ):
            if side in models:
                report(side, held, labels, models[side])


if __name__ == "__main__":
    main()
