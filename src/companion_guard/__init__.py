"""companion-guard: the safety and compliance gateway for AI companion services."""

from companion_guard._version import __version__

__all__ = ["__version__"]
