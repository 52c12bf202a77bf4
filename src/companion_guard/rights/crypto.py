"""Kept for old imports: encryption at rest (D3) now lives in one module per concern.

- :mod:`.aead`: sealed values (AES-GCM, the ``cg1:`` format);
- :mod:`.master_key`: the master key, the key ring and the :class:`KeyWrapper` protocol;
- :mod:`.master_key_file`: the owner-only master key file and the ring that follows it;
- :mod:`.master_key_loading`: finding the master key (hook, environment, key file);
- :mod:`.data_keys`: the users' data keys the master key wraps.
"""

from __future__ import annotations

from companion_guard.rights.aead import PREFIX, DecryptionError, is_sealed, new_data_key, open_with, seal_with
from companion_guard.rights.data_keys import DekCache, KeyDestroyed, wrap_context
from companion_guard.rights.master_key import KeyWrapper, MasterKey, MasterKeyRing, key_id_of
from companion_guard.rights.master_key_file import FileKeyRing, KeyFile
from companion_guard.rights.master_key_loading import (
    ENV_KEY_FILE,
    ENV_KMS_HOOK,
    ENV_MASTER_KEY,
    ENV_PREVIOUS_KEYS,
    load_master_keyring,
)

__all__ = [
    "ENV_KEY_FILE",
    "ENV_KMS_HOOK",
    "ENV_MASTER_KEY",
    "ENV_PREVIOUS_KEYS",
    "PREFIX",
    "DecryptionError",
    "DekCache",
    "FileKeyRing",
    "KeyDestroyed",
    "KeyFile",
    "KeyWrapper",
    "MasterKey",
    "MasterKeyRing",
    "is_sealed",
    "key_id_of",
    "load_master_keyring",
    "new_data_key",
    "open_with",
    "seal_with",
    "wrap_context",
]
