"""The learned tier: a frozen sentence encoder and small per-signal heads scored by numpy.

The heads (``data/heads.npz`` + ``data/heads.json``) are logistic regressions on
USE-multilingual-v3 embeddings, rebuilt by ``scripts/train_heads.py`` from
``train``-use data and the project's own examples (``training/``). Each head has
thresholds for low / medium / high, chosen by the training script.

Two ways to run it (``default_registry(learned=...)``):

* ``"cascade"``: embed only texts the cheap tier finds ambiguous: a broad gate
  lexicon (``data/gate.yaml``) hits, or a lexicon detector already flagged one of
  the heads' categories. Most ordinary messages cost nothing extra.
* ``"always"``: embed every text (a few milliseconds each).

A caller can skip the tier for one call with ``context.tiers = frozenset({"lexicon"})``
(e.g. on each partial sentence of a streamed reply, keeping it for the whole reply).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, ClassVar

import numpy as np

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.encoder import SentenceEncoder, shared_encoder
from companion_guard.detectors.lexicon import Hit, Lexicon, load_lexicon
from companion_guard.detectors.normalize import Normalized, embedding_text
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, Evidence, RiskLevel, Signal

MODES = ("cascade", "always")
#: Longest text the encoder reads (its cost grows with length); longer ones are windowed.
MAX_EMBED_CHARS = 160


@dataclass(frozen=True, slots=True)
class Head:
    """One per-signal head: which category, and the score at which each level starts."""

    category: str
    direction: Direction
    low: float
    medium: float
    high: float

    def level(self, score: float) -> RiskLevel:
        """The level this score earns (NONE below ``low``)."""
        if score >= self.high:
            return RiskLevel.HIGH
        if score >= self.medium:
            return RiskLevel.MEDIUM
        if score >= self.low:
            return RiskLevel.LOW
        return RiskLevel.NONE


@dataclass(frozen=True, slots=True)
class HeadSet:
    """All heads of one direction, stacked for one matrix product."""

    heads: tuple[Head, ...]
    weights: np.ndarray  # (k, dim)
    bias: np.ndarray  # (k,)
    meta: dict[str, Any]

    def scores(self, vec: np.ndarray) -> np.ndarray:
        """Sigmoid scores of every head for one embedding."""
        z = self.weights @ vec + self.bias
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return out


@cache
def load_heads(direction: Direction) -> HeadSet:
    """Load the shipped heads of one direction (cached per process)."""
    base = resources.files("companion_guard.detectors").joinpath("data")
    try:
        meta = json.loads(base.joinpath("heads.json").read_text(encoding="utf-8"))
        with base.joinpath("heads.npz").open("rb") as fh:
            arrays = np.load(fh)
            weights, bias = arrays["weights"], arrays["bias"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"learned heads cannot be loaded (run scripts/train_heads.py): {exc}") from exc
    rows = []
    heads = []
    for i, h in enumerate(meta["heads"]):
        if h["direction"] == direction.value:
            rows.append(i)
            heads.append(
                Head(
                    h["category"], direction, *(float(h["thresholds"][k]) for k in ("low", "medium", "high"))
                )
            )
    if weights.shape[1] != int(meta["encoder"]["dim"]):
        raise ConfigError("learned heads do not match the encoder's dimension")
    return HeadSet(
        tuple(heads),
        np.ascontiguousarray(weights[rows], dtype=np.float32),
        bias[rows].astype(np.float32),
        meta,
    )


@cache
def _gate_lexicon() -> Lexicon:
    return load_lexicon("gate.yaml")


class LearnedDetector(Detector):
    """Scores every head of one direction on the text's embedding."""

    tier: ClassVar[str] = "learned"

    def __init__(
        self,
        direction: Direction,
        *,
        mode: str = "cascade",
        encoder: SentenceEncoder | None = None,
        heads: HeadSet | None = None,
        gate: Lexicon | None = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"learned mode must be one of {MODES}, not {mode!r}")
        self.direction = direction
        self.mode = mode
        self.heads = heads or load_heads(direction)
        self._encoder = encoder
        self.gate = gate or _gate_lexicon()
        self._gate_category = f"_gate.{direction.value}"
        self._categories = frozenset(h.category for h in self.heads.heads)
        # Detector metadata depends on the direction, so it is set per instance.
        self.id = f"learned.{direction.value}"
        self.categories = tuple(h.category for h in self.heads.heads)
        self.requirements = ("I1", "I2", "I3") if direction is Direction.INPUT else ("P2", "P5", "P6", "M1")
        self.directions = frozenset({direction})

    @property
    def encoder(self) -> SentenceEncoder:
        """The encoder (the process-wide one unless a test passed its own)."""
        if self._encoder is None:
            self._encoder = shared_encoder()
        return self._encoder

    def gated(self, text: Normalized, context: DetectionContext, hits: list[Hit] | None = None) -> bool:
        """Whether the cascade should embed this text."""
        prior = context.prior_signals
        if any(s.category in self._categories for s in prior):
            return True
        if hits is None:
            hits = self.gate.matches(text)
        return any(h.term.category == self._gate_category for h in hits)

    def encoder_view(self, text: Normalized, hits: list[Hit]) -> str:
        """What the encoder reads: homophones and pinyin the gate found put back, long texts cut to a window.

        "我想紫砂" or "wo xiang zi sha" become "我想自杀" here, so the heads see the word
        the user hid; a long post is cut to :data:`MAX_EMBED_CHARS` around the first
        gate hit, which bounds the encoder's cost.
        """
        mine = [h for h in hits if h.term.category == self._gate_category]
        original = text.original
        rewrites = sorted(
            ((*text.original_span(h.start, h.end), h.term.rule) for h in mine if h.via == "pinyin"),
            reverse=True,
        )
        if not rewrites and len(text.embed_text) <= MAX_EMBED_CHARS:
            return text.embed_text
        # window size in original characters (invisible padding makes the original longer)
        size = max(MAX_EMBED_CHARS, MAX_EMBED_CHARS * len(original) // max(1, len(text.embed_text)))
        anchor = text.original_span(mine[0].start, mine[0].end)[0] if mine else 0
        last_end = len(original) + 1
        for o_s, o_e, word in rewrites:
            if o_e <= last_end:
                original = original[:o_s] + word + original[o_e:]
                last_end = o_s
                if o_s < anchor:
                    anchor += len(word) - (o_e - o_s)
        if len(original) > size:
            start = max(0, min(anchor - size // 3, len(original) - size))
            original = original[start : start + size]
        return embedding_text(original)[: MAX_EMBED_CHARS + 20]

    def detect(self, text: Normalized, context: DetectionContext) -> list[Signal]:
        """Embed (if the mode and the gate say so) and report every head at or above its low threshold."""
        if not context.runs("learned") or not text.text:
            return []
        hits = self.gate.matches(text)
        if self.mode == "cascade" and not self.gated(text, context, hits):
            return []
        scores = self.heads.scores(self.encoder.encode_one(self.encoder_view(text, hits)))
        signals = []
        evidence = (Evidence(0, len(text.original), text.original, "learned"),)
        prior = {s.category for s in context.prior_signals}
        for head, score in zip(self.heads.heads, scores.tolist(), strict=True):
            level = head.level(score)
            note = ""
            if level >= RiskLevel.HIGH and head.category not in prior:
                # A model's guess alone steers and offers help (medium); escalation and
                # notifying a contact need a lexicon cue of the same kind as well.
                level, note = RiskLevel.MEDIUM, " (capped: no lexicon cue)"
            if level > RiskLevel.NONE:
                signals.append(
                    Signal(
                        category=head.category,
                        level=level,
                        score=float(score),
                        detector=self.id,
                        evidence=evidence,
                        explanation=f"learned head {head.category}: {score:.2f}{note}",
                    )
                )
        return signals


__all__ = ["MODES", "Head", "HeadSet", "LearnedDetector", "load_heads"]
