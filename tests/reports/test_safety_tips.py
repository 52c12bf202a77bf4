"""X2: safety tips in the user's language, once per user as notice.safety_tips, and on request."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import chat, event_kinds
from tests.reports.conftest import start

from companion_guard.policy.loader import load_pack


@pytest.mark.req("X2")
def test_tips_shown_once_per_user_in_their_language(tmp_path: Path) -> None:
    pack = load_pack("cn-2026")
    for client in start(tmp_path):
        client.put("/v1/users/zh-1", json={"age": 30, "locale": "zh-CN"})
        client.put("/v1/users/en-1", json={"age": 30, "locale": "en-US"})
        first = chat(client, "zh-1", "xiaoyu", "今天天气不错")
        tips = [e for e in first["guard"]["events"] if e["kind"] == "notice.safety_tips"]
        assert len(tips) == 1 and tips[0]["requirement"] == "X2" and tips[0]["display"] == "popup"
        assert (
            pack.messages["safety_tips.title"]["zh"] in tips[0]["message"]
            and "人工智能" in tips[0]["message"]
        )
        assert "12356" in tips[0]["message"]  # how to get help: the locale's help lines
        assert [t["id"] for t in tips[0]["data"]["tips"]] == ["ai", "healthy_use", "help", "data_rights"]
        assert "notice.safety_tips" not in event_kinds(chat(client, "zh-1", "xiaoyu", "晚饭吃了饺子"))
        assert "notice.safety_tips" not in event_kinds(chat(client, "zh-1", "mimi", "给我讲个笑话吧"))
        en = [
            e
            for e in chat(client, "en-1", "sam", "Good morning!")["guard"]["events"]
            if e["kind"] == "notice.safety_tips"
        ]
        assert len(en) == 1 and "You are chatting with an AI" in en[0]["message"]
        asked = client.get("/v1/safety-tips", params={"user": "en-1"}).json()
        assert asked["language"] == "en" and asked["title"] == pack.messages["safety_tips.title"]["en"]
        zh = client.get("/v1/safety-tips", params={"locale": "zh-CN"}).json()
        assert zh["tips"][0]["text"] == pack.messages["safety_tips.ai"]["zh"]
        assert client.get("/v1/safety-tips", headers={"Authorization": ""}).status_code == 401


@pytest.mark.req("X2", "M2")
def test_a_gated_turn_does_not_use_up_the_tips(tmp_path: Path) -> None:
    for client in start(tmp_path):
        client.put("/v1/users/kid", json={"age": 10, "locale": "zh-CN"})
        gated = chat(client, "kid", "xiaoyu", "你好")
        assert event_kinds(gated) == [
            "consent.required"
        ]  # nothing of an under-14 user is kept before consent
        code = client.post("/v1/users/kid/guardian/invite").json()["code"]
        assert client.post("/v1/guardian/consent", json={"code": code}).status_code == 200
        assert "notice.safety_tips" in event_kinds(chat(client, "kid", "xiaoyu", "今天数学课学了函数"))
