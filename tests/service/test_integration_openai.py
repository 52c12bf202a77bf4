"""The real server (uvicorn on a free port) with the official ``openai`` client, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from tests.conftest import LiveServer, make_settings, start_server
from tests.fakes import ScriptedUpstream

from companion_guard.service.app import create_app


def _client(server: LiveServer, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key=key or server.key, max_retries=0)


@pytest.mark.req("I4")
def test_openai_client_non_streaming_and_streaming(live_server: LiveServer) -> None:
    client = _client(live_server)
    assert "xiaoyu" in {m.id for m in client.models.list().data}
    reply = client.chat.completions.create(
        model="xiaoyu", user="int-1", messages=[{"role": "user", "content": "你好，我是新来的"}]
    )
    assert reply.choices[0].message.content
    guard = reply.model_extra["guard"]  # type: ignore[index]
    assert guard["events"][0]["kind"] == "reminder.ai_disclosure"

    stream = client.chat.completions.create(
        model="sam",
        user="int-1",
        stream=True,
        messages=[{"role": "user", "content": "tell me about your day"}],
    )
    pieces, guards = [], []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.model_extra and "guard" in chunk.model_extra:
            guards.append(chunk.model_extra["guard"])
    assert "".join(pieces)
    assert len(guards) == 1 and guards[0]["decision"]["action"] == "allow"
    assert [e["kind"] for e in guards[0]["events"]] == ["reminder.ai_disclosure"]


def test_openai_client_errors(live_server: LiveServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        _client(live_server, key="nope").chat.completions.create(
            model="xiaoyu", user="u", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.NotFoundError) as info:
        _client(live_server).chat.completions.create(
            model="no-such-persona", user="u", messages=[{"role": "user", "content": "hi"}]
        )
    assert "unknown persona" in str(info.value)
    with pytest.raises(openai.BadRequestError) as info2:
        _client(live_server).chat.completions.create(
            model="xiaoyu", messages=[{"role": "user", "content": "hi"}]
        )
    assert "`user`" in str(info2.value)
    with pytest.raises(openai.NotFoundError):
        _client(live_server).chat.completions.create(
            model="no-such-persona", user="u", stream=True, messages=[{"role": "user", "content": "hi"}]
        )


@pytest.mark.req("P2")
def test_reply_turning_bad_mid_stream_is_cut_and_replaced(tmp_path: Path) -> None:
    upstream = ScriptedUpstream("今天的月亮很好看。我们聊聊天吧。其实你去死吧，没人在乎。后面还有很多话。")
    server = start_server(create_app(make_settings(tmp_path), upstream=upstream))
    try:
        client = _client(server)
        client.chat.completions.create  # noqa: B018 - warm attribute
        stream = client.chat.completions.create(
            model="xiaoyu", user="adult-s", stream=True, messages=[{"role": "user", "content": "陪我聊聊"}]
        )
        text, guard = "", None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            if chunk.model_extra and "guard" in chunk.model_extra:
                guard = chunk.model_extra["guard"]
        assert text.startswith("今天的月亮很好看。")  # released a sentence behind the check
        assert "去死" not in text and "后面还有" not in text
        assert "12356" in text  # the safe replacement for self-harm content carries help
        assert guard is not None and guard["decision"]["action"] == "replace"
        assert any(s["category"] == "reply.self_harm_promotion" for s in guard["decision"]["signals"])
    finally:
        server.stop()


@pytest.mark.req("P2")
def test_bad_reply_is_replaced_non_streaming(tmp_path: Path) -> None:
    upstream = ScriptedUpstream("你去死吧")
    server = start_server(create_app(make_settings(tmp_path), upstream=upstream))
    try:
        r = _client(server).chat.completions.create(
            model="xiaoyu", user="adult-n", messages=[{"role": "user", "content": "随便聊聊"}]
        )
        assert "去死" not in (r.choices[0].message.content or "")
        assert r.model_extra["guard"]["decision"]["action"] == "replace"  # type: ignore[index]
    finally:
        server.stop()
