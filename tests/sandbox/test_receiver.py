"""The local webhook receiver records what a gateway delivers."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from companion_guard.sandbox.receiver import WebhookReceiver


@pytest.mark.req("X1")
def test_receiver_records_and_waits() -> None:
    async def go() -> list[str]:
        async with WebhookReceiver() as receiver:

            async def later() -> None:
                await asyncio.sleep(0.1)
                async with httpx.AsyncClient() as client:
                    answer = await client.post(
                        f"{receiver.url}/hook/u1/guardian", json={"kind": "x"}, headers={"X-Signature": "abc"}
                    )
                    assert answer.status_code == 200 and answer.json() == {"ok": True}

            task = asyncio.create_task(later())
            await receiver.wait_for({"/hook/u1/guardian"}, timeout=5)
            await task
            await receiver.wait_for({"/hook/never"}, timeout=0.2)
            got = receiver.received("/hook/u1/")
            assert got[0].to_dict()["signed"] is True and '"kind"' in got[0].to_dict()["body"]
            return [d.path for d in receiver.deliveries]

    assert asyncio.run(go()) == ["/hook/u1/guardian"]
