"""Gateway overhead: added latency per turn and turns per second (issue 2's figures).

Starts two real servers in their own processes on loopback — the bare demo
companion (``companion-guard demo-upstream``) and the gateway on the embedded
default (``companion-guard serve``: SQLite, offline detectors, demo companion) —
then drives each with 1, 10 and 50 concurrent clients for a bounded number of
non-streaming turns. Added latency = gateway percentile − direct percentile at
the same concurrency. Prints a Markdown table.

    python bench/bench_gateway.py [--turns 600] [--concurrency 1 10 50] [--runs 3]
        [--workers N] [--db postgresql+psycopg://…]

Besides latency it prints the CPU each server process spent per turn (from
``/proc``, all worker processes summed), which a shared machine disturbs far
less than latency. With ``--runs N`` every row is measured N times, in turn
(direct, then gateway, in the same run), and the summary gives medians and ranges.
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, 0.0)
        todo.extend(children.get(p, []))
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240  # a loaded shared machine starts slowly (detectors, migrations)
    while time.monotonic() < deadline:
        try:
            httpx.get(
                f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=1
            )
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit(f"server failed: {proc.stderr.read().decode() if proc.stderr else ''}")  # noqa: B904
            time.sleep(0.2)
    proc.terminate()
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


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def measure(url: str, model: str, turns: int, conc: int, pid: int) -> tuple[list[float], float, float]:
    """Latencies, wall seconds and server CPU ms per turn of one measurement."""
    cpu0 = cpu_seconds(pid)
    lat, wall = asyncio.run(drive(url, model, turns, conc))
    return lat, wall, (cpu_seconds(pid) - cpu0) * 1000 / turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600, help="turns per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--runs", type=int, default=1, help="measure every row this many times")
    parser.add_argument(
        "--db", default="", help="database URL for the gateway (default: SQLite in a temp home)"
    )
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cg-bench-")
    env = dict(os.environ, COMPANION_GUARD_API_KEY=KEY, COMPANION_GUARD_HOME=home)
    if args.db:
        env["COMPANION_GUARD_DB_URL"] = args.db
    up_port, gw_port = free_port(), free_port()
    exe = [sys.executable, "-m", "companion_guard"]
    upstream = start(exe + ["demo-upstream", "--port", str(up_port), "--key", KEY], up_port, env)
    try:
        gateway = start(
            exe + ["serve", "--port", str(gw_port), "--home", home, "--workers", str(args.workers)],
            gw_port,
            env,
        )
    except BaseException:
        upstream.terminate()
        raise
    direct_url = f"http://127.0.0.1:{up_port}/v1/chat/completions"
    gw_url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
    try:
        rows = []
        for conc in args.concurrency:
            asyncio.run(drive(gw_url, "xiaoyu", 50, conc))  # warm up
            for run in range(args.runs):
                direct, dwall, dcpu = measure(direct_url, "demo", args.turns, conc, upstream.pid)
                guarded, wall, gcpu = measure(gw_url, "xiaoyu", args.turns, conc, gateway.pid)
                rows.append(
                    (
                        conc,
                        run + 1,
                        pct(direct, 0.5),
                        pct(direct, 0.99),
                        pct(guarded, 0.5),
                        pct(guarded, 0.99),
                        pct(guarded, 0.5) - pct(direct, 0.5),
                        pct(guarded, 0.99) - pct(direct, 0.99),
                        len(direct) / dwall,
                        len(guarded) / wall,
                        dcpu,
                        gcpu,
                    )
                )
        db = "PostgreSQL" if args.db.startswith("postgres") else "SQLite"
        print(
            f"gateway bench: {args.turns} non-streaming turns per row; gateway on {db} (default detectors, "
            f"demo companion), {args.workers} worker(s); client and servers share this {os.cpu_count()}-core machine"
        )
        head = (
            "| clients | run | direct p50 ms | direct p99 ms | gateway p50 ms | gateway p99 ms | added p50 ms "
            "| added p99 ms | direct turns/s | gateway turns/s | direct CPU ms/turn | gateway CPU ms/turn |"
        )
        print(head)
        print("|---:" * 12 + "|")
        for r in rows:
            print(
                f"| {r[0]} | {r[1]} | "
                + " | ".join(f"{v:.1f}" for v in r[2:10])
                + f" | {r[10]:.2f} | {r[11]:.2f} |"
            )
        if args.runs > 1:
            print()
            print("median (range) over runs:")
            print("| clients | added p50 ms | added p99 ms | gateway turns/s | gateway CPU ms/turn |")
            print("|---:|---:|---:|---:|---:|")
            for conc in args.concurrency:
                mine = [r for r in rows if r[0] == conc]

                def col(i: int, fmt: str = ".1f", mine: list[tuple[float, ...]] = mine) -> str:
                    vals = [r[i] for r in mine]
                    return f"{median(vals):{fmt}} ({min(vals):{fmt}}–{max(vals):{fmt}})"

                print(f"| {conc} | {col(6)} | {col(7)} | {col(9, '.0f')} | {col(11, '.2f')} |")
        print(
            "added = gateway percentile minus direct percentile at the same concurrency, measured back to back; "
            "CPU = the server process (all workers) per turn"
        )
    finally:
        for proc in (gateway, upstream):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
