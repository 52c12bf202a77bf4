"""Wires the data-rights layer into a gateway (``STARTUP_HOOKS`` calls :func:`install`).

It loads the master key (creating the embedded default's key file on first
start), installs the encrypting field codec, declares the outbound flows and puts
the :class:`~companion_guard.rights.duty.RightsDuty` first in the pipeline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from companion_guard.clock import Clock
from companion_guard.exceptions import ConfigError
from companion_guard.rights.crypto import MasterKeyRing, load_master_keyring
from companion_guard.rights.flows import TRANSFER, Flow, FlowRegistry, upstream_flow
from companion_guard.rights.keys import EncryptingCodec, UserKeys
from companion_guard.store import repositories

if TYPE_CHECKING:
    from companion_guard.service.deps import Services

#: Hosts a user may transfer their export to (comma-separated ``host[:port]``), each a declared third party.
ENV_TRANSFER_RECIPIENTS = "COMPANION_GUARD_TRANSFER_RECIPIENTS"
#: ``true``/``false``: whether the upstream LLM is a third party (default: guessed from its host).
ENV_UPSTREAM_THIRD_PARTY = "COMPANION_GUARD_UPSTREAM_THIRD_PARTY"
KEY_FILE_NAME = "master.key"


@dataclass(slots=True)
class Rights:
    """What the rights routes and duty share: keys, declared flows, the database."""

    keys: UserKeys
    flows: FlowRegistry
    upstream_flow: Flow
    sessions: sessionmaker[Session]
    engine: Engine
    clock: Clock


def _bool_env(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def declared_flows(
    upstream: str, *, third_party: bool | None = None, transfer_recipients: str | None = None
) -> tuple[Flow, FlowRegistry]:
    """The upstream flow and the registry of every flow, from settings (the environment when not given)."""
    if third_party is None:
        third_party = _bool_env(ENV_UPSTREAM_THIRD_PARTY)
    if transfer_recipients is None:
        transfer_recipients = os.environ.get(ENV_TRANSFER_RECIPIENTS, "")
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


def build_rights(
    *,
    master: MasterKeyRing,
    upstream: str,
    sessions: sessionmaker[Session],
    engine: Engine,
    clock: Clock,
    settings: Any = None,
) -> Rights:
    """Build the rights layer (without touching the gateway); flows from ``settings`` when given."""
    if settings is not None:
        up, registry = declared_flows(
            upstream,
            third_party=settings.upstream_third_party,
            transfer_recipients=settings.transfer_recipients,
        )
    else:
        up, registry = declared_flows(upstream)
    return Rights(UserKeys(master, clock=clock), registry, up, sessions, engine, clock)


def install(svc: Services) -> Rights:
    """Startup hook: master key, encrypting codec, flows, and the rights duty first in the pipeline."""
    from companion_guard.rights.duty import RightsDuty

    # Every setting through Settings (COMPANION_GUARD_* variables, CLI flags, tests' overrides).
    master = load_master_keyring(key_file=Path(svc.settings.home) / KEY_FILE_NAME, env=svc.settings.key_env())
    rights = build_rights(
        master=master,
        upstream=svc.settings.upstream,
        sessions=svc.sessions,
        engine=svc.engine,
        clock=svc.clock,
        settings=svc.settings,
    )
    repositories.set_codec(EncryptingCodec(rights.keys))
    svc.guard.duties.insert(0, RightsDuty(rights))
    svc.extras["rights"] = rights
    return rights


def rights_of(svc: Services | Any) -> Rights:
    """The installed rights layer of a running gateway."""
    rights = svc.extras.get("rights")
    if rights is None:
        raise ConfigError("the data-rights layer is not installed (companion_guard.rights.setup:install)")
    return rights  # type: ignore[no-any-return]
