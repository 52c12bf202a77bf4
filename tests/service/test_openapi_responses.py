"""Every JSON route declares its response model, and real responses fit it (issue 17, item 6).

/openapi.json is what a provider's engineer generates a client from, so each JSON route
must describe its body, and the description must be true: the responses of one run
through every route are checked against the route's Pydantic model (no field left
undeclared) and against the schema served at /openapi.json.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from pydantic import BaseModel, TypeAdapter
from tests.conftest import PROVIDER_KEY, make_settings
from tests.rights.conftest import USER, add_role_keys

from companion_guard.service.app import create_app

#: JSON routes still without a response model, each with why; a test fails once one gets it.
PENDING: dict[tuple[str, str], str] = {}
#: JSON routes the sample run does not reach, each with where they are exercised.
NOT_SAMPLED = {
    ("POST", "/v1/users/{user_id}/transfer"): "needs a receiving platform: tests/rights/test_flows.py",
}
CRISIS = "我今晚就吃掉攒的所有安眠药 不想活了"


def _routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """(method, path) → the route as served, for every route in the OpenAPI document."""
    out: dict[tuple[str, str], Any] = {}
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute) and ctx.include_in_schema:
            for method in ctx.methods:
                out[(method, ctx.path)] = ctx
    return out


def _is_json(route: Any) -> bool:
    cls = route.response_class
    return isinstance(cls, DefaultPlaceholder) or issubclass(cls, JSONResponse)


def _is_model(annotation: Any) -> bool:
    """A Pydantic model, or a union of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(_is_model(a) for a in typing.get_args(annotation))
    return False


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(make_settings(tmp_path), run_outbox=False)


def test_every_json_route_declares_a_response_model(app: FastAPI) -> None:
    routes = _routes(app)
    assert len(routes) > 60
    missing = {
        key for key, route in routes.items() if _is_json(route) and not _is_model(route.response_model)
    }
    assert missing == set(PENDING), f"JSON routes without a response model: {sorted(missing - set(PENDING))}"
    others = {key: route.response_class for key, route in routes.items() if not _is_json(route)}
    assert others, "the metrics route answers Prometheus text"
    for key, cls in others.items():
        assert cls.media_type and "json" not in cls.media_type, f"{key} names no media type"


def test_the_openapi_document_describes_every_json_body(app: FastAPI) -> None:
    spec = TestClient(app).get("/openapi.json").json()
    vague = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if (method.upper(), path) in PENDING:
                continue
            for status, response in op["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if (
                    status.startswith("2")
                    and schema is not None
                    and "$ref" not in schema
                    and "anyOf" not in schema
                ):
                    vague.append(f"{method.upper()} {path} {status}: {schema}")
    assert vague == []
    assert "text/event-stream" in spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]


# ---- real responses -----------------------------------------------------------------------


def _undeclared(value: Any, where: str = "body") -> list[str]:
    """Keys a response carries that its model does not name (they would be missing from the schema)."""
    if isinstance(value, BaseModel):
        found = [f"{where}.{k}" for k in value.model_extra or {}]
        for name in type(value).model_fields:
            found += _undeclared(getattr(value, name), f"{where}.{name}")
        return found
    if isinstance(value, list):
        return [w for i, v in enumerate(value) for w in _undeclared(v, f"{where}[{i}]")]
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in _undeclared(v, f"{where}[{k!r}]")]
    return []


