"""``/docs`` works offline: Swagger UI comes from the gateway (swagger-ui-bundle), not a CDN (issue 16, item 6)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from tests.conftest import make_settings


class _Links(HTMLParser):
    """Every ``src``/``href`` of the page, and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture
def docs_client(tmp_path: Path) -> TestClient:
    """The app without its lifespan: ``/docs`` and its assets need no database."""
    from companion_guard.service.app import create_app

    return TestClient(create_app(make_settings(tmp_path)))


def test_docs_page_names_no_external_host_and_its_assets_are_served(docs_client: TestClient) -> None:
    page = docs_client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    links = _Links()
    links.feed(page.text)
    assert links.urls, page.text
    for url in links.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"/docs loads {url} from another host"
    for script in links.scripts:
        assert "http://" not in script and "https://" not in script, script
    assert (
        "validatorUrl" in page.text and '"validatorUrl": null' in page.text
    )  # no call to validator.swagger.io

    wanted = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    served = set()
    for url in links.urls:
        asset = docs_client.get(url)
        suffix = Path(urlsplit(url).path).suffix
        assert asset.status_code == 200, url
        assert wanted[suffix] in asset.headers["content-type"], (url, asset.headers["content-type"])
        served.add(suffix)
        if suffix == ".js":
            assert "SwaggerUIBundle" in asset.text and len(asset.content) > 100_000
        if suffix == ".css":
            assert ".swagger-ui" in asset.text
    assert served == set(wanted)


def test_the_spec_the_page_loads_is_there_and_redoc_is_off(docs_client: TestClient) -> None:
    spec = docs_client.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "companion-guard"
    assert "/docs" not in spec.json()["paths"]  # the page itself is not an API operation
    assert docs_client.get("/redoc").status_code == 404  # ReDoc ships in no registry package
