"""Web sessions: sealed cookies, CSRF tokens, sign-in rate limits and signed portal links.

Nothing is stored server-side. A session is a cookie sealed with AES-GCM (so it can be
neither read nor forged) that carries the surface it belongs to, its CSRF token, an
expiry and, for the console and the guardian portal, the caller's own API key. Every
request verifies that key again through the gateway's :class:`ApiKeyVerifier`, exactly as
the API does, so a revoked key ends its web session within the verifier's cache time.

Cookies are HttpOnly, ``SameSite=Strict`` and scoped to their surface's path; they are
``Secure`` when the request came over TLS, or always/never with
``COMPANION_GUARD_WEB_COOKIE_SECURE=true|false``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request, Response

from companion_guard.exceptions import ConfigError
from companion_guard.secretfile import read_or_create_secret
from companion_guard.settings import Settings

#: Where ``Settings.web_secret`` comes from: the secret sessions and portal links are sealed with.
ENV_SECRET = "COMPANION_GUARD_WEB_SECRET"
SECRET_FILE = "web-secret"

#: Surface → (cookie name, cookie path, lifetime in seconds).
SURFACES: dict[str, tuple[str, str, int]] = {
    "demo": ("cg_demo", "/", 7 * 86400),
    "console": ("cg_console", "/console", 8 * 3600),
    "guardian": ("cg_guardian", "/guardian", 8 * 3600),
    "me": ("cg_me", "/me", 3600),
}
#: Failed sign-ins allowed per client and surface in :data:`WINDOW_SECONDS`.
MAX_FAILURES = 5
WINDOW_SECONDS = 300.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealer:
    """AES-GCM sealing of small JSON payloads, with a purpose bound in as associated data."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(hashlib.sha256(b"companion-guard web v1\x00" + secret).digest())

    def seal(self, payload: dict[str, Any], *, purpose: str, ttl: float) -> str:
        """Seal ``payload`` so that it opens only for ``purpose`` until ``ttl`` seconds from now."""
        body = json.dumps({**payload, "exp": time.time() + ttl}, separators=(",", ":")).encode()
        nonce = os.urandom(12)
        return _b64(nonce + self._aead.encrypt(nonce, body, purpose.encode()))

    def open(self, token: str | None, *, purpose: str) -> dict[str, Any] | None:
        """The payload, or ``None`` when the token is missing, forged, for another purpose or expired."""
        if not token or len(token) > 4096:
            return None
        try:
            raw = _unb64(token)
            data = json.loads(self._aead.decrypt(raw[:12], raw[12:], purpose.encode()))
        except (ValueError, InvalidTag, json.JSONDecodeError):
            return None
        if not isinstance(data, dict) or float(data.get("exp", 0)) < time.time():
            return None
        return data


def load_secret(settings: Settings) -> bytes:
    """The web secret: ``Settings.web_secret``, else ``<home>/web-secret`` (made on first use, 0600).

    Several replicas must share it (set ``COMPANION_GUARD_WEB_SECRET``), or a session made on one is
    refused by another.
    """
    configured = settings.web_secret.strip()
    home = Path(settings.home)
    if configured:
        if len(configured) < 32:
            raise ConfigError(f"{ENV_SECRET} must be at least 32 characters")
        return configured.encode()
    return read_or_create_secret(home / SECRET_FILE)


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the ``Secure`` flag for this request."""
    mode = request.app.state.services.settings.web_cookie_secure
    if mode != "auto":
        return bool(mode == "true")
    return request.url.scheme == "https"


@dataclass
class WebSession:
    """One surface's session: its CSRF token and what the surface keeps (key, user id, …)."""

    surface: str
    csrf: str
    data: dict[str, Any] = field(default_factory=dict)
    fresh: bool = False

    def get(self, name: str) -> Any:
        """A value the surface stored."""
        return self.data.get(name)


class RateLimiter:
    """Failed sign-ins per client in a sliding window (in-process: each replica counts its own)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        entries = self._failures.setdefault(client, deque())
        while entries and now - entries[0] > self.window:
            entries.popleft()
        return entries

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when they may now."""
        now = time.monotonic()
        with self._lock:
            entries = self._recent(client, now)
            if len(entries) < self.max_failures:
                return 0
            return max(1, int(self.window - (now - entries[0])) + 1)

    def failed(self, client: str) -> None:
        """Count one failed attempt."""
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:
                self._failures.clear()
            self._recent(client, now).append(now)

    def succeeded(self, client: str) -> None:
        """Forget a client's failures."""
        with self._lock:
            self._failures.pop(client, None)


class SessionStore:
    """Reads and writes the sealed session cookies of the four surfaces."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer

    def load(self, request: Request, surface: str) -> WebSession:
        """The surface's session, or a fresh anonymous one (with a new CSRF token)."""
        name, _, _ = SURFACES[surface]
        data = self.sealer.open(request.cookies.get(name), purpose=f"session:{surface}")
        if data is None:
            return WebSession(surface, secrets.token_urlsafe(24), {}, fresh=True)
        csrf = str(data.pop("csrf", "")) or secrets.token_urlsafe(24)
        data.pop("exp", None)
        return WebSession(surface, csrf, data)

    def save(self, response: Response, request: Request, session: WebSession) -> None:
        """Write the session cookie."""
        name, path, ttl = SURFACES[session.surface]
        token = self.sealer.seal(
            {**session.data, "csrf": session.csrf}, purpose=f"session:{session.surface}", ttl=ttl
        )
        response.set_cookie(
            name,
            token,
            max_age=ttl,
            path=path,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(request),
        )

    def clear(self, response: Response, request: Request, surface: str) -> None:
        """Remove the surface's cookie (sign out)."""
        name, path, _ = SURFACES[surface]
        response.delete_cookie(
            name, path=path, httponly=True, samesite="strict", secure=secure_cookies(request)
        )


def csrf_ok(session: WebSession, sent: str | None) -> bool:
    """Whether the token sent with a form or request matches the session's."""
    return bool(sent) and not session.fresh and hmac.compare_digest(session.csrf, str(sent))


def client_id(request: Request) -> str:
    """Who is signing in, for the rate limit (the peer address)."""
    return request.client.host if request.client else "unknown"
