"""Any OpenAI-compatible LLM (Ollama, vLLM, hosted Qwen/DeepSeek) as the companion upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from companion_guard.exceptions import UpstreamError, UpstreamTimeout
from companion_guard.upstream.base import Upstream, UpstreamRequest


class OpenAICompatibleUpstream(Upstream):
    """Calls ``POST {base}/chat/completions``; ``base`` may or may not end in ``/v1``."""

    def __init__(
        self, base_url: str, *, api_key: str | None = None, timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base = base_url.rstrip("/")
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
            raise UpstreamTimeout(f"upstream did not answer in time ({self.url})") from exc
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
        return content

    async def stream(self, request: UpstreamRequest) -> AsyncIterator[str]:
        """Relay the upstream's SSE deltas."""
        try:
            async with self.client.stream("POST", self.url, json=self._body(request, True)) as resp:
                if resp.status_code >= 400:
                    raise UpstreamError(f"upstream answered HTTP {resp.status_code}")
                async for line in resp.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        chunk = json.loads(data)
                        delta = chunk["choices"][0]["delta"].get("content") if chunk.get("choices") else None
                    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                        raise UpstreamError("upstream stream sent something that is not a chunk") from exc
                    if delta:
                        yield delta
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"upstream did not answer in time ({self.url})") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream unreachable: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
