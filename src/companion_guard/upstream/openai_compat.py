"""Any OpenAI-compatible LLM (Ollama, vLLM, hosted Qwen/DeepSeek) as the companion upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from companion_guard.exceptions import UpstreamError, UpstreamTimeout
from companion_guard.lines import aiter_lines
from companion_guard.upstream.base import Upstream, UpstreamRequest

#: Longest reply accepted from the upstream (characters); a longer one fails the turn.
MAX_REPLY_CHARS = 100_000


class OpenAICompatibleUpstream(Upstream):
    """Calls ``POST {base}/chat/completions``; ``base`` may or may not end in ``/v1``."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_reply_chars: int = MAX_REPLY_CHARS,
    ) -> None:
        self.max_reply_chars = max_reply_chars
        base = base_url.rstrip("/")
        self.destination = base
        self.url = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(timeout=timeout, headers=headers, transport=transport)

    def _body(self, request: UpstreamRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": stream,
        }
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    async def complete(self, request: UpstreamRequest) -> str:
        """One whole reply; garbage or an error status raises :class:`UpstreamError`."""
        try:
            resp = await self.client.post(self.url, json=self._body(request, False))
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("upstream did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream unreachable: {type(exc).__name__}") from exc
        if resp.status_code >= 400:
            raise UpstreamError(f"upstream answered HTTP {resp.status_code}")
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise UpstreamError("upstream answered something that is not a chat completion") from exc
        if not isinstance(content, str):
            raise UpstreamError("upstream reply has no text content")
        if len(content) > self.max_reply_chars:
            raise UpstreamError(f"upstream reply is longer than {self.max_reply_chars} characters")
        return content

    async def stream(self, request: UpstreamRequest) -> AsyncIterator[str]:
        """Relay the upstream's SSE text deltas.

        Anything else ends the turn with :class:`UpstreamError`: an error status, a body
        that is not an event stream (``text/html``), a chunk that is not a chunk or a
        delta that is not text, a reply over the length limit, or a stream cut before
        ``[DONE]`` or a ``finish_reason``.
        """
        try:
            async with self.client.stream("POST", self.url, json=self._body(request, True)) as resp:
                if resp.status_code >= 400:
                    raise UpstreamError(f"upstream answered HTTP {resp.status_code}")
                kind = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind != "text/event-stream":
                    raise UpstreamError(f"upstream stream is {kind or 'untyped'}, not text/event-stream")
                total, finished = 0, False
                async for line in aiter_lines(resp.aiter_text()):
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    delta, done = _delta(data)
                    finished = finished or done
                    if delta:
                        total += len(delta)
                        if total > self.max_reply_chars:
                            raise UpstreamError(
                                f"upstream reply is longer than {self.max_reply_chars} characters"
                            )
                        yield delta
                if not finished:
                    raise UpstreamError("upstream stream was cut before it finished")
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("upstream did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream unreachable: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()


def _delta(data: str) -> tuple[str | None, bool]:
    """The text delta of one SSE chunk and whether it says the reply finished."""
    try:
        chunk = json.loads(data)
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if not choices:
            return None, False
        choice = choices[0]
        delta = choice.get("delta") or {}
        content = delta.get("content")
        done = bool(choice.get("finish_reason"))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UpstreamError("upstream stream sent something that is not a chunk") from exc
    if content is not None and not isinstance(content, str):
        raise UpstreamError("upstream stream sent a delta that is not text")
    return content, done
