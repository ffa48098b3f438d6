"""Limits hold when many tills press the button at once: the failure of saleor #544, django-oscar #4580,
shopware #11245 and eventyay #1398 (check in one step, write in another) must be impossible here."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from core.settings import get_settings
from tests.verification.cards_helpers import enroll_card
from verification.tables import OfferUsage, Redemption

SIMULTANEOUS = 200


@pytest.fixture
async def client(make_client):
    """Two hundred tills at one outlet, played by one cashier: the till's request limits must not be what stops them."""
    return await make_client(
        get_settings().replace(
            till_requests_per_minute=10 * SIMULTANEOUS,
            till_outlet_requests_per_minute=10 * SIMULTANEOUS,
            till_address_requests_per_minute=10 * SIMULTANEOUS,
        )
    )


async def fire(till, requests: list[tuple[str, str, int, str]]):
    return await asyncio.gather(
        *[till.redeem(qr, offer, purchase=amount, key=key) for qr, offer, amount, key in requests]
    )


def tally(responses) -> Counter[object]:
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500][:3]
    return Counter(r.status_code if r.status_code == 201 else r.json()["code"] for r in responses)


async def test_one_card_two_hundred_tills_one_per_day(till):
    offer = await till.offer(limits=[{"period": "day", "count": 1}])
    qr = await till.card()

    responses = await fire(till, [(qr, offer["id"], 10_000, str(uuid.uuid4())) for _ in range(SIMULTANEOUS)])

    counts = tally(responses)
    assert counts[201] == 1
    assert set(counts) <= {201, "holder_limit_reached", "idempotency_key_in_flight"}
    assert await Redemption.count() == 1


async def test_two_hundred_cards_against_a_quota_of_fifty(till):
    offer = await till.offer(quota=50, limits=[])
    cards = [await till.qr(await enroll_card(till.settings)) for _ in range(SIMULTANEOUS)]

    responses = await fire(till, [(qr, offer["id"], 10_000, str(uuid.uuid4())) for qr in cards])

    counts = tally(responses)
    assert counts[201] == 50
    assert set(counts) <= {201, "offer_quota_exhausted", "idempotency_key_in_flight"}
    assert await Redemption.count() == 50
    assert (await OfferUsage.select(OfferUsage.redemptions).first())["redemptions"] == 50


async def test_a_budget_of_rp500000_with_rp25000_discounts_allows_exactly_twenty(till):
    offer = await till.offer(budget=500_000, benefit={"type": "fixed_amount", "amount": 25_000}, limits=[])
    cards = [await till.qr(await enroll_card(till.settings)) for _ in range(SIMULTANEOUS)]

    responses = await fire(till, [(qr, offer["id"], 100_000, str(uuid.uuid4())) for qr in cards])

    counts = tally(responses)
    assert counts[201] == 20
    assert set(counts) <= {201, "offer_budget_exhausted", "idempotency_key_in_flight"}
    usage = await OfferUsage.select().first()
    assert (usage["redemptions"], usage["discount_total"]) == (20, 500_000)
    assert sum(r["discount_amount"] for r in await Redemption.select(Redemption.discount_amount)) == 500_000


async def test_the_same_key_fifty_times_at_once_is_one_row_and_fifty_identical_answers(till):
    offer = await till.offer()
    qr = await till.card()
    key = str(uuid.uuid4())

    responses = await fire(till, [(qr, offer["id"], 42_000, key)] * 50)

    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert await Redemption.count() == 1
