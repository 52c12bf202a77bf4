"""Encryption at rest (D3): AES-GCM per-user data keys wrapped by a master key.

    master key (env / key file / key-management hook)
        └── wraps one data key per user  (stored wrapped, table rights_user_keys)
                └── seals that user's message text and sensitive fields

Deleting a user destroys their wrapped data key: every ciphertext sealed under it
becomes noise, in the live database and in every backup of it (crypto-shredding).
Rotating the master key re-wraps the data keys; user data is not re-encrypted.

A sealed value is text, ``cg1:<base64url(nonce | ciphertext | tag)>``, bound by
the AES-GCM associated data to its user and purpose, so a ciphertext copied onto
another user's row or into another field does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import json
import logging
import os
import secrets
import stat
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from companion_guard.exceptions import ConfigError, StoreError

log = logging.getLogger("companion_guard.rights")

ENV_MASTER_KEY = "COMPANION_GUARD_MASTER_KEY"
ENV_PREVIOUS_KEYS = "COMPANION_GUARD_MASTER_KEY_PREVIOUS"
ENV_KEY_FILE = "COMPANION_GUARD_MASTER_KEY_FILE"
ENV_KMS_HOOK = "COMPANION_GUARD_KMS_HOOK"

PREFIX = "cg1:"
_NONCE = 12
_KEY_BYTES = 32


class KeyDestroyed(StoreError):
    """The user's data key was destroyed (crypto-shredded) or never existed."""


class DecryptionError(StoreError):
    """A sealed value did not open: wrong key, wrong user or purpose, or tampered."""


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
        if len(self.secret) != _KEY_BYTES:
            raise ConfigError(f"a master key must be {_KEY_BYTES} bytes, got {len(self.secret)}")

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        """The key's public name."""
        return key_id_of(self.secret)

    @classmethod
    def generate(cls) -> MasterKey:
        """A fresh random key."""
        return cls(secrets.token_bytes(_KEY_BYTES))

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        """Read a key written as 64 hex digits or base64 (standard or URL-safe).

        Raises:
            ConfigError: the text is not a 32-byte key.
        """
        text = text.strip()
        raw: bytes | None = None
        if len(text) == 2 * _KEY_BYTES:
            try:
                raw = bytes.fromhex(text)
            except ValueError:
                raw = None
        if raw is None:
            try:
                raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
            except (binascii.Error, ValueError) as exc:
                raise ConfigError("master key is neither 64 hex digits nor base64") from exc
        if len(raw) != _KEY_BYTES:
            raise ConfigError(f"master key must decode to {_KEY_BYTES} bytes, got {len(raw)}")
        return cls(raw)

    def encoded(self) -> str:
        """URL-safe base64 text of the key (what the key file and env hold)."""
        return base64.urlsafe_b64encode(self.secret).decode("ascii")

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        """AES-GCM encrypt ``dek`` (nonce prepended)."""
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(self.secret).encrypt(nonce, dek, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """AES-GCM decrypt a wrapped key."""
        try:
            return AESGCM(self.secret).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context)
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
            raise ConfigError(
                f"data key wrapped by master key {key_id!r}, which is not configured "
                f"(have: {', '.join(self._by_id)}); set {ENV_PREVIOUS_KEYS} or restore the key file"
            )
        return wrapper.unwrap(wrapped, context)


# --------------------------------------------------------------------------- key file


