"""Sealed values (D3): AES-GCM under a user's data key, written as ``cg1:`` text.

A sealed value is ``cg1:<base64url(nonce | ciphertext | tag)>``, bound by the
AES-GCM associated data to its user and purpose, so a ciphertext copied onto
another user's row or into another field does not open. The format is stored:
changing a byte here makes every sealed value already written unreadable.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from companion_guard.exceptions import StoreError

PREFIX = "cg1:"
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(StoreError):
    """A sealed value did not open: wrong key, wrong user or purpose, or tampered."""


def encrypt(key: bytes, data: bytes, associated: bytes) -> bytes:
    """AES-GCM with a fresh random nonce, returned as ``nonce | ciphertext | tag``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data, associated)


def decrypt(key: bytes, blob: bytes, associated: bytes) -> bytes:
    """Inverse of :func:`encrypt`.

    Raises:
        cryptography.exceptions.InvalidTag: wrong key or associated data, or tampered.
    """
    return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)


def _aad(user_id: str, purpose: str) -> bytes:
    return f"cg1\x00{user_id}\x00{purpose}".encode()


def new_data_key() -> bytes:
    """A fresh per-user data key (256 bits)."""
    return AESGCM.generate_key(bit_length=256)


def seal_with(dek: bytes, plaintext: str, *, user_id: str, purpose: str) -> str:
    """Encrypt ``plaintext`` under ``dek`` for ``user_id``/``purpose``."""
    blob = encrypt(dek, plaintext.encode("utf-8"), _aad(user_id, purpose))
    return PREFIX + base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")


def open_with(dek: bytes, token: str, *, user_id: str, purpose: str) -> str:
    """Decrypt a value made by :func:`seal_with`.

    Raises:
        DecryptionError: not a sealed value, or it does not open with this key/user/purpose.
    """
    if not is_sealed(token):
        raise DecryptionError("value is not sealed (expected the 'cg1:' prefix)")
    body = token[len(PREFIX) :]
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return decrypt(dek, blob, _aad(user_id, purpose)).decode("utf-8")
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise DecryptionError(f"sealed {purpose} of user {user_id!r} does not open") from exc


def is_sealed(value: object) -> bool:
    """Whether ``value`` looks like a sealed string."""
    return isinstance(value, str) and value.startswith(PREFIX)
