"""The embedded default's master key file (D3): owner-only JSON, and a ring that follows its rotations."""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from companion_guard.exceptions import ConfigError
from companion_guard.rights.master_key import MasterKey, MasterKeyRing


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

    ``master-key rotate`` rewrites the file; a running gateway notices (file mtime) the
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
