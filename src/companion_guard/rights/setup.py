"""Builds the data-rights layer of a gateway (:func:`companion_guard.assembly.build_guard` calls it).

It loads the master key (creating the embedded default's key file on first start),
puts the encrypting field codec on the gateway's sessions and declares the outbound
flows, the upstream's as that upstream object declares it (D3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.exceptions import ConfigError
from companion_guard.rights.data_keys import DataKeys, EncryptingCodec
from companion_guard.rights.flows import TRANSFER, Flow, FlowRegistry, upstream_flow
from companion_guard.rights.layer import Rights
from companion_guard.rights.master_key_loading import load_master_keyring
from companion_guard.settings import Settings
from companion_guard.store import repositories
from companion_guard.upstream.base import Upstream

KEY_FILE_NAME = "master.key"


def declared_flows(
    upstream: str, *, third_party: bool | None = None, transfer_recipients: str = ""
) -> tuple[Flow, FlowRegistry]:
    """The upstream flow and the registry of every flow (``Settings.upstream_third_party``,
    ``Settings.transfer_recipients``: comma-separated hosts a user may transfer an export to)."""
    up = upstream_flow(upstream, third_party=third_party)
    registry = FlowRegistry((up,))
    registry.declare(
        Flow(
            "notify.webhook",
            "emergency-contact and guardian webhooks",
            False,
            True,
            "Safety notifications: masked recipient, no message content.",
        )
    )
    for host in filter(None, (h.strip().lower() for h in transfer_recipients.split(","))):
        registry.declare(
            Flow(TRANSFER, host, True, True, "A user's export sent to another platform at their request.")
        )
    return up, registry


def install_rights(
    settings: Settings,
    *,
    sessions: sessionmaker[Session],
    engine: Engine,
    clock: Clock,
    upstream: Upstream,
) -> Rights:
    """Master key, the encrypting codec on ``sessions``, and the declared flows (fail closed)."""
    if not upstream.destination:
        raise ConfigError(
            f"upstream {type(upstream).__name__} does not declare where it sends messages "
            "(set its `destination`: 'in-process:<name>' or its endpoint URL) — needed for D3"
        )
    # Every setting through Settings (COMPANION_GUARD_* variables, CLI flags, tests' overrides).
    master = load_master_keyring(key_file=Path(settings.home) / KEY_FILE_NAME, env=settings.key_env())
    up, registry = declared_flows(
        upstream.destination,
        third_party=settings.upstream_third_party,
        transfer_recipients=settings.transfer_recipients,
    )
    rights = Rights(DataKeys(master, clock=clock), registry, up, sessions, engine, clock)
    repositories.install_codec(sessions, EncryptingCodec(rights.data_keys))
    return rights


def rights_of(svc: Any) -> Rights:
    """The rights layer of a running gateway (its services or its :class:`~companion_guard.assembly.Gateway`)."""
    rights = getattr(svc, "rights", None)
    if not isinstance(rights, Rights):
        raise ConfigError("the data-rights layer is not installed (companion_guard.assembly.build_guard)")
    return rights
