"""HTTP routes, one module per surface. :data:`ROUTERS` is the one list the app includes."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

#: Route modules (each exposes ``router``), in OpenAPI order. Features add theirs here.
ROUTERS: tuple[str, ...] = (
    "companion_guard.service.routes.chat",
    "companion_guard.service.routes.personas",
    "companion_guard.service.routes.users",
    "companion_guard.service.routes.health",
    "companion_guard.service.routes.metrics",
    "companion_guard.service.routes.guardians",
    "companion_guard.service.routes.help_cases",
    "companion_guard.service.routes.rights",
    "companion_guard.service.routes.operators",
    "companion_guard.service.routes.compliance",
)


def load_routers() -> list[APIRouter]:
    """Import every route module and return its router."""
    return [importlib.import_module(name).router for name in ROUTERS]
