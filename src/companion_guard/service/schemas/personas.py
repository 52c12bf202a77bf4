"""Persona responses: ``PUT``/``GET``/``DELETE /v1/personas/{id}`` (the model list is in :mod:`.openai`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from companion_guard.service.schemas.common import LaxRelationship, ResponseModel


class PersonaView(ResponseModel):
    """A persona as the API shows it."""

    id: str
    display_name: str
    relationship: LaxRelationship
    system_prompt: str
    upstream_model: str
    kind: str = Field(description="What the persona is for (S1): `companion`, `customer_service`, `qa`, …")


class PersonaDeleted(ResponseModel):
    """A deleted persona."""

    id: str
    deleted: Literal[True]