@dataclass
class Api:
    """Calls routes by their OpenAPI path and checks each JSON answer against what the route declares."""

    client: TestClient
    routes: dict[tuple[str, str], Any]
    spec: dict[str, Any]
    keys: dict[str, str]
    sampled: set[tuple[str, str]] = field(default_factory=set)

    def __call__(
        self,
        method: str,
        template: str,
        *,
        role: str | None = "provider",
        status: int = 200,
        path: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        auth = {"Authorization": f"Bearer {self.keys[role]}" if role else ""}
        url = template.format(**(path or {}))
        resp = self.client.request(method, url, headers={**auth, **(headers or {})}, **kwargs)
        assert resp.status_code == status, f"{method} {template}: {resp.status_code} {resp.text[:400]}"
        body = resp.json()
        route = self.routes[(method, template)]
        value = TypeAdapter(route.response_model).validate_python(body)
        assert _undeclared(value) == [], f"{method} {template} answers fields its model does not declare"
        schema = self.spec["paths"][template][method.lower()]["responses"][str(status)]["content"][
            "application/json"
        ]
        validator = Draft202012Validator(
            {**schema["schema"], "components": self.spec["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert errors == [], f"{method} {template} does not match /openapi.json: {errors[:5]}"
        self.sampled.add((method, template))
        return body


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app, headers={"Authorization": f"Bearer {PROVIDER_KEY}"}) as client:
        keys = add_role_keys(app)
        yield Api(client, _routes(app), client.get("/openapi.json").json(), keys)


def _gateway(api: Api) -> None:
    api("GET", "/healthz", role=None)
    api("GET", "/readyz", role=None)
    api("GET", "/v1/models")
    api(
        "PUT",
        "/v1/personas/{persona_id}",
        path={"persona_id": "p-doc"},
        json={"display_name": "文档", "relationship": "mentor"},
    )
    api("GET", "/v1/personas/{persona_id}", path={"persona_id": "p-doc"})
    api("DELETE", "/v1/personas/{persona_id}", path={"persona_id": "p-doc"})
    contact = {"name": "王芳", "email": "fang@example.com", "locale": "zh-CN"}
    api(
        "PUT",
        "/v1/users/{user_id}",
        path={"user_id": USER},
        json={"age": 30, "emergency_contact": contact, "name": "爱丽丝"},
    )
    api(
        "PUT",
        "/v1/users/{user_id}",
        path={"user_id": "u-grandpa"},
        json={"birth_date": "1950-03-01", "mode": "elderly"},
    )
    api("GET", "/v1/users/{user_id}", path={"user_id": USER})
    api("GET", "/v1/sandbox/clock")
    api("POST", "/v1/sandbox/clock", json={"advance_seconds": 60})
    for text in ("你好，今天过得怎么样？", CRISIS):
        body = {"model": "xiaoyu", "user": USER, "messages": [{"role": "user", "content": text}]}
        api("POST", "/v1/chat/completions", json=body)
    api("GET", "/v1/safety-tips", params={"user": USER})


def _guardians(api: Api) -> None:
    api("PUT", "/v1/users/{user_id}", path={"user_id": "u-kid"}, json={"age": 12, "locale": "zh-CN"})
    ward = {"user_id": "u-kid"}
    code = api("POST", "/v1/users/{user_id}/guardian/invite", path=ward)["code"]
    given = api(
        "POST",
        "/v1/guardian/consent",
        role=None,
        json={"code": code, "guardian": {"email": "mum@example.com"}},
    )
    api.keys["mum"] = given["token"]
    api("GET", "/v1/guardian/wards", role="mum")
    api("GET", "/v1/guardian/wards/{user_id}", role="mum", path=ward)
    api(
        "PUT",
        "/v1/guardian/wards/{user_id}/blocked-personas",
        role="mum",
        path=ward,
        json={"personas": ["linshen"]},
    )
    api("GET", "/v1/guardian/wards/{user_id}/blocked-personas", role="mum", path=ward)
    cap = {"per_payment": "50", "per_month": "200", "currency": "CNY"}
    api("PUT", "/v1/guardian/wards/{user_id}/spending-cap", role="mum", path=ward, json=cap)
    api("GET", "/v1/guardian/wards/{user_id}/spending-cap", role="mum", path=ward)
    minor = {"enabled": True, "daily_limit_minutes": 45, "quiet_hours": {"start": "21:30", "end": "07:00"}}
    api("PUT", "/v1/guardian/wards/{user_id}/minor-mode", role="mum", path=ward, json=minor)
    api("GET", "/v1/users/{user_id}", path=ward)
    api(
        "POST",
        "/v1/chat/completions",
        json={"model": "xiaoyu", "user": "u-kid", "messages": [{"role": "user", "content": "我好难过"}]},
    )
    for amount in ("20", "500"):
        api("POST", "/v1/wallet/authorize", json={"user": "u-kid", "amount": amount, "currency": "CNY"})
    api("GET", "/v1/guardian/wards/{user_id}/alerts", role="mum", path=ward)
    api("GET", "/v1/guardian/wards/{user_id}/usage", role="mum", path=ward, params={"days": 3})
    api("DELETE", "/v1/guardian/consent", role="mum", params={"user": "u-kid"})


def _help_cases(api: Api) -> None:
    crisis = {"queue": "crisis"}
    cases = api("GET", "/v1/help-cases", role="operator", params=crisis)["cases"]
    assert cases, "the crisis turn opened a case"
    case = {"case_id": cases[0]["id"]}
    api("GET", "/v1/help-cases/{case_id}", role="operator", path=case)
    api(
        "POST",
        "/v1/help-cases/{case_id}/respond",
        role="operator",
        path=case,
        json={"note": "已致电用户，情况稳定"},
    )
    api("GET", "/v1/help-cases/stats", role="operator", params=crisis)
    api("GET", "/v1/help-cases/stats", role="operator")


def _rights(api: Api) -> None:
    me = {"user_id": USER}
    api("GET", "/v1/users/{user_id}/export", role="user", path=me)
    api("POST", "/v1/users/{user_id}/portal-link", path=me)
    consent = api(
        "POST",
        "/v1/users/{user_id}/consents",
        role="user",
        path=me,
        status=201,
        json={"purpose": "third_party_sharing", "recipient": "partner.example.com"},
    )
    api("GET", "/v1/users/{user_id}/consents", role="user", path=me)
    api(
        "DELETE",
        "/v1/users/{user_id}/consents/{consent_id}",
        role="user",
        path={**me, "consent_id": consent["id"]},
    )
    api("GET", "/v1/users/{user_id}/flows", role="user", path=me)
    filed = api(
        "POST",
        "/v1/complaints",
        role=None,
        status=201,
        json={
            "kind": "report",
            "subject": "不当回复",
            "body": "角色说了让人不舒服的话",
            "contact": "anon@example.com",
        },
    )
    api(
        "GET",
        "/v1/complaints/{complaint_id}",
        role=None,
        path={"complaint_id": filed["id"]},
        headers={"X-Complaint-Token": filed["token"]},
    )
    own = api(
        "POST",
        "/v1/complaints",
        role="user",
        status=201,
        json={"kind": "appeal", "subject": "账号受限", "body": "我没有违规"},
    )
    api("GET", "/v1/users/{user_id}/complaints", role="user", path=me)
    api("GET", "/v1/complaints/{complaint_id}", role="auditor", path={"complaint_id": own["id"]})
    api(
        "PATCH",
        "/v1/operator/complaints/{complaint_id}",
        role="operator",
        path={"complaint_id": own["id"]},
        json={"status": "answered", "answer": "已复核，限制已解除"},
    )
    api("GET", "/v1/operator/complaints", role="auditor")
    api("GET", "/v1/operator/complaints/stats", role="operator")
    api(
        "DELETE",
        "/v1/users/{user_id}/conversations/{persona_id}",
        role="user",
        path={**me, "persona_id": "xiaoyu"},
    )
    api("POST", "/v1/users/{user_id}/quit", role="user", path=me, json={"delete_data": False})
    api("POST", "/v1/users/{user_id}/reopen", path=me)  # quitting dropped the user's own keys
    api("DELETE", "/v1/users/{user_id}/data", path={"user_id": "u-grandpa"})


def _operators(api: Api) -> None:
    op = {"role": "operator"}
    api(
        "GET",
        "/v1/operator/users/{user_id}/messages",
        **op,
        path={"user_id": "u-kid"},
        params={"reason": "复核一次危机转介的处理"},
    )
    incident = api(
        "POST",
        "/v1/operator/incidents",
        **op,
        status=201,
        json={"title": "回复异常", "severity": "high", "note": "多名用户投诉"},
    )
    ref = {"incident_id": incident["id"]}
    api(
        "POST",
        "/v1/operator/incidents/{incident_id}/events",
        **op,
        path=ref,
        json={"note": "已限制角色", "status": "mitigated"},
    )
    api("GET", "/v1/operator/incidents/{incident_id}", role="auditor", path=ref)
    api("GET", "/v1/operator/incidents", role="auditor")
    body = {
        "kind": "persona",
        "persona_id": "linshen",
        "reason": "调查期间暂停该角色",
        "incident_id": incident["id"],
    }
    restriction = api("POST", "/v1/operator/restrictions", **op, status=201, json=body)
    api("GET", "/v1/operator/restrictions", role="auditor", params={"active": True})
    api(
        "DELETE",
        "/v1/operator/restrictions/{restriction_id}",
        **op,
        path={"restriction_id": restriction["id"]},
    )
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    api(
        "POST",
        "/v1/operator/users/{user_id}/suspend",
        **op,
        status=201,
        path={"user_id": "u-kid"},
        json={"reason": "多次违规，暂停服务", "until": until},
    )
    api(
        "POST",
        "/v1/operator/users/{user_id}/unsuspend",
        **op,
        path={"user_id": "u-kid"},
        json={"reason": "监护人申诉后恢复"},
    )
    api("GET", "/v1/operator/kill-switch", role="auditor")
    api(
        "PUT",
        "/v1/operator/kill-switch",
        **op,
        json={"engaged": True, "reason": "上游模型异常", "incident_id": incident["id"]},
    )
    api("PUT", "/v1/operator/kill-switch", **op, json={"engaged": False, "reason": "上游已恢复"})
    ends = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    notice = api(
        "POST",
        "/v1/operator/notices",
        **op,
        status=201,
        json={"scope": "persona", "persona_id": "mimi", "ends_at": ends},
    )
    api("GET", "/v1/notices", role=None)
    api("GET", "/v1/operator/notices", role="auditor")
    api("DELETE", "/v1/operator/notices/{notice_id}", **op, path={"notice_id": notice["id"]})
    api("GET", "/v1/operator/flows", role="auditor")
    api("GET", "/v1/audit", role="auditor")
    api("GET", "/v1/audit/verify", role="auditor")
    api(
        "POST",
        "/v1/operator/changes",
        **op,
        status=201,
        json={"kind": "major_change", "title": "更换上游模型"},
    )
    api("GET", "/v1/operator/assessment", role="auditor")
    api("GET", "/v1/operator/assessment/report", role="auditor")


@pytest.mark.slow
def test_real_responses_match_the_declared_models_and_schema(api: Api) -> None:
    _gateway(api)
    _guardians(api)
    _help_cases(api)
    _rights(api)
    _operators(api)
    json_routes = {key for key, route in api.routes.items() if _is_json(route)}
    assert json_routes - api.sampled == set(NOT_SAMPLED)
