"""The web surfaces, server-rendered (Jinja2, a little plain JavaScript, nothing from a CDN).

- ``/``: the demo chat (:mod:`.demo`), the embedded default's front door;
- ``/console``: operators and auditors (:mod:`.console`);
- ``/guardian``: the guardian portal (:mod:`.guardian`);
- ``/me``: the user's own data page behind a signed link (:mod:`.me`), and the
  provider's ``POST /v1/users/{id}/portal-link`` that makes the link.

zh-CN by default, English by ``?lang=en`` (texts in ``messages/*.yaml``). Every page
calls the API route's own function; sessions are sealed cookies (:mod:`.session`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

#: Where the stylesheet and scripts are served from.
STATIC_PATH = "/web-static"


def install_web(app: FastAPI) -> None:
    """Mount the pages, their static files and the portal-link API route on ``app``."""
    from companion_guard.service.web import console, demo, guardian, me

    app.mount(STATIC_PATH, StaticFiles(directory=Path(__file__).with_name("static")), name="web-static")
    app.include_router(me.api_router)
    for module in (demo, console, guardian, me):
        app.include_router(module.router)


__all__ = ["STATIC_PATH", "install_web"]
