"""Fixtures for the web pages: one real gateway on a port, Debian's Chromium driven by Playwright.

The browser is launched once per session (``/usr/bin/chromium``, or ``CHROMIUM_PATH``);
each test gets a fresh context, so cookies never leak between tests. Users, keys and
cases are made per test with their own ids, so the tests share the one server safely.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.conftest import PROVIDER_KEY, LiveServer, make_settings, start_server
from tests.receivers import WebhookReceiver

from companion_guard.service.auth import create_key
from companion_guard.store.db import session_scope

CRISIS = "我不想活了，药都准备好了"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def chromium_path() -> str | None:
    """Debian's Chromium (Playwright's own browser download does not work here)."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@dataclass
class Gateway:
    """The running gateway and helpers that act as the provider's backend."""

    server: LiveServer
    app: Any
    api: httpx.Client
    receiver: WebhookReceiver

    @property
    def url(self) -> str:
        """The base URL."""
        return self.server.base_url

    def key(self, role: str, subject: str | None = None) -> str:
        """A new key of ``role`` (as ``companion-guard keys create`` makes it)."""
        svc = self.app.state.services
        with session_scope(svc.sessions) as session:
            return create_key(
                session,
                role=role,
                subject=subject or f"{role}-{uuid.uuid4().hex[:6]}",
                label="web test",
                now=svc.clock.now(),
            )

    def chat(self, user: str, persona: str, text: str) -> dict[str, Any]:
        """One turn as the provider's backend sends it."""
        resp = self.api.post(
            "/v1/chat/completions",
            json={"model": persona, "user": user, "messages": [{"role": "user", "content": text}]},
        )
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def daytime(self) -> None:
        """Move the sandbox clock to a daytime hour in Shanghai (minors' quiet hours are at night).

        The clock only moves forward; tests that depend on what a minor may do at this hour call this first.
        """
        now = datetime.fromisoformat(self.api.get("/v1/sandbox/clock").json()["now"]).astimezone(SHANGHAI)
        if 9 <= now.hour < 20:
            return
        target = now.replace(hour=10, minute=0, second=0, microsecond=0)
        if target <= now:
            target += timedelta(days=1)
        resp = self.api.post("/v1/sandbox/clock", json={"advance_seconds": (target - now).total_seconds()})
        assert resp.status_code == 200, resp.text

    def guardian_of(self, user: str, age: int = 12) -> str:
        """Register a minor, invite a guardian and consent: the guardian's key."""
        assert self.api.put(f"/v1/users/{user}", json={"age": age, "name": "小雨"}).status_code == 200
        code = self.api.post(f"/v1/users/{user}/guardian/invite").json()["code"]
        return str(httpx.post(f"{self.url}/v1/guardian/consent", json={"code": code}).json()["token"])


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway for every web test (sandbox on, the built-in demo companion)."""
    from companion_guard.service.app import create_app

    receiver = WebhookReceiver().start()
    app = create_app(make_settings(tmp_path_factory.mktemp("web")))
    server = start_server(app)
    api = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}, timeout=30
    )
    gateway = Gateway(server, app, api, receiver)
    gateway.daytime()  # what minors may do must not depend on when CI runs
    yield gateway
    api.close()
    server.stop()
    receiver.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium, headless, launched once."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium: .ci/run installs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-gpu"], timeout=90_000
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, gateway: Gateway) -> Iterator[Any]:
    """A fresh browser context (no cookies) on a phone-sized screen, zh-CN."""
    context = browser.new_context(
        base_url=gateway.url, locale="zh-CN", viewport={"width": 412, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser: Any, gateway: Gateway) -> Iterator[Any]:
    """A second, desktop-sized context (another person at another desk)."""
    context = browser.new_context(
        base_url=gateway.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
