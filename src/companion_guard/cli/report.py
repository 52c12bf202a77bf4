"""``companion-guard report assessment|filing``: the assessment report (A2) and the filing draft (A3)."""

from __future__ import annotations

import getpass
import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import typer

from companion_guard.cli import app

report_app = typer.Typer(
    help="Reports for compliance staff: assessment (A2), filing draft (A3).", no_args_is_help=True
)
app.add_typer(report_app, name="report")

DB = typer.Option(None, "--db", help="Database URL (default: the configured or embedded store).")
HOME = typer.Option(None, "--home", help="Folder of the embedded default's files.")
LANG = typer.Option("zh", "--lang", help="zh (default) or en.")


@contextmanager
def store(db: str | None, home: str | None) -> Iterator[tuple[Any, Any]]:
    """Settings and a session factory on the migrated store."""
    from companion_guard.settings import load_settings
    from companion_guard.store import make_engine, make_sessionmaker
    from companion_guard.store.migrate import upgrade

    settings = load_settings(db_url=db, home=home)
    engine = make_engine(settings.resolved_db_url())
    try:
        upgrade(engine)
        yield settings, make_sessionmaker(engine)
    finally:
        engine.dispose()


def in_force(settings: Any) -> tuple[list[Any], Any, list[Any]]:
    """The packs, detector registry and duties the gateway would run with these settings."""
    from companion_guard.detectors.registry import default_registry
    from companion_guard.duties import duty_classes
    from companion_guard.policy.loader import load_pack

    return (
        [load_pack(p) for p in settings.policy_packs],
        default_registry(learned=settings.learned_tier),
        duty_classes(),
    )


def parse_day(value: str | None, *, end: bool = False) -> datetime | None:
    """``2026-09-01`` (a whole day in the report time zone) or an ISO timestamp."""
    from companion_guard.reports.figures import REPORT_TZ

    if not value:
        return None
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day, time.max if end else time.min, REPORT_TZ)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def write(data: bytes, output: Path | None) -> None:
    """To the file, or to stdout."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        typer.echo(f"wrote {output} ({len(data):,} bytes)", err=True)


def audited(sessions: Any, *, kind: str, by: str, fmt: str, data: bytes, details: dict[str, Any]) -> None:
    """Who generated which report, in the audit log (D1)."""
    from companion_guard.rights import audit
    from companion_guard.store import session_scope

    with session_scope(sessions) as session:
        audit.append(
            session,
            actor=("operator", by),
            action="report.generate",
            at=datetime.now(UTC),
            target=kind,
            details={"format": fmt, "sha256": hashlib.sha256(data).hexdigest(), **details},
        )


@report_app.command("assessment")
def assessment(
    start: str | None = typer.Option(
        None, "--from", help="First day (YYYY-MM-DD) or time; default: all recorded time."
    ),
    end: str | None = typer.Option(
        None, "--to", help="Last day (YYYY-MM-DD) or time; default: the last recorded."
    ),
    fmt: str = typer.Option("html", "--format", help="html, pdf, md or json."),
    output: Path | None = typer.Option(None, "--output", help="Where to write it (default stdout)."),
    lang: str = LANG,
    scorecard: Path | None = typer.Option(
        None,
        "--scorecard",
        help="JSON scorecard of the last `companion-guard redteam` (default: ./redteam-scorecard.json).",
    ),
    fail_under: float = typer.Option(0.9, "--fail-under", help="The release gate's pass rate."),
    by: str | None = typer.Option(None, "--by", help="Who generates it (audited; default: the OS user)."),
    db: str | None = DB,
    home: str | None = HOME,
) -> None:
    """The security assessment report (A2) from live data; `--format json` prints {"figures": …} first."""
    from companion_guard.reports.assessment import build
    from companion_guard.reports.render import render
    from companion_guard.store import session_scope

    if fmt not in ("html", "pdf", "md", "json"):
        raise typer.BadParameter("--format is html, pdf, md or json")
    who = by or getpass.getuser()
    with store(db, home) as (settings, sessions):
        if scorecard is None:  # `companion-guard redteam`'s default output, here or in the home folder
            scorecard = next(
                (
                    p
                    for p in (Path("redteam-scorecard.json"), settings.home / "redteam-scorecard.json")
                    if p.is_file()
                ),
                None,
            )
        packs, registry, duties = in_force(settings)
        with session_scope(sessions) as session:
            report = build(
                session,
                packs=packs,
                registry=registry,
                duties=duties,
                start=parse_day(start),
                end=parse_day(end, end=True),
                generated_by=who,
                scorecard_path=scorecard,
                fail_under=fail_under,
            )
        data = render(report, fmt, "en" if lang.startswith("en") else "zh")
        audited(sessions, kind="assessment", by=who, fmt=fmt, data=data, details=report["period"])
    write(data, output)


@report_app.command("filing")
def filing(
    fmt: str = typer.Option("md", "--format", help="md, html, pdf or json."),
    output: Path | None = typer.Option(None, "--output", help="Where to write it (default stdout)."),
    name: str = typer.Option(
        "AI 陪伴对话服务（companion-guard 安全网关）", "--name", help="The algorithm's name."
    ),
    lang: str = LANG,
    by: str | None = typer.Option(None, "--by", help="Who generates it (audited)."),
    db: str | None = DB,
    home: str | None = HOME,
) -> None:
    """The algorithm-filing draft (A3) with the change log since the last recorded filing."""
    import json

    from companion_guard.reports import filing as filing_mod
    from companion_guard.store import session_scope

    code = "en" if lang.startswith("en") else "zh"
    who = by or getpass.getuser()
    with store(db, home) as (settings, sessions):
        packs, registry, duties = in_force(settings)
        with session_scope(sessions) as session:
            draft = filing_mod.draft(
                session,
                packs=packs,
                registry=registry,
                duties=duties,
                name=name,
                lang=code,
                now=datetime.now(UTC),
            )
        if fmt == "json":
            data = json.dumps(draft, ensure_ascii=False, indent=2, default=str).encode()
        elif fmt == "md":
            data = filing_mod.to_markdown(draft, code).encode()
        elif fmt in ("html", "pdf"):
            page = filing_mod.to_html(draft, code)
            if fmt == "pdf":
                from weasyprint import HTML

                data = HTML(string=page).write_pdf()
            else:
                data = page.encode()
        else:
            raise typer.BadParameter("--format is md, html, pdf or json")
        audited(sessions, kind="filing", by=who, fmt=fmt, data=data, details={})
    write(data, output)
