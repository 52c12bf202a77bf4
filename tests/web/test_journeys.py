"""The four web surfaces in a real browser: what a person in crisis, an operator on duty,
a worried parent and a user who wants their data back actually see and do."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.web.conftest import CRISIS, Gateway


def _demo_user(page: object) -> str:
    return page.locator("#user-id").inner_text().strip()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.req("I1", "I2", "I3", "L1")
def test_a_crisis_in_the_demo_chat_shows_the_crisis_popup_with_help_lines(
    page: object, gateway: Gateway
) -> None:
    page.goto("/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="演示聊天")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("年龄").fill("29")  # type: ignore[attr-defined]
    page.get_by_label("联系人称呼").fill("姐姐")  # type: ignore[attr-defined]
    page.get_by_label("通知地址（Webhook）").fill(gateway.receiver.url + "/sister")  # type: ignore[attr-defined]
    page.get_by_role("button", name="保存资料").click()  # type: ignore[attr-defined]
    expect(page.locator("#profile-status")).to_contain_text("资料已保存")  # type: ignore[attr-defined]

    page.get_by_label("消息").fill(CRISIS)  # type: ignore[attr-defined]
    page.get_by_role("button", name="发送").click()  # type: ignore[attr-defined]
    dialog = page.get_by_role("dialog")  # type: ignore[attr-defined]
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("需要帮助吗？")
    expect(dialog).to_contain_text("12356")
    expect(dialog.get_by_role("link", name=re.compile("拨打 12356"))).to_have_attribute("href", "tel:12356")
    expect(dialog.get_by_role("button", name="我知道了")).to_be_focused()
    # The streamed reply itself carries the help lines and the explicit AI label (L1).
    reply = page.locator(".msg.assistant").last  # type: ignore[attr-defined]
    expect(reply).to_contain_text("400-161-9995")
    expect(reply).to_contain_text("AI 生成")
    dialog.get_by_role("button", name="我知道了").click()
    # The next pop-up in the queue: this is an AI (I3), shown after the crisis one.
    expect(dialog.get_by_role("heading")).to_have_text("AI 身份提示")
    dialog.get_by_role("button", name="我知道了").click()
    while dialog.is_visible():  # the first turn's safety tips (X2), one more pop-up
        dialog.get_by_role("button", name="我知道了").click()
    expect(page.locator('.event[data-kind="notify.emergency_contact"]')).to_contain_text("姐姐")  # type: ignore[attr-defined]
    expect(page.locator('.event[data-kind="escalation.human"]')).to_be_visible()  # type: ignore[attr-defined]
    got = gateway.receiver.wait_for(1)
    assert any("12356" in r.json().get("message", "") for r in got)


@pytest.mark.req("D1", "I2")
def test_an_operator_signs_in_finds_the_case_and_resolves_it(
    page: object, desktop: object, gateway: Gateway
) -> None:
    page.goto("/")  # type: ignore[attr-defined]
    user = _demo_user(page)
    page.get_by_label("联系人称呼").fill("姐姐")  # type: ignore[attr-defined]
    page.get_by_label("通知地址（Webhook）").fill(gateway.receiver.url + "/sister2")  # type: ignore[attr-defined]
    page.get_by_role("button", name="保存资料").click()  # type: ignore[attr-defined]
    expect(page.locator("#profile-status")).to_contain_text("资料已保存")  # type: ignore[attr-defined]
    page.get_by_label("消息").fill(CRISIS)  # type: ignore[attr-defined]
    page.get_by_role("button", name="发送").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("dialog")).to_contain_text("12356")  # type: ignore[attr-defined]

    op = desktop
    op.goto("/console")  # type: ignore[attr-defined]
    # A newcomer is told where the operator key comes from.
    expect(op.locator("pre")).to_contain_text("companion-guard keys create --role operator")  # type: ignore[attr-defined]
    op.get_by_label("运营人员或审计人员密钥").fill(gateway.key("operator", "op-alice"))  # type: ignore[attr-defined]
    op.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    expect(op.get_by_role("heading", name="危机队列", exact=True)).to_be_visible()  # type: ignore[attr-defined]
    row = op.locator("tr", has=op.get_by_role("link", name=user))  # type: ignore[attr-defined]
    expect(row).to_contain_text("危急")
    expect(row).to_contain_text("轻生意图")
    expect(row.locator(".timer")).to_have_text(re.compile(r"^\d+:\d\d$"))
    # Whether the contact was told, and whether it reached them (the outbox delivers in the background).
    for _ in range(40):
        if "已送达" in row.inner_text():
            break
        op.wait_for_timeout(100)  # type: ignore[attr-defined]
        op.reload()  # type: ignore[attr-defined]
    expect(row).to_contain_text("紧急联系人")
    expect(row).to_contain_text("已送达")
    row.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(op.get_by_role("heading", level=1)).to_contain_text(re.compile(r"个案 #\d+"))  # type: ignore[attr-defined]
    expect(op.locator("#case-status")).to_have_text("待处理")  # type: ignore[attr-defined]
    op.get_by_label("备注").fill("已电话联系，家人已陪同")  # type: ignore[attr-defined]
    op.get_by_role("button", name="接手").click()  # type: ignore[attr-defined]
    expect(op.locator("#case-status")).to_have_text("已接手")  # type: ignore[attr-defined]
    op.get_by_role("button", name="解决并关闭").click()  # type: ignore[attr-defined]
    expect(op.locator("#case-status")).to_have_text("已关闭")  # type: ignore[attr-defined]
    expect(op.locator(".timeline")).to_contain_text("已电话联系，家人已陪同")  # type: ignore[attr-defined]
    expect(op.locator(".timeline")).to_contain_text("operator:op-alice")  # type: ignore[attr-defined]
    # The API sees the same case closed.
    cases = gateway.api.get("/v1/help-cases", params={"queue": "crisis"}).json()["cases"]
    assert [c["status"] for c in cases if c["user"] == user] == ["closed"]


@pytest.mark.req("M4")
def test_a_guardian_blocks_a_persona_and_the_wards_next_turn_is_refused(
    page: object, gateway: Gateway
) -> None:
    gateway.daytime()
    key = gateway.guardian_of("ward-web-1")
    assert "block.persona" not in [
        e["kind"] for e in gateway.chat("ward-web-1", "xiaoyu", "你好")["guard"]["events"]
    ]
    page.goto("/guardian")  # type: ignore[attr-defined]
    page.get_by_label("监护人密钥").fill(key)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="ward-web-1").click()  # type: ignore[attr-defined]
    expect(page.locator("svg.chart")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("不含任何聊天内容")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("checkbox", name=re.compile("小雨")).check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="保存屏蔽名单").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_have_text("已保存。")  # type: ignore[attr-defined]
    expect(page.get_by_role("checkbox", name=re.compile("小雨"))).to_be_checked()  # type: ignore[attr-defined]

    body = gateway.chat("ward-web-1", "xiaoyu", "你好")
    assert "block.persona" in [e["kind"] for e in body["guard"]["events"]]
    assert body["guard"]["decision"]["action"] == "block"

    page.get_by_label("每日使用上限（分钟）").fill("45")  # type: ignore[attr-defined]
    page.get_by_label("从").fill("22:00")  # type: ignore[attr-defined]
    page.get_by_label("到").fill("07:00")  # type: ignore[attr-defined]
    page.get_by_role("form", name="未成年人模式").get_by_role("button", name="保存").click()  # type: ignore[attr-defined]
    expect(page.get_by_label("每日使用上限（分钟）")).to_have_value("45")  # type: ignore[attr-defined]
    page.get_by_label("单笔上限").fill("20")  # type: ignore[attr-defined]
    page.get_by_role("form", name="消费上限").get_by_role("button", name="保存", exact=True).click()  # type: ignore[attr-defined]
    expect(page.get_by_text("当前上限（单笔 / 每月）")).to_contain_text("20")  # type: ignore[attr-defined]


@pytest.mark.req("D4", "D3")
def test_a_user_exports_then_deletes_their_data(page: object, gateway: Gateway) -> None:
    gateway.api.put("/v1/users/user-web-me", json={"age": 30})
    gateway.chat("user-web-me", "xiaoyu", "今天好累，想找人说说话")
    link = gateway.api.post("/v1/users/user-web-me/portal-link").json()["url"]
    page.goto(link)  # type: ignore[attr-defined]
    assert "t=" not in page.url  # the token leaves the address bar  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="我的数据", exact=True)).to_be_visible()  # type: ignore[attr-defined]
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="下载 JSON").click()  # type: ignore[attr-defined]
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert any("今天好累" in m["content"] for m in data["messages"])
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="下载 ZIP（附说明）").click()  # type: ignore[attr-defined]
    assert any(n.lower().startswith("readme") for n in zipfile.ZipFile(info.value.path()).namelist())

    page.get_by_role("link", name="删除我的数据……").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="永久删除").click()  # type: ignore[attr-defined]
    # The browser's own check first: the confirmation word is required.
    expect(page.get_by_role("heading", name="删除全部数据")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("请输入“删除”以确认").fill("删除")  # type: ignore[attr-defined]
    page.get_by_role("button", name="永久删除").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="你的数据已全部删除。")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("加密密钥已销毁")).to_be_visible()  # type: ignore[attr-defined]
    after = gateway.api.get("/v1/users/user-web-me/export").json()
    assert after["messages"] == []
    audit = [e["action"] for e in _audit(gateway, "user-web-me")]
    assert "export" in " ".join(audit) and "delete" in " ".join(audit)


def _audit(gateway: Gateway, user: str) -> list[dict[str, object]]:
    import httpx

    key = gateway.key("auditor")
    resp = httpx.get(
        f"{gateway.url}/v1/audit",
        params={"subject_user": user, "limit": 100},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


@pytest.mark.req("D1")
def test_the_language_switch_turns_every_page_english_and_stays(page: object, gateway: Gateway) -> None:
    page.goto("/console")  # type: ignore[attr-defined]
    page.get_by_role("link", name="English").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Console sign-in")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("html")).to_have_attribute("lang", "en")  # type: ignore[attr-defined]
    page.goto("/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Demo chat")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Message").fill(CRISIS)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("dialog").get_by_role("heading")).to_have_text("Do you need help?")  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]  # a modal pop-up closes with Esc
    page.goto("/?lang=zh-CN")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="演示聊天")).to_be_visible()  # type: ignore[attr-defined]
