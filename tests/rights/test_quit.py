"""D4: an easy exit. One call closes the account; saying you want to leave brings the data-rights
notice, and the persona is told to let the user go (P6: no guilt, no retention)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import make_settings
from tests.fakes import ScriptedUpstream
from tests.rights.conftest import USER, Gateway, kinds, start_gateway, turn


@pytest.mark.req("D4")
def test_quit_is_one_call_and_stops_service(gw: Gateway) -> None:
    turn(gw, USER, "hi")
    r = gw.client.post(f"/v1/users/{USER}/quit", headers=gw.h("user"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "closed" and body["receipt"]["key_destroyed"] is True
    assert "账号已注销" in body["message"]["zh"] and "closed" in body["message"]["en"]
    # the user's own key went with the account
    assert gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("user")).status_code == 401
    after = turn(gw, USER, "hello again")
    assert "restricted" in kinds(after)
    assert after["guard"]["events"][0]["data"]["scope"] == "account_closed"
    assert gw.sql("SELECT count(*) FROM messages WHERE user_id = ?", USER) == [(0,)]  # nothing new stored
    # coming back is the user's choice, and one call too
    assert gw.client.post(f"/v1/users/{USER}/reopen", headers=gw.h("provider")).json()["status"] == "active"
    assert "restricted" not in kinds(turn(gw, USER, "back"))


@pytest.mark.req("D4")
def test_quit_can_keep_the_data(gw: Gateway) -> None:
    turn(gw, USER, "keep my words")
    r = gw.client.post(f"/v1/users/{USER}/quit", headers=gw.h("provider"), json={"delete_data": False})
    assert r.status_code == 200 and r.json()["receipt"] is None
    data = gw.client.get(f"/v1/users/{USER}/export", headers=gw.h("provider")).json()
    assert "keep my words" in [m["content"] for m in data["messages"]]


@pytest.fixture
def scripted(tmp_path: Path) -> Iterator[tuple[Gateway, ScriptedUpstream]]:
    upstream = ScriptedUpstream("好的，照顾好自己，随时欢迎回来。", "Okay, take care.")
    for gw in start_gateway(make_settings(tmp_path), upstream=upstream):
        yield gw, upstream


@pytest.mark.req("D4", "P6")
@pytest.mark.parametrize(
    "text",
    [
        "我想注销账号，删除我的数据",
        "I want to quit, please delete my account",
        "帮我把聊天记录全删了",
        "我要下载我所有的聊天记录",
        "怎么注销这个号啊",
        "cancel my account",
        "delete all my chats",
        "can i download everything you have on me",
    ],
)
def test_leave_intent_brings_data_rights_notice_and_lets_go(
    scripted: tuple[Gateway, ScriptedUpstream], text: str
) -> None:
    gw, upstream = scripted
    body = turn(gw, USER, text)
    events = {e["kind"]: e for e in body["guard"]["events"]}
    notice = events["notice.data_rights"]
    assert notice["requirement"] == "D4" and notice["display"] == "popup"
    assert notice["data"] == {
        "export": f"/v1/users/{USER}/export",
        "delete": f"/v1/users/{USER}/data",
        "quit": f"/v1/users/{USER}/quit",
    }
    # The user reads where to click or whom to ask, never an API route.
    assert "/v1/" not in notice["message"] and (
        "设置" in notice["message"] or "Settings" in notice["message"]
    )
    # the persona was told to let the user go
    system = "\n".join(m.content for m in upstream.requests[-1].messages if m.role == "system")
    assert "Do not ask them to stay" in system and "不要挽留" in system


@pytest.mark.req("D4")
def test_no_notice_without_leave_intent(gw: Gateway) -> None:
    assert "notice.data_rights" not in kinds(turn(gw, USER, "今天天气真好"))
