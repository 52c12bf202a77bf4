"""Detectors: find risk signals in user input and companion replies."""

from companion_guard.detectors.base import DetectionContext, Detector
from companion_guard.detectors.normalize import Normalized, normalize
from companion_guard.detectors.registry import DetectorRegistry, default_registry

__all__ = [
    "DetectionContext",
    "Detector",
    "DetectorRegistry",
    "Normalized",
    "default_registry",
    "normalize",
]
