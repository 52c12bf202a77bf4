"""D1/D3: every route, every role, and no credentials: the right 2xx, or 401/403.

The table below names who may call each route. A route missing from it fails
the test, so new routes must say who reaches them. Data-rights and operator
routes must answer 2xx to every allowed role; other features' routes must at
least not refuse an allowed role or fail with a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_settings
from tests.receivers import WebhookReceiver
from tests.rights.conftest import USER, WARD, Gateway, start_gateway, turn

P, O, A, G, U = "provider", "operator", "auditor", "guardian", "user"  # noqa: E741
ROLES = (P, O, A, G, U)
PUBLIC = "public"  # no credentials needed
SUBJECT = frozenset({P, G, U})
CRISIS = "我今晚就吃掉攒的所有安眠药 不想活了"
STAFF_READ = frozenset({O, A})

#: (method, path) → (roles allowed, strict?). Strict routes answer 2xx to allowed roles.
ACCESS: dict[tuple[str, str], tuple[frozenset[str] | str, bool]] = {
    # gateway (issue 2)
    ("POST", "/v1/chat/completions"): (frozenset({P}), False),
    ("GET", "/v1/models"): (frozenset({P}), False),
    ("PUT", "/v1/personas/{persona_id}"): (frozenset({P}), False),
    ("GET", "/v1/personas/{persona_id}"): (frozenset({P}), False),
    ("DELETE", "/v1/personas/{persona_id}"): (frozenset({P, O}), False),
    ("GET", "/metrics"): (PUBLIC, False),
    ("PUT", "/v1/users/{user_id}"): (frozenset({P}), False),
    ("GET", "/v1/users/{user_id}"): (frozenset({P}), False),
    ("GET", "/healthz"): (PUBLIC, False),
    ("GET", "/readyz"): (PUBLIC, False),
    ("GET", "/v1/sandbox/clock"): (frozenset({P}), False),
    ("POST", "/v1/sandbox/clock"): (frozenset({P}), False),
    # guardians (M2, M4, E1)
    ("POST", "/v1/users/{user_id}/guardian/invite"): (frozenset({P}), False),
    ("POST", "/v1/guardian/consent"): ("code", False),
    ("DELETE", "/v1/guardian/consent"): (frozenset({P, O, G}), False),
    ("GET", "/v1/guardian/wards"): (frozenset({G}), False),
    ("GET", "/v1/guardian/wards/{user_id}"): (frozenset({G}), False),
    ("GET", "/v1/guardian/wards/{user_id}/alerts"): (frozenset({G}), False),
    ("GET", "/v1/guardian/wards/{user_id}/usage"): (frozenset({G}), False),
    ("PUT", "/v1/guardian/wards/{user_id}/blocked-personas"): (frozenset({G}), False),
    ("GET", "/v1/guardian/wards/{user_id}/blocked-personas"): (frozenset({G}), False),
    ("PUT", "/v1/guardian/wards/{user_id}/spending-cap"): (frozenset({G}), False),
    ("GET", "/v1/guardian/wards/{user_id}/spending-cap"): (frozenset({G}), False),
    ("PUT", "/v1/guardian/wards/{user_id}/minor-mode"): (frozenset({G}), False),
    ("POST", "/v1/wallet/authorize"): (frozenset({P}), False),
    # help cases (I2, E1): operators and the provider's staff read and answer them; users and guardians may not
    ("GET", "/v1/help-cases"): (frozenset({O, P}), True),
    ("GET", "/v1/help-cases/{case_id}"): (frozenset({O, P}), True),
    ("POST", "/v1/help-cases/{case_id}/respond"): (frozenset({O, P}), True),
    ("GET", "/v1/help-cases/stats"): (frozenset({O, P}), True),
    # data rights (D3, D4)
    ("GET", "/v1/users/{user_id}/export"): (SUBJECT, True),
    ("DELETE", "/v1/users/{user_id}/data"): (SUBJECT, True),
    ("DELETE", "/v1/users/{user_id}/conversations/{persona_id}"): (SUBJECT, True),
    ("POST", "/v1/users/{user_id}/reopen"): (SUBJECT, True),
    ("POST", "/v1/users/{user_id}/quit"): (SUBJECT, True),
    ("GET", "/v1/users/{user_id}/consents"): (SUBJECT, True),
    ("POST", "/v1/users/{user_id}/consents"): (SUBJECT, True),
    ("DELETE", "/v1/users/{user_id}/consents/{consent_id}"): (SUBJECT, True),
    ("GET", "/v1/users/{user_id}/flows"): (SUBJECT, True),
    ("POST", "/v1/users/{user_id}/transfer"): (SUBJECT, True),
    ("POST", "/v1/complaints"): (frozenset({PUBLIC, P, G, U}), True),
    ("GET", "/v1/complaints/{complaint_id}"): (frozenset(ROLES), True),
    ("GET", "/v1/users/{user_id}/complaints"): (SUBJECT, True),
    ("POST", "/v1/users/{user_id}/portal-link"): (frozenset({P}), True),  # the /me page's signed link (web)
    ("GET", "/v1/notices"): (PUBLIC, True),
    # operators and auditors (D1, D5)
    ("GET", "/v1/operator/users/{user_id}/messages"): (frozenset({O}), True),
    ("POST", "/v1/operator/restrictions"): (frozenset({O}), True),
    ("GET", "/v1/operator/restrictions"): (STAFF_READ, True),
    ("DELETE", "/v1/operator/restrictions/{restriction_id}"): (frozenset({O}), True),
    ("POST", "/v1/operator/users/{user_id}/suspend"): (frozenset({O}), True),
    ("POST", "/v1/operator/users/{user_id}/unsuspend"): (frozenset({O}), True),
    ("GET", "/v1/operator/kill-switch"): (STAFF_READ, True),
    ("PUT", "/v1/operator/kill-switch"): (frozenset({O}), True),
    ("POST", "/v1/operator/notices"): (frozenset({O}), True),
    ("GET", "/v1/operator/notices"): (STAFF_READ, True),
    ("DELETE", "/v1/operator/notices/{notice_id}"): (frozenset({O}), True),
    ("GET", "/v1/operator/incidents"): (STAFF_READ, True),
    ("POST", "/v1/operator/incidents"): (frozenset({O}), True),
    ("GET", "/v1/operator/incidents/{incident_id}"): (STAFF_READ, True),
    ("POST", "/v1/operator/incidents/{incident_id}/events"): (frozenset({O}), True),
    ("GET", "/v1/operator/complaints"): (STAFF_READ, True),
    ("GET", "/v1/operator/complaints/stats"): (STAFF_READ, True),
    ("PATCH", "/v1/operator/complaints/{complaint_id}"): (frozenset({O}), True),
    ("GET", "/v1/operator/flows"): (STAFF_READ, True),
    ("GET", "/v1/audit"): (frozenset({A}), True),
    ("GET", "/v1/audit/verify"): (frozenset({A}), True),
    # compliance (A1, A2, X2; issue 15)
    ("GET", "/v1/safety-tips"): (frozenset({P}), True),
    ("POST", "/v1/operator/changes"): (frozenset({O}), True),
    ("GET", "/v1/operator/assessment"): (STAFF_READ, True),
    ("GET", "/v1/operator/assessment/report"): (STAFF_READ, True),
}

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/chat/completions"): {
        "model": "mimi",
        "user": "u-matrix",
        "messages": [{"role": "user", "content": "hi"}],
    },
    ("PUT", "/v1/personas/{persona_id}"): {"display_name": "Mimi", "relationship": "pet"},
    ("PUT", "/v1/users/{user_id}"): {"age": 30},
    ("POST", "/v1/sandbox/clock"): {"advance_seconds": 1},
    ("POST", "/v1/guardian/consent"): {"code": "WRONG-CODE", "scope": "full"},
    ("POST", "/v1/users/{user_id}/consents"): {"recipient": "matrix.example"},
    ("POST", "/v1/complaints"): {"kind": "complaint", "subject": "s", "body": "b"},
    ("POST", "/v1/operator/restrictions"): {"kind": "topups", "user_id": "u-x", "reason": "matrix test"},
    ("POST", "/v1/operator/users/{user_id}/suspend"): {"reason": "matrix test"},
    ("POST", "/v1/operator/users/{user_id}/unsuspend"): {"reason": "matrix test"},
    ("PUT", "/v1/operator/kill-switch"): {"engaged": False, "reason": "matrix test"},
    ("POST", "/v1/operator/notices"): {"scope": "service", "ends_at": "2099-01-01T00:00:00Z"},
    ("POST", "/v1/operator/incidents"): {"title": "matrix", "severity": "low"},
    ("POST", "/v1/operator/incidents/{incident_id}/events"): {"note": "matrix"},
    ("PATCH", "/v1/operator/complaints/{complaint_id}"): {"assignee": "op-1"},
    ("POST", "/v1/help-cases/{case_id}/respond"): {"action": "note", "note": "matrix"},
    ("POST", "/v1/operator/changes"): {"kind": "feature", "title": "matrix"},
}
PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/operator/users/{user_id}/messages"): {"reason": "role matrix test read"},
    ("GET", "/v1/help-cases"): {"queue": "crisis"},
}
#: Calls that would tear down the fixture's own credentials (covered by the guardians tests).
SKIP_ALLOWED = {(("DELETE", "/v1/guardian/consent"), G)}
#: Last, in this order: withdrawing consent, deleting, closing accounts (which drops credentials).
LAST = (
    "/v1/users/{user_id}/consents/{consent_id}",
    "/v1/users/{user_id}/conversations/{persona_id}",
    "/v1/personas/{persona_id}",
    "/v1/users/{user_id}/data",
    "/v1/users/{user_id}/reopen",
    "/v1/users/{user_id}/quit",
)


@pytest.fixture
def matrix_gw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Gateway, dict[str, dict[str, str]]]]:
    receiver = WebhookReceiver().start()
    monkeypatch.setenv("COMPANION_GUARD_TRANSFER_RECIPIENTS", receiver.url.removeprefix("http://"))
    try:
        for gw in start_gateway(make_settings(tmp_path), live=False):
            ids = _seed(gw, receiver)
            yield gw, ids
    finally:
        receiver.stop()


def _ok(resp: Any, expect: int = 201) -> dict[str, Any]:
    assert resp.status_code == expect, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _seed(gw: Gateway, receiver: WebhookReceiver) -> dict[str, dict[str, str]]:
    c, h = gw.client, gw.h
    host = receiver.url.removeprefix("http://")
    turn(gw, USER, "hello")
    turn(gw, WARD, "hello")
    turn(gw, "u-crisis", CRISIS)  # opens a crisis case, so the help-case routes have a real one to read
    cases = _ok(c.get("/v1/help-cases", headers=h(O), params={"queue": "crisis"}), 200)["cases"]
    assert cases, "the crisis turn opened no help case"
    by_user: dict[str, dict[str, str]] = {}
    for uid in (USER, WARD):
        consent = _ok(c.post(f"/v1/users/{uid}/consents", headers=h(P), json={"recipient": host}))
        complaint = _ok(
            c.post(
                "/v1/complaints",
                headers=h(P),
                json={"kind": "complaint", "subject": "s", "body": "b", "user_id": uid},
            )
        )
        by_user[uid] = {
            "consent_id": consent["id"],
            "complaint_id": complaint["id"],
            "url": receiver.url + "/in",
        }
    shared = {
        "restriction_id": _ok(
            c.post(
                "/v1/operator/restrictions",
                headers=h(O),
                json={"kind": "topups", "user_id": "u-x", "reason": "seed"},
            )
        )["id"],
        "notice_id": _ok(
            c.post(
                "/v1/operator/notices",
                headers=h(O),
                json={"scope": "service", "ends_at": "2099-01-01T00:00:00Z"},
            )
        )["id"],
        "incident_id": _ok(
            c.post("/v1/operator/incidents", headers=h(O), json={"title": "seed", "severity": "low"})
        )["id"],
        "persona_id": "mimi",
        "case_id": str(cases[0]["id"]),
    }
    return {"shared": shared, **by_user}


def _subject(role: str | None) -> str:
    return WARD if role == G else USER


def _call(gw: Gateway, ids: dict[str, dict[str, str]], method: str, path: str, role: str | None) -> Any:
    uid = _subject(role)
    values = {**ids["shared"], **ids[uid], "user_id": uid}
    url = path.format(**{k: values[k] for k in values if "{" + k + "}" in path})
    body = BODIES.get((method, path))
    if (method, path) == ("POST", "/v1/users/{user_id}/transfer"):
        body = {"url": values["url"]}
    kwargs: dict[str, Any] = {"headers": gw.h(role), "params": PARAMS.get((method, path), {})}
    if body is not None:
        kwargs["json"] = body
    return gw.client.request(method, url, **kwargs)


def _routes(gw: Gateway) -> list[tuple[str, str]]:
    schema = gw.client.get("/openapi.json").json()
    found = [(m.upper(), p) for p, ops in schema["paths"].items() for m in ops]
    return sorted(found, key=lambda r: (r[1] in LAST, LAST.index(r[1]) if r[1] in LAST else 0))


@pytest.mark.req("D1", "D3")
def test_every_route_every_role(matrix_gw: tuple[Gateway, dict[str, dict[str, str]]]) -> None:
    gw, ids = matrix_gw
    routes = _routes(gw)
    assert set(routes) == set(ACCESS), f"routes without an access rule: {set(routes) ^ set(ACCESS)}"
    failures: list[str] = []
    for method, path in routes:
        allowed, strict = ACCESS[(method, path)]
        order: list[str | None] = [None, O, A, G, U, P] if path.endswith("/quit") else [None, P, O, A, G, U]
        for role in order:
            if role is not None and ((method, path), role) in SKIP_ALLOWED:
                continue
            resp = _call(gw, ids, method, path, role)
            code = resp.status_code
            label = f"{method} {path} as {role or 'nobody'}: {code} {resp.text[:160]}"
            if code >= 500:
                failures.append(label)
            elif allowed == "code":
                if code not in (400, 401, 403):
                    failures.append(label)
            elif (
                allowed == PUBLIC
                or (role is None and PUBLIC in allowed)
                or (role is not None and role in allowed)
            ):
                if strict and not 200 <= code < 300 or code in (401, 403):
                    failures.append(label)
            elif role is None:
                if code != 401:
                    failures.append(label)
            elif code != 403:
                failures.append(label)
    assert not failures, "\n".join(failures)


@pytest.mark.req("D1", "D3")
def test_users_and_guardians_reach_only_their_own_and_wrong_keys_are_401(
    matrix_gw: tuple[Gateway, dict[str, dict[str, str]]],
) -> None:
    gw, ids = matrix_gw
    for role, other in ((U, WARD), (U, "u-stranger"), (G, USER), (G, "u-stranger")):
        h = gw.h(role)
        for method, url in (
            ("GET", f"/v1/users/{other}/export"),
            ("DELETE", f"/v1/users/{other}/data"),
            ("POST", f"/v1/users/{other}/quit"),
            ("GET", f"/v1/users/{other}/consents"),
            ("GET", f"/v1/users/{other}/complaints"),
        ):
            assert gw.client.request(method, url, headers=h).status_code == 403, (role, method, url)
        foreign = ids[USER if role == G else WARD]["complaint_id"]
        assert gw.client.get(f"/v1/complaints/{foreign}", headers=h).status_code == 404
    for url in (f"/v1/users/{USER}/export", "/v1/operator/kill-switch", "/v1/audit"):
        r = gw.client.get(url, headers={"Authorization": "Bearer cg-user-not-a-real-key"})
        assert r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer"
    # a wrong key is 401 even on public routes that accept anonymous callers
    r = gw.client.post(
        "/v1/complaints",
        headers={"Authorization": "Bearer nope"},
        json={"kind": "complaint", "subject": "s", "body": "b"},
    )
    assert r.status_code == 401
