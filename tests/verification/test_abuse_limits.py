"""Abuse limits at the till: guessing manual codes, scripted scanning, one card passed around many outlets."""

from __future__ import annotations

from tests.helpers import outlet_body
from tests.verification.cards_helpers import enroll_card
from verification.service.till import MANUAL_CODES_PER_WINDOW, SCANS_PER_MINUTE
from verification.tables import Attempt


async def test_typed_manual_codes_are_tightly_limited(till):
    await till.offer()
    for _ in range(MANUAL_CODES_PER_WINDOW):
        assert (await till.scan("ABCD-EFGH-JK0")).status_code == 200
    refused = await till.scan("ABCD-EFGH-JK0")
    assert refused.status_code == 429
    assert refused.json()["code"] == "manual_code_rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Scanning the QR itself still works.
    assert (await till.scan(await till.card())).status_code == 200


async def test_scripted_scanning_is_throttled(till):
    qr = await till.card()
    statuses = [(await till.scan(qr)).status_code for _ in range(SCANS_PER_MINUTE + 1)]
    assert statuses[:SCANS_PER_MINUTE] == [200] * SCANS_PER_MINUTE
    assert statuses[-1] == 429


async def test_a_card_at_more_than_three_outlets_in_ten_minutes_is_refused_and_flagged(till, client):
    await till.offer()
    card_id = await enroll_card(till.settings)
    qr = await till.qr(card_id)
    keys = []
    for index in range(4):
        outlet = await client.post(
            till.world.url("/outlets"), json=outlet_body(f"Cabang {index}"), headers=till.world.manager
        )
        key = await client.post(
            till.world.url("/api-keys"),
            json={"name": f"POS {index}", "outlet_id": outlet.json()["id"]},
            headers=till.world.manager,
        )
        keys.append({"X-API-Key": key.json()["key"]})
    statuses = [(await client.post("/api/v1/verification/scan", json={"qr": qr}, headers=k)).status_code for k in keys]
    assert statuses == [200, 200, 200, 429]
    last = await client.post("/api/v1/verification/scan", json={"qr": qr}, headers=keys[3])
    assert last.json()["code"] == "card_velocity"
    flags = await Attempt.select(Attempt.card).where(Attempt.reason_code == "card_velocity")
    assert flags
    assert {f["card"] for f in flags} == {card_id}
    # A copied QR is refused everywhere until the window passes, the first outlet included.
    again = await client.post("/api/v1/verification/scan", json={"qr": qr}, headers=keys[0])
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= 600
