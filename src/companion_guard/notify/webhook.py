"""Webhook channel: JSON POST, HMAC-SHA256 signed, with a delivery id for de-duplication.

Receivers verify ``X-Companion-Guard-Signature: sha256=<hex>`` over the raw body
with the shared secret, and drop repeats of ``X-Companion-Guard-Delivery``.
The target is checked right before each send (:mod:`companion_guard.notify.targets`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from companion_guard.exceptions import UpstreamError
from companion_guard.notify.targets import check_webhook_at_send


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str) -> bool:
    """Check a signature in constant time (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, body), signature)


class WebhookChannel:
    """Posts outbox payloads to the target URL."""

    name = "webhook"

    def __init__(self, secret: bytes, client: httpx.AsyncClient, *, allow_private: bool = False) -> None:
        self.secret = secret
        self.client = client
        self.allow_private = allow_private

    async def send(self, *, target: str, delivery_id: str, payload: dict[str, Any]) -> None:
        """Deliver once; raise :class:`UpstreamError` on any failure so the outbox retries.

        Raises:
            UnsafeTarget: the URL (or what its host resolves to now) is internal.
        """
        await check_webhook_at_send(target, allow_private=self.allow_private)
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Companion-Guard-Signature": sign(self.secret, body),
            "X-Companion-Guard-Delivery": delivery_id,
            "X-Companion-Guard-Kind": str(payload.get("kind", "")),
        }
        try:
            resp = await self.client.post(target, content=body, headers=headers, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"webhook {type(exc).__name__}") from exc
        if resp.status_code >= 300:
            raise UpstreamError(f"webhook answered {resp.status_code}")
