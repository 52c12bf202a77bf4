"""A tiny HTTP receiver on 127.0.0.1 that records the webhooks a gateway sends.

The runner registers ``{url}/hook/<run>/<scenario>/<role>`` as a simulated user's
guardian or emergency-contact webhook, so "the notification must reach the
guardian" is checked at the receiving end, as a real guardian would see it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Self


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def to_dict(self) -> dict[str, object]:
        """JSON form for the scorecard (body cut to 500 characters)."""
        return {
            "path": self.path,
            "at": self.at,
            "body": self.body.decode("utf-8", "replace")[:500],
            "signed": any(k.lower().endswith("signature") for k in self.headers),
        }


@dataclass
class WebhookReceiver:
    """Accepts POSTs on any path and keeps them; answers 200 to each."""

    host: str = "127.0.0.1"
    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    _server: asyncio.base_events.Server | None = None
    _arrived: asyncio.Event | None = None

    @property
    def url(self) -> str:
        """Base URL, known once started."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> WebhookReceiver:
        """Listen on a free port."""
        self._arrived = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def received(self, path_prefix: str) -> list[Delivery]:
        """Deliveries whose path starts with ``path_prefix``."""
        return [d for d in self.deliveries if d.path.startswith(path_prefix)]

    async def wait_for(self, prefixes: set[str], timeout: float) -> None:
        """Return when every prefix has a delivery, or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while any(not self.received(p) for p in prefixes):
            left = deadline - time.monotonic()
            if left <= 0 or self._arrived is None:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            path = parts[1] if len(parts) > 1 else "/"
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            body = await asyncio.wait_for(reader.readexactly(length), timeout=10) if length else b""
            self.deliveries.append(Delivery(path, headers, body, time.time()))
            if self._arrived is not None:
                self._arrived.set()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n"
                b'connection: close\r\n\r\n{"ok":true}'
            )
            await writer.drain()
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ValueError,
            ConnectionError,
        ):
            pass
        finally:
            writer.close()
