"""Gateway overhead: added latency per turn and turns per second (issue 2's figures).

Starts two real servers in their own processes on loopback — the bare demo
companion (``companion-guard demo-upstream``) and the gateway on the embedded
default (``companion-guard serve``: SQLite, offline detectors, demo companion) —
then drives each with 1, 10 and 50 concurrent clients for a bounded number of
non-streaming turns. Added latency = gateway percentile − direct percentile at
the same concurrency. Prints a Markdown table.

    python bench/bench_gateway.py [--turns 600] [--concurrency 1 10 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx

KEY = "bench-key"
TEXTS = [
    "你好呀，今天过得怎么样？",
    "我今天工作好累，想和你聊聊。",
    "Tell me something fun about cats.",
    "周末想去爬山，你觉得怎么样？",
    "我最近在学做饭，昨天做了红烧肉。",
    "What should I read next?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(
                f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=1
            )
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit(f"server failed: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.2)
    raise SystemExit(f"server on {port} did not start")


async def drive(url: str, model: str, turns: int, concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    counter = iter(range(turns))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        timeout=30, limits=limits, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:

        async def worker(w: int) -> None:
            for i in counter:
                body = {
                    "model": model,
                    "user": f"bench-user-{(w * 7 + i) % 50}",
                    "messages": [{"role": "user", "content": TEXTS[i % len(TEXTS)]}],
                }
                t0 = time.perf_counter()
                resp = await client.post(url, json=body)
                latencies.append(time.perf_counter() - t0)
                if resp.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {resp.status_code}: {resp.text[:200]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, wall


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600, help="turns per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cg-bench-")
    env = dict(os.environ, COMPANION_GUARD_API_KEY=KEY, COMPANION_GUARD_HOME=home)
    up_port, gw_port = free_port(), free_port()
    exe = [sys.executable, "-m", "companion_guard"]
    upstream = start(exe + ["demo-upstream", "--port", str(up_port), "--key", KEY], up_port, env)
    gateway = start(exe + ["serve", "--port", str(gw_port), "--home", home, "--workers", str(args.workers)], gw_port, env)
    try:
        rows = []
        for conc in args.concurrency:
            asyncio.run(
                drive(f"http://127.0.0.1:{gw_port}/v1/chat/completions", "xiaoyu", 50, conc)
            )  # warm up
            direct, _ = asyncio.run(
                drive(f"http://127.0.0.1:{up_port}/v1/chat/completions", "demo", args.turns, conc)
            )
            guarded, wall = asyncio.run(
                drive(f"http://127.0.0.1:{gw_port}/v1/chat/completions", "xiaoyu", args.turns, conc)
            )
            rows.append(
                (
                    conc,
                    pct(direct, 0.5),
                    pct(direct, 0.99),
                    pct(guarded, 0.5),
                    pct(guarded, 0.99),
                    pct(guarded, 0.5) - pct(direct, 0.5),
                    pct(guarded, 0.99) - pct(direct, 0.99),
                    len(guarded) / wall,
                )
            )
        print(
            f"gateway bench: {args.turns} non-streaming turns per row; gateway on the embedded default (SQLite, "
            f"default detectors, demo companion), {args.workers} worker(s); client and servers share this "
            f"{os.cpu_count()}-core machine"
        )
        print(
            "| clients | direct p50 ms | direct p99 ms | gateway p50 ms | gateway p99 ms | added p50 ms | added p99 ms | gateway turns/s |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} | {r[7]:.0f} |"
            )
        print(
            "added = gateway percentile minus direct percentile at the same concurrency; past saturation "
            "both are dominated by queueing in the shared client"
        )
    finally:
        for proc in (gateway, upstream):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
