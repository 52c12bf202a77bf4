"""Every error leaves in OpenAI's error shape with the right status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from companion_guard.exceptions import (
    AccessDenied,
    CompanionGuardError,
    ConfigError,
    InputError,
    NotFoundError,
    StoreError,
    UpstreamError,
    UpstreamTimeout,
)
from companion_guard.service.schemas.openai import error_body

log = logging.getLogger(__name__)


class Forbidden(AccessDenied):
    """Valid credentials, but this role or subject may not do this (403)."""


class TooLarge(InputError):
    """The request or one of its texts is over the documented limit (413)."""


def error_status(exc: CompanionGuardError) -> tuple[int, str, str]:
    from companion_guard.service.ratelimit import RateLimited

    if isinstance(exc, RateLimited):
        return 429, "rate_limit_error", "rate_limit_exceeded"
    if isinstance(exc, Forbidden):
        return 403, "permission_error", "forbidden"
    if isinstance(exc, AccessDenied):
        return 401, "authentication_error", "invalid_api_key"
    if isinstance(exc, TooLarge):
        return 413, "invalid_request_error", "too_large"
    if isinstance(exc, InputError):
        return 400, "invalid_request_error", "invalid_request"
    if isinstance(exc, NotFoundError):
        return 404, "invalid_request_error", "not_found"
    if isinstance(exc, UpstreamTimeout):
        return 504, "upstream_error", "upstream_timeout"
    if isinstance(exc, UpstreamError):
        return 502, "upstream_error", "upstream_failed"
    if isinstance(exc, StoreError):
        return 503, "server_error", "store_unavailable"
    if isinstance(exc, ConfigError):
        return 500, "server_error", "config_error"
    return 500, "server_error", "internal_error"


def install_error_handlers(app: FastAPI) -> None:
    """Map our exceptions, validation errors and HTTP errors to OpenAI-shaped JSON."""

    @app.exception_handler(CompanionGuardError)
    async def _ours(_: Request, exc: CompanionGuardError) -> JSONResponse:
        status, type_, code = error_status(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 429:
            headers = {"Retry-After": str(max(1, round(getattr(exc, "retry_after", 1))))}
        return JSONResponse(error_body(str(exc), type_=type_, code=code), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = first.get("msg", "invalid request")
        if first.get("type") == "json_invalid":
            msg, where = "request body is not valid JSON", ""
        text = f"{where}: {msg}" if where else msg
        return JSONResponse(
            error_body(text, type_="invalid_request_error", code="invalid_request", param=where or None), 400
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return JSONResponse(
            error_body(str(exc.detail), type_=type_, code=str(exc.status_code)), exc.status_code
        )

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            error_body("internal error; the turn was not completed", type_="server_error"), 500
        )
