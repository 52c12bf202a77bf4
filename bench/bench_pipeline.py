"""The pipeline's own cost per turn, in process: no HTTP, no event loop, no load client.

Runs ``Guard.prepare`` → ``check_reply`` → ``finish`` (what ``Guard.turn`` does around the
upstream call, the demo companion's replies precomputed) for 50 users, after 100 warm-up
turns, and prints the process CPU per turn of each run. ``--unique`` makes every user
text and reply unique, so caches keyed by text are not flattered by the bench's six
repeated texts. On a shared machine count instructions instead of time:

    python bench/bench_pipeline.py [--turns 300] [--runs 3] [--unique] [--db URL]
    valgrind --tool=callgrind --instr-atstart=no "$(python -c 'import sys; print(sys.executable)')" bench/bench_pipeline.py --unique --callgrind
        (``callgrind_control -i on <pid>`` and touch the file when it prints READY; ``callgrind_control -i off
        <pid>`` and touch the next file when it prints DONE; the dump's total / turns = instructions per turn)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_gateway import TEXTS  # the same ordinary messages as the HTTP bench (run from bench/)

from companion_guard.service.app import build_services
from companion_guard.settings import Settings
from companion_guard.turn import TurnRequest
from companion_guard.types import Message
from companion_guard.upstream.base import UpstreamRequest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="turns per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--unique", action="store_true", help="every text and reply unique")
    parser.add_argument("--db", default="", help="database URL (default: SQLite in a temp home)")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="one run, between a READY and a DONE that each wait for a file (switch instrumentation there)",
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cg-pipeline-"))
    values: dict[str, object] = {"home": home}
    if args.db:
        values["db_url"] = args.db
    guard = build_services(Settings(**values)).guard  # type: ignore[arg-type]
    replies = [
        asyncio.run(
            guard.upstream.complete(
                UpstreamRequest(
                    model="xiaoyu", messages=(Message("user", t),), persona_id="xiaoyu", locale="zh-CN"
                )
            )
        )
        for t in TEXTS
    ]

    def turn(i: int) -> None:
        suffix = f" {i}" if args.unique else ""
        text = TEXTS[i % len(TEXTS)] + suffix
        req = TurnRequest(
            user_id=f"bench-user-{i % 50}", persona_id="xiaoyu", messages=(Message("user", text),)
        )
        prepared = guard.prepare(req)
        if prepared.final is None:
            reply = replies[i % len(TEXTS)] + suffix
            guard.check_reply(prepared, reply)
            guard.finish(prepared, reply, checked=True)

    for i in range(100):  # first sight of the 50 users: their rows and data keys
        turn(i)
    start = 100
    if args.callgrind:
        flag = home / "READY.go"
        print(f"READY pid {os.getpid()}: instrument, then touch {flag}", flush=True)
        while not flag.exists():
            time.sleep(0.05)
    for run in range(1 if args.callgrind else args.runs):
        t0 = time.process_time()
        for i in range(start, start + args.turns):
            turn(i)
        start += args.turns
        print(
            f"run {run + 1}: {(time.process_time() - t0) * 1000 / args.turns:.2f} ms CPU per turn", flush=True
        )
    if (
        args.callgrind
    ):  # interpreter shutdown is not part of a turn: wait while instrumentation is switched off
        stop = home / "READY.stop"
        print(f"DONE: switch instrumentation off, then touch {stop}", flush=True)
        while not stop.exists():
            time.sleep(0.05)


if __name__ == "__main__":
    main()
