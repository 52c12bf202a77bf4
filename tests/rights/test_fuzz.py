"""D1/D3/D4/D5: schema-driven fuzzing of the whole OpenAPI surface finds no 500s.

Schemathesis generates requests from the served OpenAPI schema (hypothesis
underneath) and sends them over real HTTP to a uvicorn server. Each operation
is called with the key of a role that may use it, so the fuzz reaches the
handlers instead of bouncing off the access check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from tests.conftest import make_settings, start_server  # noqa: E402
from tests.rights.conftest import add_role_keys  # noqa: E402
from tests.rights.test_roles import ACCESS, PUBLIC  # noqa: E402

_ROLE_ORDER = ("provider", "operator", "auditor", "guardian", "user")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from companion_guard.service.app import create_app

    app = create_app(make_settings(Path(tmp_path_factory.mktemp("fuzz"))), run_outbox=False)
    server = start_server(app)
    try:
        yield {"base_url": server.base_url, "keys": add_role_keys(app)}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(served: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{served['base_url']}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


def _key_for(method: str, path: str, keys: dict[str, str]) -> dict[str, str]:
    allowed, _ = ACCESS.get((method.upper(), path), (frozenset({"provider"}), False))
    if allowed in (PUBLIC, "code"):
        return {}
    role = next(r for r in _ROLE_ORDER if r in allowed)
    return {"Authorization": f"Bearer {keys[role]}"}


@pytest.mark.slow
@pytest.mark.req("D1", "D3", "D4", "D5")
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: Any, served: dict[str, Any]) -> None:
    headers = _key_for(case.operation.method, case.operation.path, served["keys"])
    response = case.call(base_url=served["base_url"], headers=headers, timeout=30)
    assert response.status_code < 500, (
        f"{case.operation.method.upper()} {case.operation.path} → {response.status_code}: {response.text[:300]}"
    )


@pytest.mark.req("D4", "M2")
def test_an_implausible_birth_date_is_refused_not_a_server_error(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from tests.conftest import PROVIDER_KEY, make_settings

    from companion_guard.service.app import create_app

    with TestClient(
        create_app(make_settings(tmp_path)), headers={"Authorization": f"Bearer {PROVIDER_KEY}"}
    ) as c:
        for bad in ("1870-01-01", "2999-01-01"):
            resp = c.put("/v1/users/u-old", json={"birth_date": bad})
            assert resp.status_code == 400 and "birth_date" in resp.text, resp.text
        assert c.put("/v1/users/u-old", json={"birth_date": "1950-06-01"}).status_code == 200
