"""The web pages' messages catalogue: zh-CN first, English second, one YAML file per language.

Templates never spell a sentence: they ask ``t("console.queue.title")``. A key missing
from the English catalogue falls back to Chinese; a key missing from both is a bug,
and ``tests/web/test_catalogue.py`` fails on it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from fastapi import Request

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
LANG_COOKIE = "cg_lang"


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of one language, by dotted key."""
    text = resources.files("companion_guard.service.web").joinpath(f"messages/{lang}.yaml").read_text("utf-8")
    out: dict[str, str] = {}
    _flatten("", yaml.safe_load(text), out)
    return out


def pick_lang(request: Request) -> str:
    """The page language: ``?lang=``, else the language cookie, else zh-CN."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    return DEFAULT_LANG


class Translator:
    """Looks messages up for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self._own = catalogue(self.lang)
        self._fallback = catalogue(DEFAULT_LANG)

    @property
    def locale(self) -> str:
        """The gateway locale that matches (for users' ``locale`` and notices)."""
        return "zh-CN" if self.lang == "zh-CN" else "en-US"

    def has(self, key: str) -> bool:
        """Whether the catalogue knows ``key``."""
        return key in self._own or key in self._fallback

    def __call__(self, key: str, **values: Any) -> str:
        """The message for ``key`` with ``{name}`` placeholders filled."""
        text = self._own.get(key) or self._fallback.get(key)
        if text is None:
            raise KeyError(f"no message {key!r} in the web catalogue")
        return text.format(**values) if values else text
