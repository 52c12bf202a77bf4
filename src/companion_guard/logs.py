"""Logging set-up for ``serve``: quiet by default, detail with ``--verbose``, JSON lines on request.

Quiet means warnings and errors only: a normal start prints one line (address,
key file, database) and migrations say nothing. ``--verbose`` shows INFO from
every logger (Alembic's migration steps, uvicorn's access log). ``--log-format
json`` writes one JSON object per line — ``ts``, ``level``, ``logger``,
``message`` and, for errors, ``exc`` — for log shippers. Called once per process
(each worker of ``serve --workers N`` calls it from the app factory).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(*, fmt: str = "text", verbose: bool = False) -> None:
    """Send every logger to stderr in ``fmt``; INFO and up with ``verbose``, else WARNING and up."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    level = logging.INFO if verbose else logging.WARNING
    root.setLevel(level)
    for name in ("alembic", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry full webhook URLs
