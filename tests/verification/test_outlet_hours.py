"""Outlet opening hours are enforced at the till: outside them every offer is refused `outlet_closed`, with when
the outlet opens next, in its zone (issue 16)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.helpers import outlet_body, today

WIB = ZoneInfo("Asia/Jakarta")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def _hours(till, hours) -> None:
    changed = await till.client.put(
        till.world.url(f"/outlets/{till.world.outlet_id}"),
        json={**outlet_body(), "opening_hours": hours},
        headers=till.world.manager,
    )
    assert changed.status_code == 200, changed.text


async def test_a_closed_outlet_refuses_and_says_when_it_opens(till):
    offer = await till.offer()
    qr = await till.card()
    tomorrow = today() + timedelta(days=1)
    await _hours(till, {DAYS[tomorrow.weekday()]: [{"open": "10:00", "close": "12:00"}]})  # closed all of today
    opens = datetime.combine(tomorrow, time(10), WIB)

    (scanned,) = (await till.scan(qr)).json()["offers"]
    refused = await till.redeem(qr, offer["id"])

    assert (scanned["eligible"], scanned["reason_code"]) == (False, "outlet_closed")
    assert scanned["next_eligible_at"] == opens.isoformat()
    assert (refused.status_code, refused.json()["code"]) == (409, "outlet_closed")
    assert refused.json()["detail"].startswith("Outlet ini buka lagi ")
    assert refused.json()["detail"].endswith("10.00 WIB.")

    await _hours(till, {DAYS[today().weekday()]: [{"open": "00:00", "close": "24:00"}]})
    assert (await till.redeem(qr, offer["id"])).status_code == 201


async def test_an_outlet_without_recorded_hours_is_always_open(till):
    offer = await till.offer()
    await _hours(till, {})
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
