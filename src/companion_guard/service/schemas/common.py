"""What every response model shares: a lenient-to-extras, strict-on-types base and the wire types.

The routes build plain dicts (the web pages call the same functions); a response model only
describes and checks them. So serialising through it must give back the very JSON the route
built: :class:`ResponseModel` is strict (no ``5 → 5.0``, ``True → 1`` or string → datetime
coercion) and keeps keys it does not name, and :class:`ModelRoute` leaves out the keys the
route did not set instead of filling in defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, WithJsonSchema

from companion_guard.types import Relationship


class ResponseModel(BaseModel):
    """Base of every response body: strict types; extra keys kept, not refused (routes add optional ones)."""

    model_config = ConfigDict(extra="allow", strict=True)


class ModelRoute(APIRoute):
    """An API route whose response model writes only the keys the route returned (``exclude_unset``)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **kwargs)


def _aware_time(value: str) -> str:
    if datetime.fromisoformat(value).tzinfo is None:  # also raises ValueError on anything but ISO 8601
        raise ValueError("an ISO 8601 time with its offset (Z or +hh:mm) was expected")
    return value


def _iso_time(value: str) -> str:
    datetime.fromisoformat(value)
    return value


def _iso_date(value: str) -> str:
    date.fromisoformat(value)
    return value


#: An RFC 3339 time as the route wrote it (``…Z`` or ``+00:00``), kept verbatim.
IsoTime = Annotated[
    str, AfterValidator(_aware_time), WithJsonSchema({"type": "string", "format": "date-time"})
]
#: An ISO 8601 time in UTC whose offset may be missing: a stored (naive UTC) time, written as read.
UtcTime = Annotated[
    str,
    AfterValidator(_iso_time),
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 8601 time in UTC; without an offset when read back from the store.",
            "examples": ["2026-05-01T08:30:00", "2026-05-01T08:30:00+00:00"],
        }
    ),
]
#: An ISO-8601 calendar date (``2026-05-01``).
IsoDate = Annotated[str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
#: A JSON number that stays an integer when the route computed one (seconds, minutes, scores).
Number = Annotated[StrictInt | StrictFloat, WithJsonSchema({"type": "number"})]


#: A persona's relationship as stored (plain text), shown as the enum it is.
LaxRelationship = Annotated[Relationship, Field(strict=False)]


class Bilingual(ResponseModel):
    """A text in Chinese (the product's first language) and English."""

    zh: str
    en: str
