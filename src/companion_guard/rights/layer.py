"""The rights layer's shared parts: what its routes, pages and duty use (built by :mod:`.setup`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.rights.data_keys import DataKeys
from companion_guard.rights.flows import Flow, FlowRegistry


@dataclass(slots=True)
class Rights:
    """What the rights routes and duty share: the users' data keys, declared flows, the database."""

    data_keys: DataKeys
    flows: FlowRegistry
    upstream_flow: Flow
    sessions: sessionmaker[Session]
    engine: Engine
    clock: Clock
