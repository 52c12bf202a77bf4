#!/usr/bin/env python
"""Choose the prohibited reply heads' stand-alone offset on harmless stand-alone posts only.

Why: the heads' thresholds are set against the corpus writers' hard negatives, which
are mostly long companion answers. A moderation check of a post with no question
before it (``companion-guard check`` on a comment, an ad, a DM) meets short texts
that score lower for the same risk. So texts with no user message before them are
read with every medium threshold lowered by one shared logit offset: the largest
offset (in steps of ``--step``) at which the whole default gateway replaces at most
``--added`` more of each pool of harmless stand-alone posts than with no offset:

- the 不违规 class of ChineseHarm-Bench (measure set: thresholds only);
- ``--weibo`` random Weibo posts from weibo-suicide-detect-svm's ``normal.txt`` (measure set).

Only harmless texts decide the offset; no violating text is read. It is written as
``standalone_offset`` into ``detectors/data/prohibited_reply.json``; retraining the heads
resets it to 0, so run this after ``scripts/train_prohibited_heads.py``.

    python scripts/calibrate_standalone.py                  # choose and write
    python scripts/calibrate_standalone.py --dry-run        # print the sweep only
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from companion_guard.detectors import prohibited_assessment as P
from companion_guard.evaluation import datasets as ds
from companion_guard.evaluation.corpus import reply_blocked
from companion_guard.evaluation.guard_for_eval import offline_guard
from companion_guard.evaluation.runner import make_registry

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "companion_guard" / "detectors" / "data" / "prohibited_reply.json"


def pools(data: Path, weibo: int, seed: int) -> dict[str, list[str]]:
    """The harmless stand-alone posts, by source."""
    out = {"ChineseHarm-Bench 不违规": [r.text for r in ds.chinese_harm(data) if r.label == "不违规"]}
    normal = data / "weibo-suicide-detect-svm" / "normal.txt"
    if weibo and normal.exists():
        lines = [t.strip() for t in normal.read_text(encoding="utf-8").splitlines() if t.strip()]
        out["Weibo normal.txt"] = random.Random(seed).sample(lines, min(weibo, len(lines)))
    return out


def blocked_share(guard: object, texts: list[str]) -> float:
    return sum(reply_blocked(guard, {"reply": t, "context": []})[0] for t in texts) / max(1, len(texts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument(
        "--added", type=float, default=0.01, help="most added replaced share of each harmless pool"
    )
    ap.add_argument("--step", type=float, default=0.05)
    ap.add_argument("--max", type=float, default=2.0, help="largest offset tried (logits)")
    ap.add_argument("--weibo", type=int, default=3000, help="random Weibo posts in the second pool (0: none)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()

    harmless = pools(args.data, args.weibo, args.seed)
    guard = offline_guard(make_registry("off"))
    heads = P.reply_heads()
    chosen, base = 0.0, None
    steps = round(args.max / args.step)
    for k in range(steps + 1):
        offset = round(k * args.step, 4)
        heads.set_standalone_offset(offset)
        shares = {name: blocked_share(guard, texts) for name, texts in harmless.items()}
        print(f"offset {offset:.2f}: " + ", ".join(f"{n} {s:.2%}" for n, s in shares.items()), flush=True)
        base = base or shares
        if max(shares[n] - base[n] for n in shares) > args.added:
            break
        chosen = offset
    print(f"chosen offset {chosen:.2f} (at most {args.added:.1%} more of each pool replaced than with none)")
    if args.dry_run:
        return
    meta = json.loads(SHIPPED.read_text(encoding="utf-8"))
    meta["standalone_offset"] = chosen
    meta["standalone_calibration"] = {
        "script": "scripts/calibrate_standalone.py",
        "added": args.added,
        "pools": {name: len(texts) for name, texts in harmless.items()},
    }
    SHIPPED.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote standalone_offset {chosen:.2f} into {SHIPPED.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
