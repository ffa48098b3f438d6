"""A partner across two cities, on the demo: Gramedia serves in Kota Bengkulu and in Kabupaten Rejang Lebong, each
office approves partners for its own area, and an offer says whose KIAs it takes."""

from __future__ import annotations

import pytest

from admin.demo import DEMO_PASSWORD, seed_demo
from admin.demo_second_city import CASHIER, LOCAL_OFFER
from core.settings import get_settings
from core.tables import AuditEvent
from partners.tables import Outlet
from tests.conftest import login
from tests.helpers import outlet_body
from tests.verification.cards_helpers import enroll_card
from verification.service import cards, keys
from verification.service.keys import KeyRing

CURUP = "17.02.19.1003"  # Talang Rimbo Lama, Kabupaten Rejang Lebong


@pytest.fixture
async def demo(tmp_path):
    await seed_demo(tmp_path, with_registry=False)
    await keys.rotate(get_settings(), None)
    # The demo's outlets keep real opening hours (the till refuses outside them); a test runs at any hour.
    every_hour = {
        day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    await Outlet.update({Outlet.opening_hours: every_hour}, force=True)


async def qr_of(kelurahan: str) -> str:
    settings = get_settings()
    card_id = await enroll_card(settings, kelurahan_code=kelurahan)
    text, _ = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)
    return text


async def redeem(client, cashier, qr: str, offer_id: str, key: str):
    return await client.post(
        "/api/v1/verification/redemptions",
        json={"qr": qr, "offer_id": offer_id, "purchase_amount": 100_000},
        headers={**cashier, "Idempotency-Key": key},
    )


async def test_a_bengkulu_child_at_the_rejang_lebong_outlet(client, demo):
    cashier = await login(client, CASHIER, DEMO_PASSWORD)
    bengkulu_child, curup_child = await qr_of("17.71.03.1002"), await qr_of(CURUP)

    scanned = await client.post("/api/v1/verification/scan", json={"qr": bengkulu_child}, headers=cashier)
    assert scanned.status_code == 200, scanned.text
    verdicts = {offer["title"]: offer for offer in scanned.json()["offers"]}
    assert verdicts["Diskon buku 10%"]["eligible"] is True  # Gramedia's offer for KIAs of both cities
    local = verdicts[LOCAL_OFFER["title"]]
    assert (local["eligible"], local["reason_code"]) == (False, "card_region_not_eligible")

    both = await redeem(client, cashier, bengkulu_child, verdicts["Diskon buku 10%"]["offer_id"], "rl-1")
    assert both.status_code == 201, both.text
    refused = await redeem(client, cashier, bengkulu_child, local["offer_id"], "rl-2")
    assert refused.status_code == 409
    assert refused.json()["code"] == "card_region_not_eligible"
    assert "kabupaten/kota tempat penawaran berlaku" in refused.json()["detail"]
    # A Rejang Lebong child gets the local offer at the same till.
    assert (await redeem(client, cashier, curup_child, local["offer_id"], "rl-3")).status_code == 201
    # And the Bengkulu till does not show the Rejang Lebong offer at all: it runs in Rejang Lebong only.
    bengkulu_till = await login(client, "gramedia.kasir", DEMO_PASSWORD)
    there = await client.post("/api/v1/verification/scan", json={"qr": curup_child}, headers=bengkulu_till)
    local_there = next(o for o in there.json()["offers"] if o["title"] == LOCAL_OFFER["title"])
    assert local_there["reason_code"] == "outlet_not_eligible"


async def test_an_outlet_in_another_city_waits_for_that_offices_approval(client, demo):
    manager = await login(client, "aviari.manajer", DEMO_PASSWORD)
    bengkulu = await login(client, "dukcapil", DEMO_PASSWORD)
    rejang_lebong = await login(client, "dukcapil.rejanglebong", DEMO_PASSWORD)
    me = (await client.get("/api/v1/partners/me", headers=manager)).json()["partner"]
    partner_url = f"/api/v1/partners/{me['id']}"
    curup = outlet_body("Queen Aviari Curup", CURUP)

    refused = await client.post(f"{partner_url}/outlets", json=curup, headers=manager)
    assert refused.status_code == 409
    assert refused.json()["code"] == "partner_not_approved_in_region"
    assert "Kabupaten Rejang Lebong" in refused.json()["detail"]
    # Rejang Lebong's office does not know the partner yet.
    review = f"/api/v1/admin/partners/{me['id']}"
    assert (await client.get(review, headers=rejang_lebong)).status_code == 404

    applied = await client.post(f"{partner_url}/offices", json={"city_code": "17.02"}, headers=manager)
    assert applied.status_code == 200, applied.text
    assert {o["city_code"]: o["status"] for o in applied.json()["offices"]} == {"17.71": "approved", "17.02": "pending"}
    again = await client.post(f"{partner_url}/offices", json={"city_code": "17.02"}, headers=manager)
    assert again.json()["code"] == "office_already_applied"
    assert (await client.post(f"{partner_url}/outlets", json=curup, headers=manager)).status_code == 409

    queue = await client.get("/api/v1/admin/partners", params={"status": "pending"}, headers=rejang_lebong)
    assert [p["name"] for p in queue.json()] == ["Queen Aviari"]
    assert (await client.get("/api/v1/admin/partners", params={"status": "pending"}, headers=bengkulu)).json() == []
    approved = await client.post(
        f"{review}/approve", json={"agreement_number": "PKS/RL/007/2026"}, headers=rejang_lebong
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["agreement_number"] == "PKS/RL/007/2026"
    assert (
        approved.json()["history"][-1]["decided_by"]
        == "Petugas Dukcapil Kabupaten Rejang Lebong (dukcapil.rejanglebong)"
    )
    assert (await client.post(f"{partner_url}/outlets", json=curup, headers=manager)).status_code == 201

    # Each office keeps its own agreement number; a correction is audited.
    corrected = await client.patch(
        f"{review}/agreement", json={"agreement_number": "PKS/RL/007A/2026"}, headers=rejang_lebong
    )
    assert corrected.json()["agreement_number"] == "PKS/RL/007A/2026"
    assert (await client.get(review, headers=bengkulu)).json()["agreement_number"] == "PKS/DEMO/002/2024"
    event = await AuditEvent.select().where(AuditEvent.action == "partner.agreement_number_set").first()
    assert (event["city_code"], event["actor_username"]) == ("17.02", "dukcapil.rejanglebong")
    # Suspended in Rejang Lebong only: the Bengkulu standing stays.
    await client.post(f"{review}/suspend", json={"reason": "PKS berakhir."}, headers=rejang_lebong)
    offices = {o["city_code"]: o["status"] for o in (await client.get(partner_url, headers=manager)).json()["offices"]}
    assert offices == {"17.71": "approved", "17.02": "suspended"}
