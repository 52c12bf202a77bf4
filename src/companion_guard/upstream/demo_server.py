"""Serve a companion :class:`Upstream` bare, as an OpenAI-compatible endpoint.

``companion-guard demo-upstream [--unsafe]`` runs this app, so the sandbox (and
anyone) can talk to the demo companions with no gateway in between, and so the
gateway can be put in front of them by URL like any other LLM.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse

from companion_guard.types import Message
from companion_guard.upstream.base import Upstream, UpstreamRequest

#: Model ids the demo server lists; it answers any model name alike.
DEMO_MODELS = ("demo", "demo-friend", "demo-partner")


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)


def _parse(body: Any) -> tuple[UpstreamRequest, bool] | str:
    """Turn a chat-completions body into a request, or return what is wrong with it."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not model:
        return "`model` is required"
    if not isinstance(messages, list) or not messages:
        return "`messages` must be a non-empty list"
    parsed = []
    for m in messages:
        if (
            not isinstance(m, dict)
            or not isinstance(m.get("role"), str)
            or not isinstance(m.get("content"), str)
        ):
            return "each message needs a string `role` and `content`"
        parsed.append(Message(m["role"], m["content"]))
    raw_locale = body.get("locale")
    locale = raw_locale if isinstance(raw_locale, str) else "zh-CN"
    request = UpstreamRequest(model=model, messages=tuple(parsed), persona_id=model, locale=locale)
    return request, bool(body.get("stream"))


def create_demo_app(upstream: Upstream, *, api_key: str | None = None, name: str = "demo") -> FastAPI:
    """An app that answers ``/v1/chat/completions`` and ``/v1/models`` with ``upstream``."""
    app = FastAPI(title=f"companion-guard {name} upstream", version="1")

    def _authorised(authorization: str | None) -> bool:
        return api_key is None or authorization == f"Bearer {api_key}"

    @app.get("/v1/models")
    async def models(authorization: str | None = Header(None)) -> Any:
        if not _authorised(authorization):
            return _error(401, "missing or wrong API key", "authentication_error")
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": name} for m in DEMO_MODELS],
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request, authorization: str | None = Header(None)) -> Any:
        if not _authorised(authorization):
            return _error(401, "missing or wrong API key", "authentication_error")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body is not valid JSON")
        parsed = _parse(body)
        if isinstance(parsed, str):
            return _error(400, parsed)
        req, stream = parsed
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if stream:
            return StreamingResponse(_sse(upstream, req, cid, created), media_type="text/event-stream")
        text = await upstream.complete(req)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": req.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(text), "total_tokens": len(text)},
        }

    return app


async def _sse(upstream: Upstream, req: UpstreamRequest, cid: str, created: int) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        data = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": req.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""}, None)
    async for piece in upstream.stream(req):
        yield chunk({"content": piece}, None)
    yield chunk({}, "stop")
    yield b"data: [DONE]\n\n"
