"""The HTTP gateway (FastAPI) over the Guard pipeline."""

from companion_guard.service.app import build_services, create_app

__all__ = ["build_services", "create_app"]
