"""Personas: ``GET /v1/models`` (OpenAI-style) and ``PUT``/``GET /v1/personas/{id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from companion_guard.exceptions import NotFoundError
from companion_guard.service.auth import Principal
from companion_guard.service.deps import ProviderDep, ServicesDep, require
from companion_guard.service.schemas.common import ModelRoute
from companion_guard.service.schemas.openai import ModelList
from companion_guard.service.schemas.personas import PersonaDeleted, PersonaView
from companion_guard.service.schemas.users import PersonaUpdate
from companion_guard.store import repositories as repo
from companion_guard.store.db import session_scope
from companion_guard.store.tables import Persona

router = APIRouter(tags=["personas"], route_class=ModelRoute)
StaffDep = Annotated[Principal, Depends(require("operator", "provider"))]

PersonaId = Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")


def persona_view(p: Persona) -> dict[str, Any]:
    """A persona as the API shows it."""
    return {
        "id": p.id,
        "display_name": p.display_name,
        "relationship": p.relationship,
        "system_prompt": p.system_prompt,
        "upstream_model": p.upstream_model,
        "kind": p.kind or "companion",
    }


@router.get("/v1/models", response_model=ModelList)
def list_models(svc: ServicesDep, _: ProviderDep) -> dict[str, Any]:
    """Personas in OpenAI's model-list shape."""
    with session_scope(svc.sessions) as session:
        personas = repo.list_personas(session)
    return {
        "object": "list",
        "data": [
            {
                "id": p.id,
                "object": "model",
                "created": int(p.created_at.timestamp()),
                "owned_by": "companion-guard",
                "display_name": p.display_name,
                "relationship": p.relationship,
            }
            for p in personas
        ],
    }


@router.put("/v1/personas/{persona_id}", response_model=PersonaView)
def put_persona(
    body: PersonaUpdate, svc: ServicesDep, _: ProviderDep, persona_id: str = PersonaId
) -> dict[str, Any]:
    """Create or replace a persona."""
    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        p = repo.get_persona(session, persona_id)
        if p is None:
            p = Persona(id=persona_id, created_at=now, display_name=body.display_name)
            session.add(p)
        p.display_name, p.relationship = body.display_name, body.relationship.value
        p.system_prompt, p.upstream_model, p.updated_at = body.system_prompt, body.upstream_model, now
        p.kind = body.kind
        view = persona_view(p)
    svc.guard.forget_persona(persona_id)
    return view


@router.get("/v1/personas/{persona_id}", response_model=PersonaView)
def get_persona(svc: ServicesDep, _: ProviderDep, persona_id: str = PersonaId) -> dict[str, Any]:
    """One persona."""
    with session_scope(svc.sessions) as session:
        p = repo.get_persona(session, persona_id)
        if p is None:
            raise NotFoundError(f"unknown persona {persona_id!r}")
        return persona_view(p)


@router.delete("/v1/personas/{persona_id}", response_model=PersonaDeleted)
def delete_persona(svc: ServicesDep, caller: StaffDep, persona_id: str = PersonaId) -> dict[str, Any]:
    """Delete a persona (operators and the provider); its past turns stay, new turns get 404. Audited."""
    from companion_guard.rights import audit

    now = svc.clock.now()
    with session_scope(svc.sessions) as session:
        p = repo.get_persona(session, persona_id)
        if p is None:
            raise NotFoundError(f"unknown persona {persona_id!r}")
        session.delete(p)
        audit.append(
            session,
            actor=(caller.role, caller.subject or f"key:{caller.key_id}"),
            action="persona.delete",
            at=now,
            target=persona_id,
            details={"display_name": p.display_name},
        )
    svc.guard.forget_persona(persona_id)
    return {"id": persona_id, "deleted": True}
