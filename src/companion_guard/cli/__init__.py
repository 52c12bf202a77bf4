"""The ``companion-guard`` command: each sub-command lives in its own module.

Modules register their commands on :data:`app` when :func:`main` imports them,
so importing this package does no work.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="companion-guard",
    help="Safety and compliance gateway for AI companion services.",
    no_args_is_help=True,
    add_completion=False,
)

#: The command modules, in help order. Each defines commands on ``app``.
COMMAND_MODULES = (
    "serve",
    "db",
    "check",
    "eval",
    "redteam",
    "matrix",
    "taxonomy",
    "keywords",
    "keys",
    "masterkey",
    "audit",
    "report",
    "filing",
    "assessment",
    "scope",
    "simulate",
)


def build_app() -> typer.Typer:
    """Import every command module so its commands are on :data:`app`."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"companion_guard.cli.{name}")
    return app


def main() -> None:
    """Entry point of the ``companion-guard`` script."""
    build_app()()
