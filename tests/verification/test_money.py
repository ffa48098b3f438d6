"""Money at the till is exact: a purchase amount is a JSON integer of whole rupiah, and an offer whose discount
depends on it cannot be redeemed without one."""

from __future__ import annotations

import uuid

import pytest

from tests.till import Till
from verification.tables import Attempt, IdempotencyRecord, Redemption

REDEEM = "/api/v1/verification/redemptions"


async def _post(till: Till, body: dict, language: str = "id"):
    return await till.client.post(
        REDEEM,
        json=body,
        headers={**till.world.cashier, "Idempotency-Key": str(uuid.uuid4()), "Accept-Language": language},
    )


@pytest.mark.parametrize("amount", ["100.000", "100000", 100000.0, "1e5", 100000.5, True, -1, 100_000_001])
async def test_an_amount_that_is_not_a_json_integer_of_whole_rupiah_is_refused_and_writes_nothing(till, amount):
    offer = await till.offer(benefit={"type": "percent", "percent": 10, "max_discount": 50_000})
    qr = await till.card()

    response = await _post(till, {"qr": qr, "offer_id": offer["id"], "purchase_amount": amount})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    (field,) = problem["errors"]
    assert field["field"] == "purchase_amount"
    assert field["code"] == ("out_of_range" if isinstance(amount, int) and not isinstance(amount, bool)
                             else "not_whole_rupiah")  # fmt: skip
    assert await Redemption.count() == 0
    assert await IdempotencyRecord.count() == 0


async def test_the_refusal_says_what_a_whole_rupiah_is_in_both_languages(till):
    offer = await till.offer()
    qr = await till.card()
    indonesian = (await _post(till, {"qr": qr, "offer_id": offer["id"], "purchase_amount": "100.000"})).json()
    english = (await _post(till, {"qr": qr, "offer_id": offer["id"], "purchase_amount": "100.000"}, "en")).json()
    assert "angka bulat" in indonesian["errors"][0]["message"]
    assert "whole number" in english["errors"][0]["message"]


async def test_a_percentage_offer_without_an_amount_is_422_and_leaves_the_childs_limit_unused(till):
    offer = await till.offer(benefit={"type": "percent", "percent": 10, "max_discount": 50_000})
    qr = await till.card()

    missing = await _post(till, {"qr": qr, "offer_id": offer["id"]})

    assert missing.status_code == 422, missing.text
    assert missing.json()["code"] == "purchase_amount_required"
    assert missing.json()["errors"][0]["field"] == "purchase_amount"
    assert await Redemption.count() == 0
    assert await IdempotencyRecord.count() == 0
    # The child's one redemption a day is still there to use.
    redeemed = await till.redeem(qr, offer["id"], purchase=120_000)
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["discount_amount"] == 12_000


async def test_free_entry_needs_no_amount(till):
    offer = await till.offer(title="Masuk gratis", benefit={"type": "free_entry", "value": 25_000})
    qr = await till.card()

    redeemed = await _post(till, {"qr": qr, "offer_id": offer["id"]})

    assert redeemed.status_code == 201, redeemed.text
    assert (redeemed.json()["purchase_amount"], redeemed.json()["discount_amount"]) == (0, 25_000)
    assert await Attempt.count() >= 1


async def test_an_exponent_in_the_json_itself_is_refused(till):
    offer = await till.offer()
    qr = await till.card()
    body = f'{{"qr": "{qr}", "offer_id": "{offer["id"]}", "purchase_amount": 1e5}}'
    response = await till.client.post(
        REDEEM,
        content=body,
        headers={**till.world.cashier, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "not_whole_rupiah"
    assert await Redemption.count() == 0
