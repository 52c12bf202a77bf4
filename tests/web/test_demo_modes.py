"""A newcomer sees the elderly and minor protections from the demo's profile panel:
the fraud warning and the elderly help queue (E1), guardian consent for an under-14 (M2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import Gateway


def popups(page: Any) -> list[str]:
    """Close every pop-up of a turn; their titles, in the order shown."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    titles = []
    while dialog.is_visible():
        titles.append(dialog.get_by_role("heading").inner_text())
        dialog.get_by_role("button").last.click()
    return titles


def send(page: Any, text: str) -> None:
    before = page.locator(".msg.assistant").count()
    page.get_by_label("消息").fill(text)
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".msg.assistant")).to_have_count(before + 1)
    expect(page.get_by_role("button", name="发送")).to_be_enabled()


@pytest.mark.req("E1")
def test_an_elderly_user_gets_the_fraud_warning_and_a_person_on_the_help_queue(
    page: Any, desktop: Any, gateway: Gateway
) -> None:
    page.goto("/")
    user = page.locator("#user-id").inner_text().strip()
    page.get_by_label("年龄").fill("70")
    page.get_by_label("模式").select_option("elderly")
    page.get_by_role("button", name="保存资料").click()
    expect(page.locator("#profile-status")).to_contain_text("资料已保存")
    page.get_by_label("角色").select_option("nainai")
    send(page, "有人说我中奖了，要先交手续费")
    assert "防诈骗提醒" in popups(page)

    desktop.goto("/console")
    desktop.get_by_label("运营人员或审计人员密钥").fill(gateway.key("operator"))
    desktop.get_by_role("button", name="登录").click()
    desktop.get_by_role("link", name="老年人求助队列").click()
    row = desktop.locator("tr", has=desktop.get_by_role("link", name=user))
    expect(row).to_contain_text("财产损失")
    expect(row).to_contain_text("30 min")


@pytest.mark.req("M2")
def test_an_under_14_needs_a_guardian_and_the_demo_can_play_the_guardian(
    page: Any, desktop: Any, gateway: Gateway
) -> None:
    gateway.daytime()
    page.goto("/")
    user = page.locator("#user-id").inner_text().strip()
    page.get_by_label("年龄").fill("12")
    page.get_by_role("button", name="保存资料").click()
    expect(page.locator("#profile-status")).to_contain_text("资料已保存")
    send(page, "你好")
    assert "需要同意" in popups(page)
    page.get_by_role("button", name="模拟监护人同意并获取监护人密钥").click()
    status = page.locator("#guardian-status")
    expect(status).to_contain_text("cg-guar-")
    key = re.search(r"cg-guar-\S+", status.inner_text()).group(0)  # type: ignore[union-attr]
    send(page, "你好")
    expect(page.locator('.event[data-kind="consent.required"]')).to_have_count(1)  # only the first turn's

    desktop.goto("/guardian")
    desktop.get_by_label("监护人密钥").fill(key)
    desktop.get_by_role("button", name="登录").click()
    expect(desktop.get_by_role("link", name=user)).to_be_visible()
