"""The master key (D3): what wraps every data key, and the ring of master keys a gateway can read with.

    master key (env / key file / key-management hook)
        └── wraps one data key per user  (stored wrapped, table rights_user_keys)
                └── seals that user's message text and sensitive fields

Rotating the master key re-wraps the data keys; user data is not re-encrypted.
Not to be confused with the users' data keys (:mod:`.data_keys`) or the API keys
clients authenticate with (:mod:`companion_guard.service.auth`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag

from companion_guard.exceptions import ConfigError
from companion_guard.rights.aead import KEY_BYTES, DecryptionError, decrypt, encrypt


@runtime_checkable
class KeyWrapper(Protocol):
    """Wraps and unwraps data keys: the local master key, or a key-management hook.

    A hook (``COMPANION_GUARD_KMS_HOOK=package.module:factory``) returns an object
    with this shape, e.g. one that calls Vault transit or a cloud KMS.
    """

    @property
    def key_id(self) -> str:
        """The key's public name, stored with what it wrapped (read-only: a plain attribute does too)."""
        ...

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        """Encrypt ``dek`` under this master key, bound to ``context``."""
        ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Inverse of :meth:`wrap`; raise on a wrong key or tampering."""
        ...


def key_id_of(secret: bytes) -> str:
    """A stable, non-secret name for a master key (16 hex digits)."""
    return hashlib.sha256(b"companion-guard master key id\x00" + secret).hexdigest()[:16]


@dataclass(frozen=True, slots=True, repr=False)
class MasterKey:
    """A 256-bit master key held in this process (env or key file)."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ConfigError(f"a master key must be {KEY_BYTES} bytes, got {len(self.secret)}")

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        """The key's public name."""
        return key_id_of(self.secret)

    @classmethod
    def generate(cls) -> MasterKey:
        """A fresh random key."""
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        """Read a key written as 64 hex digits or base64 (standard or URL-safe).

        Raises:
            ConfigError: the text is not a 32-byte key.
        """
        text = text.strip()
        raw: bytes | None = None
        if len(text) == 2 * KEY_BYTES:
            try:
                raw = bytes.fromhex(text)
            except ValueError:
                raw = None
        if raw is None:
            try:
                raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
            except (binascii.Error, ValueError) as exc:
                raise ConfigError("master key is neither 64 hex digits nor base64") from exc
        if len(raw) != KEY_BYTES:
            raise ConfigError(f"master key must decode to {KEY_BYTES} bytes, got {len(raw)}")
        return cls(raw)

    def encoded(self) -> str:
        """URL-safe base64 text of the key (what the key file and env hold)."""
        return base64.urlsafe_b64encode(self.secret).decode("ascii")

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        """AES-GCM encrypt ``dek`` (nonce prepended)."""
        return encrypt(self.secret, dek, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """AES-GCM decrypt a wrapped key."""
        try:
            return decrypt(self.secret, wrapped, context)
        except InvalidTag as exc:
            raise DecryptionError("data key does not unwrap under this master key") from exc


class MasterKeyRing:
    """The current master key plus older ones still needed to read (during rotation)."""

    def __init__(
        self, current: KeyWrapper, previous: tuple[KeyWrapper, ...] = (), *, source: str = ""
    ) -> None:
        self.current = current
        self.source = source
        self._by_id: dict[str, KeyWrapper] = {w.key_id: w for w in (*previous, current)}

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id this ring can unwrap."""
        return tuple(self._by_id)

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        """Wrap under the current key; return ``(key_id, wrapped)``."""
        return self.current.key_id, self.current.wrap(dek, context)

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """Unwrap with the key named ``key_id``.

        Raises:
            ConfigError: that master key is not configured (lost, or rotated away too early).
        """
        wrapper = self._by_id.get(key_id)
        if wrapper is None:
            # The variable is master_key_loading.ENV_PREVIOUS_KEYS, spelled out so the ring does
            # not import its loader (tests/rights/test_crypto.py holds the two together).
            raise ConfigError(
                f"data key wrapped by master key {key_id!r}, which is not configured "
                f"(have: {', '.join(self._by_id)}); set COMPANION_GUARD_MASTER_KEY_PREVIOUS "
                "or restore the key file"
            )
        return wrapper.unwrap(wrapped, context)
