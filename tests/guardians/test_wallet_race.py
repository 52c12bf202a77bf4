"""Item 4 of issue 12: the monthly top-up cap holds under parallel authorisations (M4)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.conftest import LiveServer

from companion_guard.guardians import repository as grepo


@pytest.mark.req("M4", "D5")
def test_parallel_topups_never_exceed_the_monthly_cap(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = grepo.approved_topups

    def slow_read(*args: Any, **kwargs: Any) -> Any:
        rows = read(*args, **kwargs)
        time.sleep(0.03)  # widen the read → decide → record window, as a loaded server does
        return rows

    monkeypatch.setattr(grepo, "approved_topups", slow_read)
    auth = {"Authorization": f"Bearer {live_server.key}"}
    with httpx.Client(base_url=live_server.base_url, headers=auth, timeout=60) as c:
        assert c.put("/v1/users/teen", json={"age": 15}).status_code == 200

        def pay(_: int) -> dict:
            resp = c.post("/v1/wallet/authorize", json={"user": "teen", "amount": 50, "currency": "CNY"})
            assert resp.status_code == 200, resp.text
            return resp.json()

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(pay, range(20)))
        allowed = [a for a in answers if a["allowed"]]
        assert len(allowed) == 4, f"{len(allowed)} of 20 allowed (cap 200 CNY a month, 50 each)"
        assert all(a["reason"] == "over_monthly_cap" for a in answers if not a["allowed"])
        assert min(float(a["remaining_month"]) for a in answers if "remaining_month" in a) == 0.0
        last = c.post("/v1/wallet/authorize", json={"user": "teen", "amount": 1, "currency": "CNY"}).json()
        assert not last["allowed"] and last["remaining_month"] == "0.00"
