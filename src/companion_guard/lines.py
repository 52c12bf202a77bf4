"""Lines of JSONL files and SSE streams, split on ``"\\n"`` only.

``str.splitlines()`` and httpx's ``aiter_lines()`` also break at U+2028, U+2029,
U+0085, form feeds and other separators that are valid, unescaped, inside a JSON
string (common in scraped Chinese text), cutting one record in two. Every JSONL and
SSE reader of the project splits here instead; a trailing ``"\\r"`` is dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path


def split_lines(text: str) -> list[str]:
    """``text`` cut at ``"\\n"`` (and ``"\\r\\n"``), nowhere else."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def read_lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a file, split on ``"\\n"`` only, streamed."""
    with path.open(encoding=encoding, newline="\n") as fh:
        for line in fh:
            yield line.removesuffix("\n").removesuffix("\r")


async def aiter_lines(chunks: AsyncIterable[str]) -> AsyncIterator[str]:
    """Lines of a text stream (e.g. ``httpx.Response.aiter_text()``), split on ``"\\n"`` only."""
    buffer = ""
    async for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    if buffer:
        yield buffer.removesuffix("\r")
