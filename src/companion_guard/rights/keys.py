"""Kept for old imports: the users' data keys now live in :mod:`companion_guard.rights.data_keys`.

("keys" named three things; this module held the data keys, not the API keys nor the master key.)
"""

from __future__ import annotations

from companion_guard.rights.data_keys import FIELD, DataKeys, EncryptingCodec, UserKeys

__all__ = ["FIELD", "DataKeys", "EncryptingCodec", "UserKeys"]