@dataclass(frozen=True, slots=True)
class KeyFile:
    """The embedded default's master key file: JSON, owner-only (0600).

    ``{"version": 1, "current": "<key id>", "keys": {"<key id>": "<base64>"}}``
    """

    path: Path

    def exists(self) -> bool:
        """Whether the file is there."""
        return self.path.exists()

    def read(self) -> tuple[MasterKey, tuple[MasterKey, ...]]:
        """Load ``(current, previous)``.

        Raises:
            ConfigError: unreadable, malformed, or readable by group/others.
        """
        try:
            mode = self.path.stat().st_mode
            text = self.path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read master key file {self.path}: {exc}") from exc
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"master key file {self.path} is open to group/others (mode {stat.S_IMODE(mode):o}); "
                f"run: chmod 600 {self.path}"
            )
        try:
            data = json.loads(text)
            keys = {kid: MasterKey.parse(enc) for kid, enc in data["keys"].items()}
            current = keys[data["current"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"master key file {self.path} is malformed: {exc}") from exc
        for kid, key in keys.items():
            if key.key_id != kid:
                raise ConfigError(f"master key file {self.path}: key id {kid!r} does not match its key")
        previous = tuple(k for kid, k in keys.items() if kid != current.key_id)
        return current, previous

    def write(self, current: MasterKey, previous: tuple[MasterKey, ...] = ()) -> None:
        """Replace the file atomically, owner-only."""
        data = {
            "version": 1,
            "current": current.key_id,
            "keys": {k.key_id: k.encoded() for k in (*previous, current)},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            if tmp.exists():
                tmp.unlink()

    def create(self) -> MasterKey:
        """Create the file with a fresh key; refuse to overwrite one that exists."""
        if self.path.exists():
            raise ConfigError(f"master key file {self.path} already exists")
        key = MasterKey.generate()
        self.write(key)
        return key


class FileKeyRing(MasterKeyRing):
    """A ring backed by the key file that follows rotations made while the gateway runs.

    ``keys rotate`` rewrites the file; a running gateway notices (file mtime) the
    next time it wraps a new data key or meets an unknown key id, so it never
    wraps under a retired key.
    """

    def __init__(self, key_file: KeyFile) -> None:
        self.key_file = key_file
        current, previous = key_file.read()
        self._stamp = self._mtime()
        super().__init__(current, previous, source=f"file:{key_file.path}")

    def _mtime(self) -> int:
        try:
            return self.key_file.path.stat().st_mtime_ns
        except OSError:
            return -1

    def _refresh(self) -> None:
        stamp = self._mtime()
        if stamp == self._stamp or stamp < 0:
            return
        current, previous = self.key_file.read()
        self._stamp = stamp
        self.current = current
        for key in (*previous, current):
            self._by_id[key.key_id] = key

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        """Wrap under the file's current key."""
        self._refresh()
        return super().wrap(dek, context)

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """Unwrap, re-reading the file once if the key id is new to us."""
        if key_id not in self._by_id:
            self._refresh()
        return super().unwrap(key_id, wrapped, context)


# --------------------------------------------------------------------------- loading


def _load_hook(spec: str) -> MasterKeyRing:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"{ENV_KMS_HOOK} must look like 'package.module:factory', got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load key-management hook {spec!r}: {exc}") from exc
    made = factory()
    if isinstance(made, MasterKeyRing):
        return made
    if isinstance(made, KeyWrapper):
        return MasterKeyRing(made, source=f"hook:{spec}")
    raise ConfigError(f"key-management hook {spec!r} returned {type(made).__name__}, not a KeyWrapper")


def load_master_keyring(
    *,
    key_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    create: bool = True,
) -> MasterKeyRing:
    """Find the master key: hook, then environment, then key file (created on first start).

    Args:
        key_file: the embedded default's key file (``COMPANION_GUARD_MASTER_KEY_FILE``
            overrides it).
        env: the environment to read (default ``os.environ``).
        create: create the key file when no key is configured anywhere.

    Raises:
        ConfigError: a configured key is malformed, or none is found and ``create`` is off.
    """
    env = os.environ if env is None else env
    if env.get(ENV_KMS_HOOK):
        return _load_hook(env[ENV_KMS_HOOK])
    if env.get(ENV_MASTER_KEY):
        current = MasterKey.parse(env[ENV_MASTER_KEY])
        previous = tuple(
            MasterKey.parse(part) for part in env.get(ENV_PREVIOUS_KEYS, "").split(",") if part.strip()
        )
        return MasterKeyRing(current, previous, source="env")
    path = Path(env[ENV_KEY_FILE]) if env.get(ENV_KEY_FILE) else key_file
    if path is None:
        raise ConfigError(f"no master key: set {ENV_MASTER_KEY}, {ENV_KEY_FILE} or {ENV_KMS_HOOK}")
    kf = KeyFile(path)
    if kf.exists():
        return FileKeyRing(kf)
    if not create:
        raise ConfigError(f"master key file {path} does not exist")
    key = kf.create()
    log.warning(
        "created a new master key file %s (owner-only, mode 600; key id %s). It decrypts all stored "
        "conversations: back it up somewhere safe, or set %s to use a key you manage. "
        "已创建主密钥文件 %s（仅所有者可读）。请妥善备份；丢失后已存储的对话将无法解密。",
        path,
        key.key_id,
        ENV_MASTER_KEY,
        path,
    )
    return FileKeyRing(kf)


# --------------------------------------------------------------------------- data keys


def _aad(user_id: str, purpose: str) -> bytes:
    return f"cg1\x00{user_id}\x00{purpose}".encode()


def new_data_key() -> bytes:
    """A fresh per-user data key."""
    return AESGCM.generate_key(bit_length=256)


def wrap_context(user_id: str) -> bytes:
    """Associated data that binds a wrapped data key to its user."""
    return f"cg1-dek\x00{user_id}".encode()


def seal_with(dek: bytes, plaintext: str, *, user_id: str, purpose: str) -> str:
    """Encrypt ``plaintext`` under ``dek`` for ``user_id``/``purpose``."""
    nonce = secrets.token_bytes(_NONCE)
    blob = nonce + AESGCM(dek).encrypt(nonce, plaintext.encode("utf-8"), _aad(user_id, purpose))
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
        return AESGCM(dek).decrypt(blob[:_NONCE], blob[_NONCE:], _aad(user_id, purpose)).decode("utf-8")
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise DecryptionError(f"sealed {purpose} of user {user_id!r} does not open") from exc


def is_sealed(value: object) -> bool:
    """Whether ``value`` looks like a sealed string."""
    return isinstance(value, str) and value.startswith(PREFIX)


class DekCache:
    """A small LRU of unwrapped data keys, so a turn does not unwrap twice.

    Crypto-shredding evicts the user here; other replicas drop theirs when the
    entry ages out (``ttl`` is not tracked: rows are deleted with the key, so a
    stale cached key opens nothing that still exists).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str) -> bytes | None:
        """The cached key, or None."""
        with self._lock:
            dek = self._data.get(user_id)
            if dek is not None:
                self._data.move_to_end(user_id)
            return dek

    def put(self, user_id: str, dek: bytes) -> None:
        """Remember a key."""
        with self._lock:
            self._data[user_id] = dek
            self._data.move_to_end(user_id)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def evict(self, user_id: str) -> None:
        """Forget a key (after shredding)."""
        with self._lock:
            self._data.pop(user_id, None)

    def clear(self) -> None:
        """Forget every key (after rotation)."""
        with self._lock:
            self._data.clear()
