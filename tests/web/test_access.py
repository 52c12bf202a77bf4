"""Who may open which page, over real HTTP: anonymous visitors, wrong roles, forged
cookies and links, missing CSRF tokens and guessed keys are all refused (D1, D3, M4)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import PROVIDER_KEY
from tests.web.conftest import CRISIS, Gateway

PRIVATE_PAGES = [
    "/console",
    "/console/cases/1",
    "/console/complaints",
    "/console/users?user=a",
    "/console/personas",
    "/console/controls",
    "/console/incidents",
    "/console/figures",
    "/console/redteam",
    "/console/reports",
    "/console/audit",
    "/guardian",
    "/guardian/wards/ward-x",
    "/me",
    "/me/delete",
]
PRIVATE_POSTS = [
    "/console/cases/1",
    "/console/complaints/c1",
    "/console/users/messages",
    "/console/users/suspend",
    "/console/users/restrict",
    "/console/personas/xiaoyu/disable",
    "/console/kill-switch",
    "/console/notices",
    "/console/incidents",
    "/guardian/wards/ward-x/blocked",
    "/guardian/wards/ward-x/cap",
    "/guardian/wards/ward-x/minor-mode",
    "/guardian/wards/ward-x/withdraw",
    "/me/export",
    "/me/delete",
    "/me/quit",
    "/me/complaints",
]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def sign_in(gateway: Gateway, surface: str, key: str) -> tuple[httpx.Client, httpx.Response]:
    """A browser-like client (cookies kept) that has posted the sign-in form."""
    client = httpx.Client(base_url=gateway.url, follow_redirects=True, timeout=30)
    form = client.get(f"/{surface}")
    return client, client.post(f"/{surface}/signin", data={"csrf": _csrf(form.text), "key": key})


@pytest.fixture
def anonymous(gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


@pytest.mark.req("D1", "D3", "M4")
@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_anonymous_visitors_get_a_sign_in_page_not_data(anonymous: httpx.Client, path: str) -> None:
    resp = anonymous.get(path)
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("text/html")
    assert "登录" in resp.text or "链接无效或已过期" in resp.text
    assert (
        resp.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    )


@pytest.mark.req("D1", "D3", "M4")
@pytest.mark.parametrize("path", PRIVATE_POSTS)
def test_anonymous_posts_change_nothing(anonymous: httpx.Client, path: str) -> None:
    assert anonymous.post(path, data={"csrf": "x", "reason": "an attempt from outside"}).status_code == 401


@pytest.mark.req("D1")
@pytest.mark.parametrize("role", ["provider", "guardian", "user"])
def test_the_console_refuses_keys_of_other_roles(gateway: Gateway, role: str) -> None:
    key = PROVIDER_KEY if role == "provider" else gateway.key(role)
    client, resp = sign_in(gateway, "console", key)
    assert resp.status_code == 403 and "运营人员（operator）或审计人员（auditor）" in resp.text
    assert client.get("/console").status_code == 401


@pytest.mark.req("M4")
@pytest.mark.parametrize("role", ["provider", "operator", "auditor"])
def test_the_guardian_portal_refuses_keys_of_other_roles(gateway: Gateway, role: str) -> None:
    key = PROVIDER_KEY if role == "provider" else gateway.key(role)
    client, resp = sign_in(gateway, "guardian", key)
    assert resp.status_code == 403 and "监护人（guardian）" in resp.text
    assert client.get("/guardian").status_code == 401


@pytest.mark.req("M4")
def test_a_guardian_sees_only_their_own_wards(gateway: Gateway) -> None:
    mine, theirs = gateway.guardian_of("ward-a1"), gateway.guardian_of("ward-b1")
    assert theirs
    client, resp = sign_in(gateway, "guardian", mine)
    assert resp.status_code == 200 and "ward-a1" in resp.text and "ward-b1" not in resp.text
    assert client.get("/guardian/wards/ward-b1").status_code == 403
    page = client.get("/guardian/wards/ward-a1")
    refused = client.post(
        "/guardian/wards/ward-b1/blocked", data={"csrf": _csrf(page.text), "personas": "xiaoyu"}
    )
    assert refused.status_code == 403 and "not your ward" in refused.text


@pytest.mark.req("D1", "D5")
def test_an_auditor_sees_the_console_read_only(gateway: Gateway) -> None:
    gateway.chat("audited-user", "xiaoyu", CRISIS)
    case = next(
        c
        for c in gateway.api.get("/v1/help-cases", params={"queue": "crisis"}).json()["cases"]
        if c["user"] == "audited-user"
    )
    client, resp = sign_in(gateway, "console", gateway.key("auditor"))
    assert resp.status_code == 200 and "所有页面只读" in resp.text and "audited-user" in resp.text
    page = client.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200 and "解决并关闭" not in page.text
    refused = client.post(
        f"/console/cases/{case['id']}", data={"csrf": _csrf(page.text), "action": "resolve"}
    )
    assert refused.status_code == 403
    controls = client.get("/console/controls")
    refused = client.post(
        "/console/kill-switch", data={"csrf": _csrf(controls.text), "engaged": "1", "reason": "test"}
    )
    assert refused.status_code == 403
    assert gateway.api.get(f"/v1/help-cases/{case['id']}").json()["status"] == "open"
    audit = client.get("/console/audit")
    assert audit.status_code == 200 and "哈希链校验" in audit.text
    for path in (
        "/console/complaints",
        "/console/users?user=audited-user",
        "/console/personas",
        "/console/incidents",
        "/console/figures",
        "/console/redteam",
        "/console/reports",
    ):
        page = client.get(path)
        assert (
            page.status_code == 200
            and "所有页面只读" in page.text
            and 'type="submit" class="danger"' not in page.text
        )
    assert "安全评估" in client.get("/console/reports").text


@pytest.mark.req("D1", "D3")
def test_reading_messages_needs_a_reason_and_is_audited(gateway: Gateway) -> None:
    gateway.chat("read-me", "xiaoyu", "今天去公园散步了")
    client, _ = sign_in(gateway, "console", gateway.key("operator", "op-reader"))
    page = client.get("/console/users?user=read-me")
    short = client.post(
        "/console/users/messages", data={"csrf": _csrf(page.text), "user": "read-me", "reason": "看看"}
    )
    assert short.status_code == 400 and "reason" in short.text
    ok = client.post(
        "/console/users/messages",
        data={"csrf": _csrf(page.text), "user": "read-me", "reason": "投诉 C-17 核实对话内容"},
    )
    assert ok.status_code == 200 and "今天去公园散步了" in ok.text and "已记入审计日志" in ok.text
    auditor, _ = sign_in(gateway, "console", gateway.key("auditor"))
    log = auditor.get("/console/audit").text
    assert "投诉 C-17 核实对话内容" in log and "op-reader" in log


@pytest.mark.req("D1")
def test_forms_without_the_sessions_csrf_token_are_refused(gateway: Gateway) -> None:
    client, _ = sign_in(gateway, "console", gateway.key("operator"))
    other, _ = sign_in(gateway, "console", gateway.key("operator"))
    foreign = _csrf(other.get("/console/controls").text)
    for token in ("", foreign):
        resp = client.post(
            "/console/kill-switch", data={"csrf": token, "engaged": "1", "reason": "csrf test"}
        )
        assert resp.status_code == 400 and "页面已过期" in resp.text
    assert gateway.api.get("/v1/models").status_code == 200  # the kill switch was not pulled
    with httpx.Client(base_url=gateway.url, timeout=30) as demo:
        demo.get("/")
        assert (
            demo.post(
                "/demo/chat", json={"persona": "xiaoyu", "messages": [{"role": "user", "content": "hi"}]}
            ).status_code
            == 403
        )


@pytest.mark.req("D1")
def test_session_cookies_are_httponly_strict_and_scoped(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = httpx.Client(base_url=gateway.url, timeout=30)
    form = client.get("/console")
    resp = client.post("/console/signin", data={"csrf": _csrf(form.text), "key": gateway.key("operator")})
    cookie = resp.headers["set-cookie"]
    assert (
        resp.status_code == 303
        and "HttpOnly" in cookie
        and "SameSite=strict" in cookie
        and "Path=/console" in cookie
    )
    assert "Secure" not in cookie  # plain http on loopback
    assert gateway.key("operator")[:12] not in cookie  # the key is sealed, not readable
    monkeypatch.setattr(gateway.app.state.services.settings, "web_cookie_secure", "true")
    form = client.get("/guardian")
    assert "Secure" in form.headers["set-cookie"]
    # A forged or altered cookie is an anonymous visitor.
    value = cookie.split(";")[0].split("=", 1)[1]
    tampered = value[:-4] + ("AAAA" if value[-4:] != "AAAA" else "BBBB")
    forged = httpx.get(f"{gateway.url}/console", cookies={"cg_console": tampered})
    assert forged.status_code == 401


@pytest.mark.req("D1")
def test_repeated_wrong_keys_are_slowed_down_with_a_clear_message(gateway: Gateway) -> None:
    limiter = gateway.app.state.services.web.limiter
    try:
        client = httpx.Client(base_url=gateway.url, timeout=30)
        token = _csrf(client.get("/guardian").text)
        codes = [
            client.post("/guardian/signin", data={"csrf": token, "key": f"cg-guar-wrong-{i}"}).status_code
            for i in range(5)
        ]
        assert codes == [401] * 5
        locked = client.post("/guardian/signin", data={"csrf": token, "key": gateway.guardian_of("ward-rl")})
        assert (
            locked.status_code == 429
            and "登录失败次数过多" in locked.text
            and int(locked.headers["retry-after"]) > 0
        )
    finally:
        limiter.succeeded("guardian:127.0.0.1")


@pytest.mark.req("D4", "D3")
def test_portal_links_are_for_the_provider_and_expire(gateway: Gateway) -> None:
    gateway.api.put("/v1/users/link-user", json={"age": 30})
    assert httpx.post(f"{gateway.url}/v1/users/link-user/portal-link").status_code == 401
    op = gateway.key("operator")
    assert (
        httpx.post(
            f"{gateway.url}/v1/users/link-user/portal-link", headers={"Authorization": f"Bearer {op}"}
        ).status_code
        == 403
    )
    assert gateway.api.post("/v1/users/nobody-here/portal-link").status_code == 404
    link = gateway.api.post("/v1/users/link-user/portal-link", params={"minutes": 5}).json()
    assert link["url"].startswith(gateway.url + "/me/enter?t=") and link["user"] == "link-user"
    token = link["url"].split("t=", 1)[1]
    with httpx.Client(base_url=gateway.url, timeout=30) as c:
        assert c.get("/me/enter", params={"t": token[:-3] + "xyz"}).status_code == 401
        # A session sealed for one purpose never opens another (a link is not a console cookie).
        assert httpx.get(f"{gateway.url}/console", cookies={"cg_console": token}).status_code == 401
        page = c.get("/me/enter", params={"t": token}, follow_redirects=True)
        assert page.status_code == 200 and "link-user" in page.text
        export = c.post("/me/export", data={"csrf": _csrf(page.text), "format": "json"})
        assert export.status_code == 200 and export.json()["user_id"] == "link-user"


@pytest.mark.req("D4")
def test_quitting_from_the_user_page_closes_the_account_and_ends_the_session(gateway: Gateway) -> None:
    gateway.api.put("/v1/users/quitter", json={"age": 30})
    gateway.chat("quitter", "xiaoyu", "你好")
    with httpx.Client(base_url=gateway.url, follow_redirects=True, timeout=30) as c:
        page = c.get(gateway.api.post("/v1/users/quitter/portal-link").json()["url"])
        done = c.post("/me/quit", data={"csrf": _csrf(page.text)})
        assert done.status_code == 200 and "账号已注销" in done.text and "删除回执" in done.text
        assert c.get("/me").status_code == 401
    assert gateway.api.get("/v1/users/quitter/export").json()["messages"] == []
