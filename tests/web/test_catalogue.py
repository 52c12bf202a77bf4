"""The pages' texts live in the messages catalogue, in both languages; the static files
come from the package (no CDN)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import Gateway

from companion_guard.service.web.i18n import LANGS, catalogue

WEB = resources.files("companion_guard.service.web")
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""")
PREFIX_KEY = re.compile(r"""\bt(?:\.has)?\(\s*["']([a-z0-9_.]+)["']\s*~""")


def _templates() -> list[Path]:
    return sorted(Path(str(WEB.joinpath("templates"))).rglob("*.html"))


@pytest.mark.req("D4")
def test_both_languages_have_the_same_messages() -> None:
    zh, en = (set(catalogue(lang)) for lang in LANGS)
    assert zh == en, {"only zh-CN": sorted(zh - en), "only en": sorted(en - zh)}
    assert all(catalogue(lang)[k].strip() for lang in LANGS for k in zh)
    # The same placeholders in both (a YAML comment sign eating "#{id}" shows up here too).
    holes = re.compile(r"{(\w+)}")
    assert {
        k for k in zh if set(holes.findall(catalogue("zh-CN")[k])) != set(holes.findall(catalogue("en")[k]))
    } == set()


@pytest.mark.req("D4")
def test_every_message_a_page_asks_for_exists() -> None:
    sources = [p.read_text("utf-8") for p in _templates()]
    sources += [p.read_text("utf-8") for p in Path(str(WEB)).glob("*.py")]
    keys = {k for text in sources for k in LITERAL_KEY.findall(text)}
    assert len(keys) > 200
    missing = sorted(k for k in keys if k not in catalogue("zh-CN"))
    assert not missing
    prefixes = {k for text in sources for k in PREFIX_KEY.findall(text)}
    assert {p for p in prefixes if not any(k.startswith(p) for k in catalogue("zh-CN"))} == set()


@pytest.mark.req("D4")
def test_templates_spell_no_chinese_sentence_themselves() -> None:
    # Texts come from the catalogue; only the demo's sample messages are written in the page.
    han = re.compile(r"[\u4e00-\u9fff]")
    for path in _templates():
        text = re.sub(
            r'data-text="[^"]*">[^<]*</button>|>中文<', "", path.read_text("utf-8")
        )  # samples, the endonym
        assert not han.search(text), path.name


@pytest.mark.req("D1")
def test_pages_load_nothing_from_another_origin(gateway: Gateway) -> None:
    page = httpx.get(gateway.url + "/")
    assert page.status_code == 200
    assert not re.search(r"""(src|href)=["']https?://""", page.text)
    for asset in ("app.css", "chat.js", "console.js"):
        resp = httpx.get(f"{gateway.url}/web-static/{asset}")
        assert resp.status_code == 200 and len(resp.content) > 200
