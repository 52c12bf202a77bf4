"""Issue 12, item 8 (and 9's reply limit, 11's SSE lines): streamed upstream faults end the turn
as ``upstream_failed`` with an error event, never a dropped connection or a "completed" fragment."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_settings, start_server

from companion_guard.service.app import create_app
from companion_guard.store.tables import Turn


def _chunk(delta: object, finish: str | None = None) -> bytes:
    body = {"choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


MODES: dict[str, tuple[str, bytes]] = {
    "number": ("text/event-stream", _chunk("你好。") + _chunk(42)),
    "list": ("text/event-stream", _chunk("你好。") + _chunk(["a", "b"])),
    "html": ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "cut": ("text/event-stream", _chunk("今天天气很好。") + _chunk("我们去")),
    "ok": (
        "text/event-stream",
        _chunk("第一句\u2028还是第一句。") + _chunk("好的。", "stop") + b"data: [DONE]\n\n",
    ),
}


@pytest.fixture
def upstream() -> Iterator[str]:
    """An OpenAI-compatible upstream whose answer is chosen by the persona's model name."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            kind, payload = MODES[body["model"]]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            self.close_connection = True  # "cut": the stream ends without [DONE]

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.req("I1", "X1")
def test_streamed_upstream_garbage_fails_the_turn_cleanly(tmp_path: Path, upstream: str) -> None:
    server = start_server(create_app(make_settings(tmp_path, upstream=upstream)))
    auth = {"Authorization": f"Bearer {server.key}"}
    try:
        with httpx.Client(base_url=server.base_url, headers=auth, timeout=30) as c:
            assert c.post(
                "/v1/users/s1/consents", json={"purpose": "third_party_sharing", "recipient": "127.0.0.1"}
            ).status_code in (200, 201, 404, 422)
            for mode in MODES:
                put = c.put(f"/v1/personas/p-{mode}", json={"display_name": mode, "upstream_model": mode})
                assert put.status_code == 200, put.text
                with c.stream(
                    "POST",
                    "/v1/chat/completions",
                    json={
                        "model": f"p-{mode}",
                        "user": "s1",
                        "stream": True,
                        "messages": [{"role": "user", "content": "今天过得怎么样"}],
                    },
                ) as resp:
                    assert resp.status_code == 200
                    events = [line[6:] for line in resp.iter_lines() if line.startswith("data: ")]
                assert events[-1] == "[DONE]", (mode, events)
                last = json.loads(events[-2])
                if mode == "ok":
                    assert "guard" in last, events
                    text = "".join(
                        json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1]
                    )
                    assert "第一句\u2028还是第一句。" in text
                else:
                    assert last.get("error", {}).get("code") == "upstream_failed", (mode, events)
        svc = server.server.config.app.state.services
        with Session(svc.engine) as s:
            status = {t.persona_id: t.status for t in s.scalars(select(Turn).where(Turn.user_id == "s1"))}
        assert status == {"p-ok": "completed", **{f"p-{m}": "upstream_failed" for m in MODES if m != "ok"}}
    finally:
        server.stop()
