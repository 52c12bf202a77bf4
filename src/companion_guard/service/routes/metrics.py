"""``GET /metrics``: Prometheus text format (no user data: counts, latencies, queue sizes)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from companion_guard.service.deps import ServicesDep

router = APIRouter(tags=["health"])


class PrometheusResponse(Response):
    """Prometheus' text exposition format, so the OpenAPI document names its media type."""

    media_type = CONTENT_TYPE_LATEST


@router.get("/metrics", response_class=PrometheusResponse)
async def metrics(svc: ServicesDep) -> PrometheusResponse:
    """Prometheus metrics: turns, stage latencies, signals, actions, notifications, outbox lag, pool."""
    # The outbox and pool gauges read the database: off the event loop.
    body = await anyio.to_thread.run_sync(svc.metrics.exposition)
    return PrometheusResponse(body)
