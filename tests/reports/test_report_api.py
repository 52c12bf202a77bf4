"""A2 over HTTP: operators and auditors read the assessment report as JSON; users and the provider may not."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import chat
from tests.reports.conftest import role_key, start


@pytest.mark.req("A2")
def test_report_route_counts_what_the_gateway_recorded(tmp_path: Path) -> None:
    for client in start(tmp_path):
        client.put(
            "/v1/users/old-1",
            json={
                "age": 72,
                "locale": "zh-CN",
                "emergency_contact": {"name": "女儿", "webhook": "https://example.org/h"},
            },
        )
        client.put("/v1/users/teen-1", json={"age": 15})
        chat(client, "old-1", "nainai", "今天去公园下棋了")
        chat(client, "old-1", "nainai", "药都攒够了，今晚就结束")
        chat(client, "teen-1", "linshen", "你好")  # a partner persona for a minor: blocked (M1)
        auditor = role_key(client.app, "auditor", "aud-1")
        resp = client.get("/v1/operator/assessment/report", headers={"Authorization": f"Bearer {auditor}"})
        assert resp.status_code == 200, resp.text
        figures = resp.json()["figures"]
        assert figures["registered_users"] == 2 and figures["elderly_users"] == 1 and figures["minors"] == 1
        assert figures["crisis_identifications"]["critical"] == 1 and figures["persona_blocks"] == 1
        assert figures["mau"] == 2 and resp.json()["generated_by"] == "auditor:aud-1"
        assert client.get("/v1/operator/assessment/report").status_code == 403  # the provider key
