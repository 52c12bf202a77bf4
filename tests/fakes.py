"""Upstream companions with scripted behaviour, for tests at the upstream boundary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from companion_guard.exceptions import UpstreamError
from companion_guard.upstream.base import Upstream, UpstreamRequest


class ScriptedUpstream(Upstream):
    """Answers with the scripted replies in order and fails loudly when the script runs out."""

    destination = "in-process:scripted"

    def __init__(self, *replies: str, chunk: int = 4) -> None:
        self.replies = list(replies)
        self.requests: list[UpstreamRequest] = []
        self.chunk = chunk

    def _next(self, request: UpstreamRequest) -> str:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError("ScriptedUpstream: script ran out")
        return self.replies.pop(0)

    async def complete(self, request: UpstreamRequest) -> str:
        """The next scripted reply."""
        return self._next(request)

    async def stream(self, request: UpstreamRequest) -> AsyncIterator[str]:
        """The next scripted reply, a few characters at a time."""
        text = self._next(request)
        for i in range(0, len(text), self.chunk):
            await asyncio.sleep(0)
            yield text[i : i + self.chunk]


class BrokenUpstream(Upstream):
    """Always fails as a dead upstream does."""

    destination = "in-process:broken"

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: UpstreamRequest) -> str:
        """Fail."""
        self.calls += 1
        raise UpstreamError("upstream unreachable: ConnectError")

    async def stream(self, request: UpstreamRequest) -> AsyncIterator[str]:
        """Fail before the first piece."""
        self.calls += 1
        raise UpstreamError("upstream unreachable: ConnectError")
        yield ""  # pragma: no cover
