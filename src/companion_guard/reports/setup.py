"""Start-up hook: record pack and detector versions in force (A1, A3) and count users once."""

from __future__ import annotations

import logging

from companion_guard.assembly import Feature, Gateway, Parts
from companion_guard.reports import changes, triggers
from companion_guard.store.db import session_scope

log = logging.getLogger("companion_guard.reports")


def install(parts: Parts) -> Feature:
    """On start, record a new policy-pack or detector version and fire the triggers that are due."""
    return Feature(on_start=record_versions)


def record_versions(gateway: Gateway) -> None:
    """Record the pack and detector versions in force (A1, A3); log the assessment triggers now due."""
    guard = gateway.guard
    now = gateway.clock.now()
    with session_scope(gateway.sessions) as session:
        changes.record_versions(session, packs=list(guard.policy.packs), registry=guard.registry, at=now)
        for row in triggers.check(session, pack=guard.policy.primary, now=now):
            log.warning("assessment due (A1): %s", row.trigger)
