"""Abuse limits at the till: guessing manual codes, scripted scanning, one card passed around many outlets."""

from __future__ import annotations

from core.settings import get_settings
from tests.helpers import outlet_body
from tests.verification.cards_helpers import enroll_card
from verification.service import attempts, credentials
from verification.service.abuse import MANUAL_CODES_PER_WINDOW
from verification.tables import Attempt, Redemption

SCANS_PER_MINUTE = get_settings().till_requests_per_minute


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
    await attempts.flush()  # the scans' attempt rows wait in the worker's buffer (verification.service.attempts)
    flags = await Attempt.select(Attempt.card).where(Attempt.reason_code == "card_velocity")
    assert flags
    assert {f["card"] for f in flags} == {card_id}
    # A copied QR is refused everywhere until the window passes, the first outlet included.
    again = await client.post("/api/v1/verification/scan", json={"qr": qr}, headers=keys[0])
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= 600


async def _pos_key(till, client) -> dict[str, str]:
    created = await client.post(
        till.world.url("/api-keys"),
        json={"name": "POS depan", "outlet_id": till.world.outlet_id},
        headers=till.world.manager,
    )
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["key"]}


async def test_guessing_manual_codes_on_redeem_is_throttled_as_on_scan(till, client):
    """Redeem is no oracle for valid codes: 200 random codes from one key get as few answers as on scan."""
    offer = await till.offer()
    key = await _pos_key(till, client)
    answers = []
    for _ in range(200):
        guess = credentials.format_manual_code(credentials.new_manual_code())
        response = await till.redeem(guess, offer["id"], **key)
        answers.append(response.json()["code"])
    assert answers[:MANUAL_CODES_PER_WINDOW] == ["card_unknown"] * MANUAL_CODES_PER_WINDOW
    # The rest learn nothing: refused for typing too many codes (and, past the caller's limit, too many requests).
    throttled = answers[MANUAL_CODES_PER_WINDOW:]
    assert set(throttled) == {"manual_code_rate_limited", "scan_rate_limited"}
    assert throttled[: SCANS_PER_MINUTE - MANUAL_CODES_PER_WINDOW] == ["manual_code_rate_limited"] * (
        SCANS_PER_MINUTE - MANUAL_CODES_PER_WINDOW
    )
    # Scan and redeem share the count: switching to scan buys no more guesses.
    scanned = await client.post("/api/v1/verification/scan", json={"qr": "ABCD-EFGH-JK0"}, headers=key)
    assert scanned.status_code == 429
    assert await Redemption.count() == 0


async def test_scripted_redeeming_is_throttled_with_scanning(till):
    offer = await till.offer(limits=[])
    qr = await till.card()
    for _ in range(SCANS_PER_MINUTE - 1):
        assert (await till.scan(qr)).status_code == 200
    assert (await till.redeem(qr, offer["id"])).status_code == 201  # the limit's last request
    refused = await till.redeem(qr, offer["id"])
    assert (refused.status_code, refused.json()["code"]) == (429, "scan_rate_limited")
    assert await Redemption.count() == 1


async def test_a_card_flagged_on_scan_is_refused_on_redeem_too(till, client):
    offer = await till.offer()
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
    assert statuses == [200, 200, 200, 429]  # flagged at the 4th outlet
    redeemed = await till.redeem(qr, offer["id"], **keys[3])
    assert (redeemed.status_code, redeemed.json()["code"]) == (429, "card_velocity")
    assert await Redemption.count() == 0
    await attempts.flush()
    flagged = await Attempt.select(Attempt.kind).where(Attempt.reason_code == "card_velocity")
    assert {row["kind"] for row in flagged} == {"scan", "redeem"}
