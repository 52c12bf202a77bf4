"""Resolve the ``"module:attr"`` names that the explicit registries list (duties, hooks, fields)."""

from __future__ import annotations

import importlib
from typing import Any


def load_object(path: str) -> Any:
    """Import ``module`` and return its ``attr`` for a ``"module:attr"`` path; a bad name raises."""
    module, sep, attr = path.partition(":")
    if not sep or not attr:
        raise ValueError(f"expected 'module:attr', got {path!r}")
    return getattr(importlib.import_module(module), attr)
