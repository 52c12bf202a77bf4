"""Live figures for the console: turns, signals by level, notifications pending and failed, delivery per case.

Read-only counts over the store (no content); the API has no figures route yet.
Red-team scorecards are the JSON files ``companion-guard redteam`` writes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from companion_guard.store.tables import OutboxMessage, ReviewCase, Turn
from companion_guard.types import RiskLevel

#: Where scorecards are looked for: ``<home>/redteam/*.json`` and ``redteam-scorecard*.json`` here.
SCORECARD_GLOBS = ("redteam/*.json",)


def live_figures(session: Session, now: datetime) -> dict[str, Any]:
    """Counts for the last 24 hours and in total."""
    since = now.replace(tzinfo=None) - timedelta(hours=24)
    turns_total = session.scalar(select(func.count()).select_from(Turn)) or 0
    turns_day = session.scalar(select(func.count()).select_from(Turn).where(Turn.created_at >= since)) or 0
    levels = dict.fromkeys((lvl.name.lower() for lvl in RiskLevel), 0)
    for level, count in session.execute(
        select(Turn.max_level, func.count()).where(Turn.created_at >= since).group_by(Turn.max_level)
    ):
        try:
            levels[RiskLevel(int(level)).name.lower()] += int(count)
        except ValueError:
            continue
    outbox = {
        status: int(count)
        for status, count in session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
    actions = {
        action: int(count)
        for action, count in session.execute(
            select(Turn.action, func.count()).where(Turn.created_at >= since).group_by(Turn.action)
        )
    }
    return {
        "turns_total": int(turns_total),
        "turns_24h": int(turns_day),
        "levels_24h": levels,
        "actions_24h": actions,
        "outbox": outbox,
    }


def scorecards(home: Path, cwd: Path | None = None) -> list[dict[str, Any]]:
    """Red-team scorecards on disk, newest first: run info, totals and per-requirement scores."""
    paths = [p for pattern in SCORECARD_GLOBS for p in home.glob(pattern)]
    paths += list((cwd or Path.cwd()).glob("redteam-scorecard*.json"))
    cards = []
    for path in sorted(set(paths), key=lambda p: p.stat().st_mtime, reverse=True)[:20]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "requirements" in data:
            cards.append(
                {
                    "file": path.name,
                    "run": data.get("run", {}),
                    "totals": data.get("totals", {}),
                    "requirements": data.get("requirements", []),
                }
            )
    return cards


def delivery(session: Session, case_ids: list[int]) -> dict[int, dict[str, str]]:
    """For each case, how its notifications fared: ``{"notify.emergency_contact": "delivered", …}``.

    The case lists who was told; the outbox says whether it reached them (pending, delivered, failed).
    """
    turns = dict(
        session.execute(select(ReviewCase.id, ReviewCase.turn_id).where(ReviewCase.id.in_(case_ids))).all()
    )
    wanted = [t for t in turns.values() if t]
    by_turn: dict[str, dict[str, str]] = {}
    if wanted:
        for turn_id, kind, status in session.execute(
            select(OutboxMessage.turn_id, OutboxMessage.kind, OutboxMessage.status).where(
                OutboxMessage.turn_id.in_(wanted)
            )
        ):
            seen = by_turn.setdefault(str(turn_id), {})
            # One kind may leave by several channels: the best outcome shows (delivered > pending > failed).
            rank = {"delivered": 0, "pending": 1, "failed": 2}
            if kind not in seen or rank.get(status, 3) < rank.get(seen[kind], 3):
                seen[kind] = status
    return {case_id: by_turn.get(str(turn_id), {}) for case_id, turn_id in turns.items()}
