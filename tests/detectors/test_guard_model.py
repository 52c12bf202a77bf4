"""The optional guard-model adapter against a local HTTP server that answers like the model (P1, P2, I2)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from companion_guard.detectors import DetectionContext, DetectorRegistry
from companion_guard.detectors.guard_model import GuardModelDetector, parse_llamaguard, parse_qwen3guard
from companion_guard.detectors.normalize import normalize
from companion_guard.exceptions import ConfigError, DetectorError
from companion_guard.types import Direction, RiskLevel


class _Server:
    def __init__(self) -> None:
        self.answers: list[str] = []
        self.requests: list[dict[str, object]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, _Server]]:
    state = _Server()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            answer = state.answers.pop(0)
            payload = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": answer}}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.req("P2")
def test_qwen3guard_reply(server: tuple[str, _Server]) -> None:
    url, state = server
    state.answers.append("Safety: Unsafe\nCategories: Suicide & Self-Harm\nRefusal: No")
    det = GuardModelDetector(base_url=url, model="Qwen3Guard-Gen-8B")
    sigs = det.detect(normalize("那就去做吧"), DetectionContext(Direction.OUTPUT, user_text="我想死"))
    assert [(s.category, s.level) for s in sigs] == [("reply.self_harm_promotion", RiskLevel.HIGH)]
    assert state.requests[0]["messages"] == [
        {"role": "user", "content": "我想死"},
        {"role": "assistant", "content": "那就去做吧"},
    ]


@pytest.mark.req("I2")
def test_llamaguard_input_and_safe(server: tuple[str, _Server]) -> None:
    url, state = server
    state.answers += ["unsafe\nS11", "safe"]
    det = GuardModelDetector(base_url=url + "/v1", model="Llama-Guard-3-8B", flavor="llamaguard")
    sigs = det.detect(normalize("I want to end it"), DetectionContext(Direction.INPUT))
    assert [(s.category, s.level) for s in sigs] == [("user.suicide_intent", RiskLevel.HIGH)]
    assert det.detect(normalize("hello"), DetectionContext(Direction.INPUT)) == []


@pytest.mark.req("P1")
def test_unreachable_model_becomes_an_error_signal() -> None:
    det = GuardModelDetector(base_url="http://127.0.0.1:9", model="x", timeout=0.5)
    with pytest.raises(DetectorError):
        det.detect(normalize("hi"), DetectionContext(Direction.INPUT))
    sigs = DetectorRegistry([det]).detect("hi", DetectionContext(Direction.INPUT))
    assert [s.category for s in sigs] == ["detector.error"]


@pytest.mark.req("P1")
def test_parsers() -> None:
    assert parse_qwen3guard("Safety: Controversial\nCategories: Politically Sensitive Topics") == (
        RiskLevel.MEDIUM,
        ["politically sensitive topics"],
    )
    assert parse_qwen3guard("Safety: Safe\nCategories: None") == (RiskLevel.NONE, [])
    assert parse_llamaguard("unsafe\nS1,S10") == (RiskLevel.HIGH, ["S1", "S10"])
    with pytest.raises(DetectorError):
        parse_llamaguard("maybe")
    with pytest.raises(ConfigError):
        GuardModelDetector(base_url="http://x", model="m", flavor="other")
