"""Take zh-CN screenshots of the four web surfaces into docs/screenshots/*.png.

Starts a sandbox gateway in a temporary folder, makes a little traffic (a crisis in the
demo chat, a guardian's ward with a week of use, a user with data) and drives Debian's
Chromium through the pages:

    python scripts/screenshots.py            # CHROMIUM_PATH overrides /usr/bin/chromium
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
KEY = "screenshot-provider-key"
CRISIS = "我不想活了，药都准备好了"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(home: Path) -> tuple[str, Any, uvicorn.Server]:
    from companion_guard.service.app import create_app
    from companion_guard.settings import load_settings

    app = create_app(load_settings(home=home, api_key=KEY, sandbox=True, allow_private_webhooks=True))
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", app, server


def _key(app: Any, role: str, subject: str) -> str:
    from companion_guard.service.auth import create_key
    from companion_guard.store.db import session_scope

    svc = app.state.services
    with session_scope(svc.sessions) as session:
        return create_key(session, role=role, subject=subject, label="screenshots", now=svc.clock.now())


def _seed(api: httpx.Client) -> str:
    """A ward with a week of use, and the guardian's key."""
    api.put("/v1/users/xiaoyu-13", json={"age": 13, "name": "小雨"})
    code = api.post("/v1/users/xiaoyu-13/guardian/invite").json()["code"]
    guardian = api.post("/v1/guardian/consent", json={"code": code}).json()["token"]
    for day in range(6):
        for i in range(2 + day % 3):
            api.post(
                "/v1/chat/completions",
                json={
                    "model": "xiaoyu" if i % 2 else "mimi",
                    "user": "xiaoyu-13",
                    "messages": [{"role": "user", "content": "今天学校里发生了一件事"}],
                },
            )
            api.post("/v1/sandbox/clock", json={"advance_seconds": 600})
        api.post("/v1/sandbox/clock", json={"advance_seconds": 86400 - 1800})
    api.put("/v1/users/lin-29", json={"age": 29, "name": "小林"})
    api.post(
        "/v1/chat/completions",
        json={
            "model": "xiaoyu",
            "user": "lin-29",
            "messages": [{"role": "user", "content": "今天好累，想找人说说话"}],
        },
    )
    api.post(
        "/v1/complaints",
        json={"kind": "complaint", "subject": "回复太慢", "body": "晚上回复很慢", "user_id": "lin-29"},
    )
    return str(guardian)


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base, app, server = _start(Path(tmp) / "home")
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        guardian = _seed(api)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            desk = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 860})
            page = desk.new_page()
            page.goto("/")
            page.get_by_label("年龄").fill("29")
            page.get_by_label("联系人称呼").fill("姐姐")
            page.get_by_label("通知地址（Webhook）").fill("https://example.org/hook")
            page.get_by_role("button", name="保存资料").click()
            page.get_by_label("消息").fill(CRISIS)
            page.get_by_role("button", name="发送").click()
            page.get_by_role("dialog").wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=OUT / "demo-crisis.png")
            while page.get_by_role("dialog").is_visible():
                page.get_by_role("button", name="我知道了").click()
            page.screenshot(path=OUT / "demo-chat.png")

            phone = browser.new_context(
                base_url=base,
                locale="zh-CN",
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
            ).new_page()
            phone.goto("/")
            phone.get_by_label("消息").fill(CRISIS)
            phone.get_by_role("button", name="发送").click()
            phone.get_by_role("dialog").wait_for()
            phone.wait_for_timeout(300)
            phone.screenshot(path=OUT / "demo-phone.png")

            page.goto("/console")
            page.screenshot(path=OUT / "console-signin.png", full_page=True)
            page.get_by_label("运营人员或审计人员密钥").fill(_key(app, "operator", "op-alice"))
            page.get_by_role("button", name="登录").click()
            page.wait_for_timeout(1200)  # let the timers tick
            page.screenshot(path=OUT / "console-queue.png", full_page=True)
            page.get_by_role("link", name="#1", exact=True).click()
            page.get_by_label("备注").fill("已电话联系其姐姐，家人正在陪同")
            page.get_by_role("button", name="接手").click()
            page.screenshot(path=OUT / "console-case.png", full_page=True)
            page.goto("/console/complaints")
            page.screenshot(path=OUT / "console-complaints.png", full_page=True)
            page.goto("/console/figures")
            page.screenshot(path=OUT / "console-figures.png", full_page=True)

            page.goto("/guardian")
            page.get_by_label("监护人密钥").fill(guardian)
            page.get_by_role("button", name="登录").click()
            page.get_by_role("link", name="xiaoyu-13").click()
            page.get_by_role("checkbox", name="林深").check()
            page.get_by_role("button", name="保存屏蔽名单").click()
            page.screenshot(path=OUT / "guardian-ward.png", full_page=True)

            page.goto(api.post("/v1/users/lin-29/portal-link").json()["url"])
            page.screenshot(path=OUT / "me.png", full_page=True)
            page.get_by_role("link", name="删除我的数据……").click()
            page.screenshot(path=OUT / "me-delete.png")
            browser.close()
        api.close()
        server.should_exit = True
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(OUT.parent.parent)}  {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
