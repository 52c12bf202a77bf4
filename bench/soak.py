"""Soak: hold 50 concurrent clients against a gateway for minutes; errors, latency and memory per minute.

Starts ``companion-guard serve`` on the embedded default (SQLite, demo companion) in
a temp home, or with ``--db`` on PostgreSQL, and drives it with ``--clients``
closed-loop clients for ``--minutes``: a mix of non-streaming and streaming turns
(``--stream-share``), everyday chat and crises (``--crisis-share``; their users have
a webhook emergency contact, so the outbox works too), over ``--users`` users.
Every minute it prints the turns, errors, p50/p90/p99 latency and the gateway's
resident memory (all worker processes summed); at the end the totals and the
outbox's state. Goal: zero errors, flat memory.

    python bench/soak.py [--minutes 10] [--clients 50] [--workers 1] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gateway import KEY, TEXTS, free_port, start

CRISES = [
    "药都攒够了，今晚就结束这一切",
    "我不想活了，已经写好遗书了",
    "I have the pills ready and I am going to take them tonight",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, MiB (Linux ``/proc``)."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    kids.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                pass
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            pass
        todo.extend(kids.get(p, []))
    return total


def receiver() -> tuple[ThreadingHTTPServer, list[str]]:
    """A webhook receiver that records delivery ids."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(self.headers.get("X-Companion-Guard-Delivery", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def soak(args: argparse.Namespace, base: str, pid: int, hook: str) -> int:
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    rng = random.Random(16)
    minute: dict[str, list[float] | int] = {"lat": [], "errors": 0, "streams": 0, "crises": 0}
    totals = {"turns": 0, "errors": 0}
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as client:
        for u in range(args.users):
            if u % 10 == 0:  # every tenth user has an emergency contact (webhook)
                r = await client.put(
                    f"/v1/users/soak-{u}",
                    json={"age": 30, "emergency_contact": {"name": "姐姐", "webhook": f"{hook}/soak-{u}"}},
                )
                r.raise_for_status()
        end = time.monotonic() + args.minutes * 60

        async def one() -> None:
            u = rng.randrange(args.users)
            crisis = u % 10 == 0 and rng.random() < args.crisis_share * 10
            text = rng.choice(CRISES) if crisis else rng.choice(TEXTS)
            stream = rng.random() < args.stream_share
            body = {
                "model": "xiaoyu",
                "user": f"soak-{u}",
                "stream": stream,
                "messages": [{"role": "user", "content": text}],
            }
            t0 = time.perf_counter()
            try:
                if stream:
                    async with client.stream("POST", "/v1/chat/completions", json=body) as resp:
                        lines = [line async for line in resp.aiter_lines() if line.strip()]
                    ok = (
                        resp.status_code == 200
                        and lines
                        and lines[-1] == "data: [DONE]"
                        and not any('"error"' in line[:20] for line in lines)
                    )
                else:
                    resp = await client.post("/v1/chat/completions", json=body)
                    ok = resp.status_code == 200 and "guard" in resp.json()
                if not ok:
                    raise RuntimeError(f"HTTP {resp.status_code}")
                minute["lat"].append(time.perf_counter() - t0)  # type: ignore[union-attr]
                minute["streams"] += int(stream)  # type: ignore[operator]
                minute["crises"] += int(crisis)  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - counted and shown
                minute["errors"] += 1  # type: ignore[operator]
                if len(errors) < 10:
                    errors.append(f"{type(exc).__name__}: {exc}")

        async def client_loop() -> None:
            while time.monotonic() < end:
                await one()

        async def reporter() -> None:
            print(
                "| minute | turns | errors | streamed | crises | p50 ms | p90 ms | p99 ms | gateway RSS MiB |"
            )
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            n, began = 0, time.monotonic()
            while True:
                n += 1
                await asyncio.sleep(max(0.0, min(began + 60 * n, end) - time.monotonic()))
                lat = minute["lat"]
                totals["turns"] += len(lat)  # type: ignore[arg-type]
                totals["errors"] += minute["errors"]  # type: ignore[operator]
                print(
                    f"| {n} | {len(lat)} | {minute['errors']} | {minute['streams']} | {minute['crises']} | "  # type: ignore[arg-type]
                    f"{pct(lat, 0.5):.1f} | {pct(lat, 0.9):.1f} | {pct(lat, 0.99):.1f} | {rss_mb(pid):.0f} |",
                    flush=True,
                )  # type: ignore[arg-type]
                minute.update({"lat": [], "errors": 0, "streams": 0, "crises": 0})
                if time.monotonic() >= end:
                    return

        await asyncio.gather(reporter(), *(client_loop() for _ in range(args.clients)))
        await asyncio.sleep(3)  # let the outbox finish
        metrics = (await client.get("/metrics")).text
    outbox = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("companion_guard_notifications{")
    }
    print(f"\ntotal: {totals['turns']} turns, {totals['errors']} errors; outbox {json.dumps(outbox)}")
    for e in errors:
        print("  error:", e)
    return totals["errors"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--stream-share", type=float, default=0.3, help="share of streaming turns")
    parser.add_argument("--crisis-share", type=float, default=0.02, help="share of turns that are crises")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", default="", help="database URL (default: SQLite in a temp home)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cg-soak-")
    env = dict(
        os.environ,
        COMPANION_GUARD_API_KEY=KEY,
        COMPANION_GUARD_HOME=home,
        COMPANION_GUARD_ALLOW_PRIVATE_WEBHOOKS="true",
    )
    if args.db:
        env["COMPANION_GUARD_DB_URL"] = args.db
    hook_server, seen = receiver()
    port = free_port()
    exe = [sys.executable, "-m", "companion_guard"]
    gateway = start(
        exe + ["serve", "--port", str(port), "--home", home, "--workers", str(args.workers)], port, env
    )
    print(
        f"soak: {args.clients} clients for {args.minutes:g} min, {args.stream_share:.0%} streamed, "
        f"~{args.crisis_share:.0%} crises, {args.users} users, {args.workers} worker(s), "
        f"{'PostgreSQL' if args.db else 'SQLite'}; client and gateway share this {os.cpu_count()}-core machine"
    )
    try:
        failed = asyncio.run(
            soak(
                args,
                f"http://127.0.0.1:{port}",
                gateway.pid,
                f"http://127.0.0.1:{hook_server.server_address[1]}",
            )
        )
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
        hook_server.shutdown()
    print(f"webhook receiver: {len(seen)} deliveries, {len(set(seen))} distinct")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
