"""Several ``serve`` processes on one PostgreSQL behave as one service.

Real processes on real ports, one fresh database, one webhook receiver: one I4
reminder per mark across replicas, each notification delivered once as the
receiver sees it, operator and persona changes seen by every replica within a
second, and a replica killed with SIGKILL under load loses no turn and sends no
notification twice. Skipped without COMPANION_GUARD_TEST_PG_URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import PROVIDER_KEY, free_port, fresh_pg_url
from tests.receivers import WebhookReceiver

from companion_guard.service.auth import create_key
from companion_guard.store.tables import ChatMessage, OutboxMessage, Turn

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MASTER_KEY = "ab" * 32
CRISIS = "药都攒够了，今晚就结束这一切"
H = {"Authorization": f"Bearer {PROVIDER_KEY}"}


class Replica:
    """One ``companion-guard serve`` process."""

    def __init__(self, db_url: str, home: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "COMPANION_GUARD_API_KEY": PROVIDER_KEY,
            "COMPANION_GUARD_HOME": str(home),
            "COMPANION_GUARD_DB_URL": db_url,
            "COMPANION_GUARD_MASTER_KEY": MASTER_KEY,
            "COMPANION_GUARD_WEBHOOK_SECRET": "replica-secret",
            "COMPANION_GUARD_ALLOW_PRIVATE_WEBHOOKS": "true",
            "COMPANION_GUARD_NOTIFY_TIMEOUT": "2",
            "COMPANION_GUARD_OUTBOX_INTERVAL": "0.2",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "companion_guard", "serve", "--sandbox", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> Replica:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, "replica exited during start-up"
            time.sleep(0.2)
        raise AssertionError("replica did not start")

    def chat(self, user: str, text: str, persona: str = "xiaoyu") -> httpx.Response:
        return httpx.post(
            self.base + "/v1/chat/completions",
            headers=H,
            timeout=60,
            json={"model": persona, "user": user, "messages": [{"role": "user", "content": text}]},
        )

    def advance(self, seconds: float) -> None:
        assert (
            httpx.post(
                self.base + "/v1/sandbox/clock", headers=H, json={"advance_seconds": seconds}
            ).status_code
            == 200
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def pg_url() -> str:
    url = fresh_pg_url()
    if url is None:
        pytest.skip("COMPANION_GUARD_TEST_PG_URL not set (.ci/run starts a local PostgreSQL and sets it)")
    return url


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path) -> Iterator[list[Replica]]:
    # The first replica migrates the empty database alone; the second starts on the migrated one.
    first = Replica(pg_url, tmp_path / "a").wait()
    second = Replica(pg_url, tmp_path / "b").wait()
    yield [first, second]
    for r in (first, second):
        r.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


def _events(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [e["kind"] for e in resp.json()["guard"]["events"]]


@pytest.mark.req("I4")
def test_one_time_reminder_per_mark_across_replicas(replicas: list[Replica]) -> None:
    a = replicas[0]
    user = "rep-i4"
    assert httpx.put(f"{a.base}/v1/users/{user}", headers=H, json={"age": 30}).status_code == 200
    _events(a.chat(user, "你好"))
    for step in range(5):  # 100 minutes in 20-minute steps, alternating replicas: continuous use
        for r in replicas:
            r.advance(20 * 60)
        assert "reminder.time" not in _events(replicas[step % 2].chat(user, "我们继续聊"))
    for r in replicas:
        r.advance(21 * 60)
    # Both replicas at once, past the 2-hour mark: one reminder in all.
    with ThreadPoolExecutor(8) as pool:
        kinds = list(pool.map(lambda i: _events(replicas[i % 2].chat(user, "还在吗")), range(8)))
    assert sum(k.count("reminder.time") for k in kinds) == 1


@pytest.mark.req("D5")
def test_operator_and_persona_changes_reach_every_replica_within_a_second(
    replicas: list[Replica], pg_url: str
) -> None:
    a, b = replicas
    engine = create_engine(pg_url)
    with Session(engine) as s, s.begin():
        operator = create_key(s, role="operator", subject="op-1", label="test", now=datetime.now(UTC))
    engine.dispose()
    assert "restricted" not in _events(b.chat("rep-ctl", "你好"))  # B has read the controls
    r = httpx.put(
        f"{a.base}/v1/operator/kill-switch",
        headers={"Authorization": f"Bearer {operator}"},
        json={"engaged": True, "reason": "replica test", "message_zh": "维护中", "message_en": "Maintenance"},
    )
    assert r.status_code == 200, r.text
    time.sleep(1.2)  # every cache on the hot path lives at most one second
    assert _events(b.chat("rep-ctl", "你好")) == ["restricted"]
    httpx.put(
        f"{a.base}/v1/operator/kill-switch",
        headers={"Authorization": f"Bearer {operator}"},
        json={"engaged": False, "reason": "done"},
    )

    assert _events(b.chat("rep-p", "你好", persona="sam"))  # B has the persona cached
    r = httpx.delete(f"{a.base}/v1/personas/sam", headers=H)
    assert r.status_code == 200
    time.sleep(1.2)
    assert b.chat("rep-p", "你好", persona="sam").status_code == 404


@pytest.mark.req("I2", "D1")
def test_sigkill_of_a_replica_under_load_loses_no_turn_and_sends_nothing_twice(
    replicas: list[Replica], receiver: WebhookReceiver, pg_url: str
) -> None:
    a, b = replicas
    crisis_users = [f"rep-c{i}" for i in range(6)]
    for user in crisis_users:
        contact = {"name": "姐姐", "webhook": f"{receiver.url}/{user}"}
        r = httpx.put(f"{a.base}/v1/users/{user}", headers=H, json={"age": 30, "emergency_contact": contact})
        assert r.status_code == 200, r.text
    plan: list[tuple[str, str]] = []
    for i in range(90):
        if i % 5 == 0:
            plan.append((crisis_users[(i // 5) % len(crisis_users)], CRISIS))
        else:
            plan.append((f"rep-n{i % 15}", "今天工作好累，想和你聊聊"))
    answered: list[dict[str, Any]] = []
    retried = Counter[str]()
    lock = threading.Lock()
    done = threading.Event()

    def send(i: int) -> None:
        user, text = plan[i]
        target = replicas[i % 2]
        try:
            resp = target.chat(user, text)
        except httpx.HTTPError:
            # What a load balancer does when a replica dies: the same request to a live one.
            with lock:
                retried[user] += 1
            resp = b.chat(user, text)
        assert resp.status_code == 200, resp.text
        with lock:
            answered.append({"user": user, "turn_id": resp.json()["guard"]["turn_id"]})
            if len(answered) == 30:
                done.set()

    def killer() -> None:
        done.wait(120)
        a.proc.send_signal(signal.SIGKILL)

    threading.Thread(target=killer, daemon=True).start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(len(plan))))
    assert a.proc.wait(timeout=10) == -signal.SIGKILL
    assert len(answered) == len(plan)  # every request was answered (directly or on the survivor)

    engine = create_engine(pg_url)
    deadline = time.monotonic() + 90  # rows leased by the dead replica come back after the lease
    while time.monotonic() < deadline:
        with Session(engine) as s:
            if not s.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
            ):
                break
        time.sleep(0.5)
    with Session(engine) as s:
        turns = {t.id: t for t in s.scalars(select(Turn))}
        roles: dict[str, list[str]] = {}
        for m in s.scalars(select(ChatMessage).order_by(ChatMessage.id)):
            roles.setdefault(m.turn_id, []).append(m.role)
        outbox = list(s.scalars(select(OutboxMessage)))
    engine.dispose()
    for item in answered:  # every answered turn is recorded whole
        turn = turns[item["turn_id"]]
        assert turn.status == "completed" and roles[turn.id] == ["user", "assistant"], (
            turn.status,
            roles.get(turn.id),
        )
    # A turn cut by the kill kept the user's message and its decision.
    for turn in turns.values():
        if turn.status != "completed":
            assert turn.status in ("decided", "interrupted") and roles.get(turn.id, [])[:1] == ["user"]
    assert outbox and all(row.status == "delivered" for row in outbox)
    # The receiver drops repeats by delivery id: each notification once, one per user in crisis.
    seen = {r.headers["x-companion-guard-delivery"]: r.path.strip("/") for r in receiver.received}
    assert set(seen) == {f"cg-outbox-{row.id}" for row in outbox}
    assert sorted(Counter(seen.values()).items()) == [(u, 1) for u in sorted(crisis_users)]
