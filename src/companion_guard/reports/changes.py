"""Changes to the service (A1, A3): recorded by operators, or by the guard itself when versions change.

An operator records a launch, a new related feature or a major technical change
(``companion-guard assessment record-change``, ``POST /v1/operator/changes``). At every
start the gateway compares the policy packs and detector models in force with the last
ones it recorded and records a ``policy_pack`` or ``detector_model`` change when they
differ; the first start records the baseline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from companion_guard.policy.schema import PolicyPack
from companion_guard.reports.figures import naive
from companion_guard.store.tables_reports import ServiceChange

#: Kinds an operator records; the guard records ``policy_pack`` and ``detector_model`` itself.
OPERATOR_KINDS = ("launch", "feature", "major_change")
SYSTEM_KINDS = ("policy_pack", "detector_model")


def pack_fingerprint(packs: list[PolicyPack]) -> str:
    """A short digest of the packs in force (ids and every setting, rule and text)."""
    blob = json.dumps([p.model_dump(mode="json") for p in packs], sort_keys=True, ensure_ascii=False)
    return ",".join(p.id for p in packs) + "@" + hashlib.sha256(blob.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _data_digest() -> str:
    digest = hashlib.sha256()
    root = resources.files("companion_guard.detectors").joinpath("data")

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.is_file():
                digest.update(f"{prefix}{child.name}\0".encode())
                digest.update(child.read_bytes())

    walk(root, "")
    return digest.hexdigest()[:16]


def detector_fingerprint(registry: Any) -> str:
    """A short digest of the detectors in force: ids, tiers, and every lexicon and model file shipped."""
    ids = sorted(f"{d.id}:{getattr(d, 'tier', '')}" for d in registry)
    return f"{len(ids)}det@" + hashlib.sha256(("|".join(ids) + _data_digest()).encode()).hexdigest()[:16]


def detector_list(registry: Any) -> list[dict[str, Any]]:
    """The detectors in force, for reports."""
    return sorted(
        (
            {
                "id": d.id,
                "tier": getattr(d, "tier", ""),
                "requirements": list(getattr(d, "requirements", ())),
                "fail_closed": bool(getattr(d, "fail_closed", False)),
            }
            for d in registry
        ),
        key=lambda d: d["id"],
    )


def record_change(
    session: Session,
    *,
    kind: str,
    title: str,
    by: str,
    at: datetime,
    detail: str = "",
    version: str | None = None,
    facts: dict[str, Any] | None = None,
    pack: PolicyPack | None = None,
) -> ServiceChange:
    """Record one change and fire its assessment trigger when the pack says it makes one due."""
    if kind not in OPERATOR_KINDS + SYSTEM_KINDS:
        raise ValueError(f"unknown change kind {kind!r}; one of {', '.join(OPERATOR_KINDS + SYSTEM_KINDS)}")
    row = ServiceChange(
        kind=kind,
        title=title[:300],
        detail=detail,
        version=version,
        facts=facts or {},
        recorded_at=naive(at),
        recorded_by=by,
    )
    session.add(row)
    session.flush()
    if pack is not None:
        from companion_guard.reports.triggers import fire_for_change

        fire_for_change(session, row, pack=pack, at=at)
    return row


def last_version(session: Session, kind: str) -> str | None:
    """The version of the newest recorded change of ``kind``."""
    return session.scalar(
        select(ServiceChange.version)
        .where(ServiceChange.kind == kind)
        .order_by(ServiceChange.recorded_at.desc(), ServiceChange.id.desc())
        .limit(1)
    )


def record_versions(
    session: Session, *, packs: list[PolicyPack], registry: Any, at: datetime
) -> list[ServiceChange]:
    """Record a pack or detector version that differs from the last one recorded (the first is the baseline)."""
    made = []
    for kind, version, title in (
        (
            "policy_pack",
            pack_fingerprint(packs),
            "策略包版本 / policy packs " + ",".join(p.id for p in packs),
        ),
        ("detector_model", detector_fingerprint(registry), "检测模型版本 / detectors and models"),
    ):
        previous = last_version(session, kind)
        if previous == version:
            continue
        baseline = previous is None
        made.append(
            record_change(
                session,
                kind=kind,
                title=title,
                by="system",
                at=at,
                version=version,
                facts={"previous": previous, "baseline": baseline},
                pack=None if baseline else packs[0],
            )
        )
    return made


def changes_between(session: Session, start: datetime | None, end: datetime | None) -> list[ServiceChange]:
    """Changes recorded in ``(start, end]`` (all when unbounded), oldest first."""
    query = select(ServiceChange)
    if start is not None:
        query = query.where(ServiceChange.recorded_at > naive(start))
    if end is not None:
        query = query.where(ServiceChange.recorded_at <= naive(end))
    return list(session.scalars(query.order_by(ServiceChange.recorded_at, ServiceChange.id)))
