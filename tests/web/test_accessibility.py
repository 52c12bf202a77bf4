"""Usable on a phone and with a keyboard: every control is labelled, each page has one
heading to start from, a skip link comes first, nothing scrolls sideways at 412 px; the
sandbox clock control moves the server's clock."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import Gateway

#: Controls without an accessible name, as the page itself reports them.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map(el => el.outerHTML.slice(0, 120))"""


def _check(page: Any) -> None:
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    assert page.evaluate("document.documentElement.lang") in ("zh-CN", "en")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "scrolls sideways"
    # Focus order follows the document: the skip link is the first thing a keyboard reaches.
    first = page.evaluate(
        "document.querySelector('a[href], button, input:not([type=hidden]), select, textarea').className"
    )
    assert first == "skip"


@pytest.mark.req("D1", "M4", "D4")
def test_every_page_is_labelled_and_fits_a_phone(page: Any, gateway: Gateway) -> None:
    for path in ("/", "/console", "/guardian", "/me"):
        page.goto(path)
        _check(page)
    page.goto("/console")
    page.get_by_label("运营人员或审计人员密钥").fill(gateway.key("operator"))
    page.get_by_role("button", name="登录").click()
    for path in (
        "/console",
        "/console/users?user=someone",
        "/console/controls",
        "/console/incidents",
        "/console/complaints",
        "/console/personas",
        "/console/figures",
    ):
        page.goto(path)
        _check(page)
    key = gateway.guardian_of("ward-a11y")
    page.goto("/guardian")
    page.get_by_label("监护人密钥").fill(key)
    page.get_by_role("button", name="登录").click()
    page.goto("/guardian/wards/ward-a11y")
    _check(page)
    gateway.api.put("/v1/users/a11y-user", json={"age": 40})
    page.goto(gateway.api.post("/v1/users/a11y-user/portal-link").json()["url"])
    _check(page)
    page.goto("/me/delete")
    _check(page)


@pytest.mark.req("I4", "X1")
def test_the_sandbox_clock_control_moves_the_servers_clock(page: Any, gateway: Gateway) -> None:
    before = gateway.api.get("/v1/sandbox/clock").json()["now"]
    page.goto("/")
    page.get_by_role("button", name="+30 min").click()
    expect(page.locator("#clock-now")).to_contain_text("时钟已拨快")
    after = gateway.api.get("/v1/sandbox/clock").json()["now"]
    from datetime import datetime

    assert (datetime.fromisoformat(after) - datetime.fromisoformat(before)).total_seconds() >= 1800
