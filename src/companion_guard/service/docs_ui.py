"""``/docs``: Swagger UI served from the ``swagger-ui-bundle`` package, never from a CDN.

FastAPI's own ``/docs`` loads Swagger UI from jsDelivr, which fails offline and is
unreliable in mainland China. The same assets ship in a registry package; they are
mounted under :data:`ASSETS_PATH` and the page names only them. ReDoc ships in no
such package, so ``/redoc`` is off (``FastAPI(redoc_url=None)``). The online spec
validator badge is off too: it would send the schema to validator.swagger.io.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

#: Where the Swagger UI files of the package are served.
ASSETS_PATH = "/static/swagger-ui"
DOCS_PATH = "/docs"


def install_docs(app: FastAPI) -> None:
    """Mount the Swagger UI assets and serve ``/docs`` with them (the app has ``docs_url=None``)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — API"

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        """The interactive API reference, with assets from this server only."""
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )


__all__ = ["ASSETS_PATH", "DOCS_PATH", "install_docs"]
