"""Start-up hook: record pack and detector versions in force (A1, A3) and count users once."""

from __future__ import annotations

import logging
from typing import Any

from companion_guard.reports import changes, triggers
from companion_guard.store.db import session_scope

log = logging.getLogger("companion_guard.reports")


def install(svc: Any) -> None:
    """Record a new policy-pack or detector version and fire the triggers that are due."""
    guard = svc.guard
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        changes.record_versions(session, packs=list(guard.policy.packs), registry=guard.registry, at=now)
        for row in triggers.check(session, pack=guard.policy.primary, now=now):
            log.warning("assessment due (A1): %s", row.trigger)
