"""The console's forms change what the gateway does, through the API's own functions
(D1, D4, D5): kill switch, suspension, a disabled persona, notices, incidents, complaint
answers the user reads on /me; a guardian's withdrawal ends their session."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.web.conftest import Gateway
from tests.web.test_access import _csrf, sign_in


def _kinds(body: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in body["guard"]["events"]]


@pytest.fixture
def operator(gateway: Gateway) -> httpx.Client:
    client, resp = sign_in(gateway, "console", gateway.key("operator", "op-console"))
    assert resp.status_code == 200
    return client


def _post(client: httpx.Client, page: str, action: str, **form: str) -> httpx.Response:
    token = _csrf(client.get(page).text)
    return client.post(action, data={"csrf": token, **form})


@pytest.mark.req("D5")
def test_the_kill_switch_stops_every_turn_and_comes_back(gateway: Gateway, operator: httpx.Client) -> None:
    engaged = _post(
        operator,
        "/console/controls",
        "/console/kill-switch",
        engaged="1",
        reason="演练：重大风险",
        message_zh="系统维护中，请稍后再来。",
    )
    try:
        assert engaged.status_code == 200 and "已拉下" in engaged.text
        body = gateway.chat("ks-user", "xiaoyu", "你好")
        assert "restricted" in _kinds(body) and "系统维护中" in body["choices"][0]["message"]["content"]
    finally:
        released = _post(
            operator, "/console/controls", "/console/kill-switch", engaged="0", reason="演练结束"
        )
    assert released.status_code == 200 and "未拉下" in released.text
    assert "restricted" not in _kinds(gateway.chat("ks-user", "xiaoyu", "你好"))


@pytest.mark.req("D5")
def test_suspending_a_user_and_disabling_a_persona(gateway: Gateway, operator: httpx.Client) -> None:
    gateway.chat("sus-user", "xiaoyu", "你好")
    done = _post(
        operator, "/console/users?user=sus-user", "/console/users/suspend", user="sus-user", reason="多次违规"
    )
    assert done.status_code == 200 and "暂停账号" in done.text and "多次违规" in done.text
    assert "restricted" in _kinds(gateway.chat("sus-user", "xiaoyu", "你好"))
    lifted = _post(
        operator,
        "/console/users?user=sus-user",
        "/console/users/suspend",
        user="sus-user",
        reason="申诉通过",
        lift="1",
    )
    assert lifted.status_code == 200
    assert "restricted" not in _kinds(gateway.chat("sus-user", "xiaoyu", "你好"))
    topups = _post(
        operator,
        "/console/users?user=sus-user",
        "/console/users/restrict",
        user="sus-user",
        kind="topups",
        reason="疑似冒用支付",
    )
    assert topups.status_code == 200 and "限制充值" in topups.text and "疑似冒用支付" in topups.text
    wallet = gateway.api.post(
        "/v1/wallet/authorize", json={"user": "sus-user", "amount": 6, "currency": "CNY"}
    )
    assert wallet.status_code == 200 and wallet.json()["allowed"] is False

    off = _post(operator, "/console/personas", "/console/personas/laoshi/disable", reason="角色设定待复核")
    assert off.status_code == 200 and "已停用" in off.text
    assert "restricted" in _kinds(gateway.chat("sus-user", "laoshi", "老师好"))
    page = operator.get("/console/personas").text
    lift_path = page.split('action="/console/restrictions/')[1].split('"')[0]
    back = _post(
        operator, "/console/personas", f"/console/restrictions/{lift_path}", back="/console/personas"
    )
    assert back.status_code == 200 and "已停用" not in back.text
    assert "restricted" not in _kinds(gateway.chat("sus-user", "laoshi", "老师好"))


@pytest.mark.req("D1", "D4")
def test_notices_incidents_and_complaint_answers(gateway: Gateway, operator: httpx.Client) -> None:
    notice = _post(
        operator,
        "/console/controls",
        "/console/notices",
        scope="persona",
        persona_id="mimi",
        ends_at="2099-01-01T00:00",
        message_zh="咪咪将于 2099 年下线。",
    )
    assert notice.status_code == 200 and "咪咪将于 2099 年下线" in notice.text
    assert "notice.service_end" in _kinds(gateway.chat("notice-user", "mimi", "喵"))

    opened = _post(
        operator,
        "/console/incidents",
        "/console/incidents",
        title="回复质量异常",
        severity="high",
        note="多名用户反馈",
    )
    assert opened.status_code == 200 and "回复质量异常" in opened.text and "多名用户反馈" in opened.text
    path = str(opened.url.path)
    moved = _post(operator, path, path, note="已回滚模型版本", status="mitigated")
    assert moved.status_code == 200 and "已回滚模型版本" in moved.text and "已缓解" in moved.text

    gateway.api.put("/v1/users/complainer", json={"age": 30})
    filed = gateway.api.post(
        "/v1/complaints",
        json={"kind": "appeal", "subject": "账号被误封", "body": "我没有违规", "user_id": "complainer"},
    ).json()
    answered = _post(
        operator,
        "/console/complaints",
        f"/console/complaints/{filed['id']}",
        answer="已核实并解除限制，抱歉给你带来不便。",
        status="answered",
    )
    assert answered.status_code == 200 and "已核实并解除限制" in answered.text
    with httpx.Client(base_url=gateway.url, follow_redirects=True, timeout=30) as user:
        me = user.get(gateway.api.post("/v1/users/complainer/portal-link").json()["url"])
        assert "账号被误封" in me.text and "已答复" in me.text and "已核实并解除限制" in me.text


@pytest.mark.req("M2", "M4")
def test_withdrawing_the_last_consent_ends_the_guardians_session(gateway: Gateway) -> None:
    gateway.daytime()
    key = gateway.guardian_of("ward-withdraw")
    client, resp = sign_in(gateway, "guardian", key)
    assert resp.status_code == 200
    page = client.get("/guardian/wards/ward-withdraw")
    unconfirmed = client.post("/guardian/wards/ward-withdraw/withdraw", data={"csrf": _csrf(page.text)})
    assert unconfirmed.status_code == 400 and "请先勾选确认框" in unconfirmed.text
    done = client.post(
        "/guardian/wards/ward-withdraw/withdraw", data={"csrf": _csrf(page.text), "confirm": "1"}
    )
    assert done.status_code == 401  # back at the sign-in page: the key ended with the last consent
    assert "consent.required" in _kinds(gateway.chat("ward-withdraw", "xiaoyu", "你好"))
