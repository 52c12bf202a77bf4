"""A disk cache of sentence embeddings for training and evaluation runs (never the gateway).

Embedding tens of thousands of texts costs minutes; the training script and the
eval command re-read the same sets many times. Keys are sha1 of the exact text the
encoder saw plus the encoder version, values float32 vectors, in one SQLite file.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from companion_guard.detectors.encoder import SentenceEncoder


class EmbeddingStore:
    """Embeds through a :class:`SentenceEncoder`, remembering every vector on disk."""

    def __init__(self, path: Path, encoder: SentenceEncoder, *, batch: int = 32) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB)")
        self.encoder = encoder
        self.batch = batch
        self._salt = encoder.spec.module + encoder.spec.version

    def _key(self, text: str) -> str:
        return hashlib.sha1((self._salt + "\0" + text).encode("utf-8")).hexdigest()

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Vectors for ``texts`` (``(n, dim)``), computing only the ones not stored yet."""
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        for i in range(0, len(missing), self.batch):
            part = missing[i : i + self.batch]
            vecs = self.encoder.encode([t for _, t in part])
            rows = [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(part, vecs, strict=True)]
            self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)", rows)
            for (k, _), v in zip(part, vecs, strict=True):
                found[k] = v.astype(np.float32)
            if i % (self.batch * 50) == 0:
                self._db.commit()
                if progress:
                    print(f"  embedded {i + len(part)}/{len(missing)}", flush=True)
        self._db.commit()
        dim = self.encoder.spec.dim
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, dim), dtype=np.float32)

    def close(self) -> None:
        """Close the database."""
        self._db.close()


__all__ = ["EmbeddingStore"]
