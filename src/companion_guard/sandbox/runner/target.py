"""The target: where the turns go, whether it is a companion-guard gateway or a bare model
endpoint, and the calls that set a gateway up for one scenario."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from companion_guard.exceptions import CompanionGuardError
from companion_guard.sandbox.profiles import persona_body, user_body
from companion_guard.sandbox.results import TargetKind
from companion_guard.sandbox.runner.clock import SandboxClock
from companion_guard.sandbox.scenario import Scenario
from companion_guard.sandbox.wire import short


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Where to send the turns and how.

    Attributes:
        url: base URL of the endpoint (with or without ``/v1``).
        key: API key sent as ``Authorization: Bearer``.
        kind: ``auto`` probes the target; ``gateway`` or ``bare`` force it.
        model: model name for a bare endpoint (default: the first of ``GET /v1/models``).
        timeout: seconds per HTTP request.
        stream: force streaming (True) or not (False) for every scenario; None follows each scenario.
        notify_timeout: seconds to wait at the end of a run for expected notifications to arrive.
    """

    url: str
    key: str | None = None
    kind: Literal["auto", "gateway", "bare"] = "auto"
    model: str | None = None
    timeout: float = 30.0
    stream: bool | None = None
    notify_timeout: float = 10.0

    @property
    def root(self) -> str:
        """The URL without a trailing ``/`` or ``/v1``."""
        root = self.url.rstrip("/")
        return root.removesuffix("/v1")


class RunError(CompanionGuardError):
    """The run cannot start: the target refused the credentials."""


class SetupFailed(Exception):
    """The gateway refused the simulated user, a persona or the clock."""


@asynccontextmanager
async def connect(
    target: TargetConfig, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the target, with its key."""
    headers = {"Authorization": f"Bearer {target.key}"} if target.key else {}
    async with httpx.AsyncClient(
        base_url=target.root, headers=headers, timeout=target.timeout, transport=transport
    ) as client:
        yield client


async def detect_kind(client: httpx.AsyncClient, target: TargetConfig, clock: SandboxClock) -> TargetKind:
    """Probe the sandbox clock; a gateway without it is found by its OpenAPI paths (and refused)."""
    if target.kind == "bare":
        return TargetKind.BARE
    answer = await clock.probe(client)
    if answer is not None and answer.status_code in (401, 403):
        raise RunError(
            f"{target.root} refused the API key ({answer.status_code}): pass the provider key with --key"
        )
    is_gateway = clock.available or target.kind == "gateway" or await has_user_routes(client)
    if is_gateway and not clock.available:
        # Test users, keys, contacts and a moved clock would land in that gateway's real database.
        raise RunError(
            f"{target.root} is a companion-guard gateway not started with --sandbox: red-teaming it "
            "would mix test users, keys and a moved clock into its database. Start one for the run: "
            "companion-guard serve --sandbox --home .redteam-home --port 8081"
        )
    return TargetKind.GATEWAY if is_gateway else TargetKind.BARE


async def has_user_routes(client: httpx.AsyncClient) -> bool:
    """The target's OpenAPI has companion-guard's user route."""
    try:
        answer = await client.get("/openapi.json")
        return answer.status_code == 200 and "/v1/users/{user_id}" in answer.json().get("paths", {})
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


async def first_model(client: httpx.AsyncClient) -> str:
    """The first model a bare endpoint lists, else ``default``."""
    try:
        data = (await client.get("/v1/models")).json().get("data") or []
        if data and isinstance(data[0], dict) and data[0].get("id"):
            return str(data[0]["id"])
    except (httpx.HTTPError, ValueError, AttributeError):
        pass
    return "default"


async def register(
    client: httpx.AsyncClient,
    scenario: Scenario,
    user_id: str,
    persona_ids: dict[str, str],
    hook: Callable[[str], str | None],
) -> None:
    """Register the simulated user and personas with the gateway; a refusal raises :class:`SetupFailed`."""
    body: dict[str, Any] = user_body(scenario, hook)
    answer = await client.put(f"/v1/users/{user_id}", json=body)
    if answer.status_code >= 300:
        raise SetupFailed(f"PUT /v1/users answered {answer.status_code}: {short(answer.text)}")
    for persona in scenario.personas:
        answer = await client.put(f"/v1/personas/{persona_ids[persona.key]}", json=persona_body(persona))
        if answer.status_code >= 300:
            raise SetupFailed(f"PUT /v1/personas answered {answer.status_code}: {short(answer.text)}")
