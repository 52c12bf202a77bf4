"""Finding the master key (D3): a key-management hook, the environment, or the key file.

The settings reach here by their environment names (:meth:`companion_guard.settings.Settings.key_env`).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from companion_guard.exceptions import ConfigError
from companion_guard.rights.master_key import KeyWrapper, MasterKey, MasterKeyRing
from companion_guard.rights.master_key_file import FileKeyRing, KeyFile

log = logging.getLogger("companion_guard.rights")

ENV_MASTER_KEY = "COMPANION_GUARD_MASTER_KEY"
ENV_PREVIOUS_KEYS = "COMPANION_GUARD_MASTER_KEY_PREVIOUS"
ENV_KEY_FILE = "COMPANION_GUARD_MASTER_KEY_FILE"
ENV_KMS_HOOK = "COMPANION_GUARD_KMS_HOOK"


def ring_from_hook(spec: str) -> MasterKeyRing:
    """The ring a key-management hook ``package.module:factory`` makes (a ring, or one :class:`KeyWrapper`).

    Raises:
        ConfigError: the spec is malformed, does not import, or makes something else.
    """
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
        return ring_from_hook(env[ENV_KMS_HOOK])
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
