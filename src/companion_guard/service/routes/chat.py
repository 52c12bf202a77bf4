"""``POST /v1/chat/completions``: the OpenAI wire format, every turn through the Guard."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from companion_guard.exceptions import CompanionGuardError, InputError
from companion_guard.pipeline import Prepared
from companion_guard.service.deps import ProviderDep, ServicesDep
from companion_guard.service.errors import TooLarge, error_status
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.openai import ChatCompletion, ChatCompletionRequest, error_body
from companion_guard.settings import Settings
from companion_guard.turn import TurnRequest, TurnResult
from companion_guard.types import Message

router = APIRouter(tags=["chat"], route_class=ModelRoute)

#: Control characters refused in text (tab, newline and carriage return are fine).
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _valid_text(text: str, where: str, settings: Settings) -> str:
    if len(text) > settings.max_message_chars:
        raise TooLarge(f"{where} has {len(text)} characters; the limit is {settings.max_message_chars}")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise InputError(f"{where} is not valid Unicode text (lone surrogate)")
    if any(ch in _CONTROL for ch in text):
        raise InputError(f"{where} contains control characters")
    return text


def turn_request(body: ChatCompletionRequest, settings: Settings) -> TurnRequest:
    """Validate a chat request and turn it into the pipeline's request."""
    if not body.user or not body.user.strip():
        raise InputError("the `user` field is required: set it to the end user's id")
    if len(body.user) > 128:
        raise InputError("`user` is longer than 128 characters")
    if any("\ud800" <= ch <= "\udfff" or ch < " " or ch == "\x7f" for ch in body.user):
        raise InputError("`user` must be printable text (no control characters or lone surrogates)")
    if len(body.messages) > settings.max_messages:
        raise TooLarge(f"{len(body.messages)} messages; the limit is {settings.max_messages}")
    messages = tuple(
        Message(m.role, _valid_text(m.text(), f"messages[{i}].content", settings))
        for i, m in enumerate(body.messages)
    )
    if not any(m.role == "user" and m.content.strip() for m in messages):
        raise InputError("messages must contain a non-empty user message")
    return TurnRequest(
        user_id=body.user.strip(),
        persona_id=body.model,
        messages=messages,
        max_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
    )


def _usage(req: TurnRequest, reply: str) -> dict[str, int]:
    prompt = sum(len(m.content) for m in req.messages)
    return {"prompt_tokens": prompt, "completion_tokens": len(reply), "total_tokens": prompt + len(reply)}


def _guard(result: TurnResult) -> dict[str, Any]:
    guard = result.guard_json()
    # L1: an implicit label on every reply; the client shows the explicit one.
    guard["label"] = {"ai_generated": True, "producer": "companion-guard", "content_id": result.turn_id}
    return guard


def completion_json(req: TurnRequest, result: TurnResult) -> dict[str, Any]:
    """The non-streaming response."""
    return {
        "id": f"chatcmpl-{result.turn_id}",
        "object": "chat.completion",
        "created": int(result.created.timestamp()),
        "model": result.persona_id,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": result.reply}, "finish_reason": "stop"}
        ],
        "usage": _usage(req, result.reply),
        "guard": _guard(result),
    }


#: How the streamed form (``"stream": true``) reads, for the OpenAPI document.
_STREAM_DOC = (
    "JSON: a `chat.completion`. With `stream: true`, server-sent events: `data:` lines of OpenAI "
    "`chat.completion.chunk` objects, the last carrying `guard`, then `data: [DONE]`."
)

#: Line separators that are valid raw in JSON but split lines in many SSE clients (``str.splitlines``).
_SEPARATORS = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\x85", "\\u0085"))


def _sse(data: dict[str, Any]) -> str:
    # str.replace, not str.translate: this runs on the event loop, and translate walks a long
    # reply character by character (0.18 s for 2 million characters, against 3 ms).
    text = json.dumps(data, ensure_ascii=False)
    for raw, escaped in _SEPARATORS:
        if raw in text:
            text = text.replace(raw, escaped)
    return f"data: {text}\n\n"


async def _stream(svc: ServicesDep, req: TurnRequest, prepared: Prepared) -> AsyncIterator[str]:
    chunk_id, created = f"chatcmpl-{prepared.ctx.turn_id}", int(time.time())
    first = True
    try:
        async for item in svc.guard.stream_prepared(prepared):
            if isinstance(item, TurnResult):
                yield _sse(
                    {
                        "id": f"chatcmpl-{item.turn_id}",
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": item.persona_id,
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                        "guard": _guard(item),
                    }
                )
                break
            delta: dict[str, str] = {"content": item}
            if first:
                delta["role"], first = "assistant", False
            yield _sse(
                {
                    "id": chunk_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": req.persona_id,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
            )
    except CompanionGuardError as exc:
        status, type_, code = error_status(exc)
        yield _sse(error_body(str(exc), type_=type_, code=code) | {"status": status})
    yield "data: [DONE]\n\n"


@router.post(
    "/v1/chat/completions",
    summary="Chat completion through the guard",
    response_model=ChatCompletion,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": _STREAM_DOC}
    },
)
async def chat_completions(body: ChatCompletionRequest, svc: ServicesDep, _: ProviderDep) -> Any:
    """One turn: gate, inspect, decide, generate, inspect the reply, record."""
    req = turn_request(body, svc.settings)
    if body.stream:
        # Gate and decide before the first byte, so an unknown persona still gets a real status code.
        prepared = await svc.guard.start(req)
        return StreamingResponse(
            _stream(svc, req, prepared), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )
    result = await svc.guard.turn(req)
    return JSONResponse(completion_json(req, result))
