"""A till without a connection, as the server sees it: the kit it downloads, and redemptions it confirmed offline
arriving later, each once, judged as of when they happened, the ones over a limit kept and flagged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.verification.cards_helpers import enroll_card
from verification.tables import Credential, Redemption

ONCE_A_DAY = {"limits": [{"period": "day", "count": 1}], "benefit": {"type": "percent", "percent": 10}}
# Once per child at all: what a redemption confirmed minutes ago uses up whatever the clock says now (once a day,
# a test run just after midnight WIB would see the offline redemption on yesterday's count).
ONCE = {"limits": [{"period": "lifetime", "count": 1}], "benefit": {"type": "percent", "percent": 10}}


def _ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def _offline(till, qr, offer_id, minutes_ago=10, key=None, purchase=50_000, device="kasir-hp-1"):
    return await till.client.post(
        "/api/v1/verification/redemptions",
        json={"qr": qr, "offer_id": offer_id, "purchase_amount": purchase, "offline_at": _ago(minutes_ago)},
        headers={**till.world.cashier, "Idempotency-Key": key or str(uuid.uuid4()), "X-Device-Id": device},
    )


async def test_the_kit_holds_keys_lists_offers_with_their_windows_and_past_redemptions(till):
    books = await till.offer(**ONCE_A_DAY)
    young = await till.offer("young", title="Buku anak balita", age_max=5)
    card = await enroll_card(till.settings)
    qr = await till.qr(card)
    assert (await till.redeem(qr, books["id"])).status_code == 201

    response = await till.client.get("/api/v1/verification/offline-kit", headers=till.world.cashier)
    assert response.status_code == 200, response.text
    kit = response.json()
    assert (kit["max_redemptions"], kit["max_hours"], kit["zone"]) == (20, 12, "Asia/Jakarta")
    assert [key["kid"] for key in kit["keys"]] == [1]
    (status_list,) = kit["status_lists"]
    assert status_list["city_code"] == "17.71"
    assert status_list["token"].count(".") == 2
    offers = {offer["id"]: offer for offer in kit["offers"]}
    assert offers[books["id"]]["offline"] is True
    assert offers[young["id"]]["offline"] is False
    assert offers[young["id"]]["offline_reason"] == "age"  # a card's age is known online only
    # Open all day at an outlet open all day: one window, from now to the end of the kit's 12 hours.
    ((start, end),) = offers[books["id"]]["windows"]
    assert datetime.fromisoformat(end) - datetime.fromisoformat(start) >= timedelta(hours=11, minutes=58)
    slot = (await Credential.select(Credential.status_slot).where(Credential.card == card).first())["status_slot"]
    assert {(r["slot"], r["offer_id"]) for r in kit["redemptions"]} == {(slot, books["id"])}
    assert str(card) not in response.text  # the kit names prints by slot, never a card


async def test_two_offline_redemptions_arrive_once_each_judged_as_of_when_they_happened(till):
    offer = await till.offer(**ONCE)
    first, second = await till.card(), await till.card()
    key = str(uuid.uuid4())
    answers = [await _offline(till, first, offer["id"], 30, key=key) for _ in range(3)]  # the app retries
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["redemption_id"] for a in answers}) == 1
    assert answers[0].json()["status"] == "completed"
    other = await _offline(till, second, offer["id"], 20)
    assert other.json()["status"] == "completed"

    rows = await Redemption.select(Redemption.redeemed_at, Redemption.synced_at, Redemption.status)
    assert len(rows) == 2
    for row in rows:
        assert row["synced_at"] - row["redeemed_at"] >= timedelta(minutes=19)  # recorded at the confirmation's time
    # The card's limit counts the offline one: the same card online now is refused.
    again = await till.redeem(first, offer["id"])
    assert again.json()["code"] == "holder_limit_reached"


async def test_a_redemption_over_a_limit_used_elsewhere_is_kept_and_flagged_not_dropped(till):
    offer = await till.offer(**ONCE)
    qr = await till.card()
    at_the_other_till = await _offline(till, qr, offer["id"], 40, device="kasir-hp-2")
    here = await _offline(till, qr, offer["id"], 35, device="kasir-hp-1")
    assert at_the_other_till.json()["status"] == "completed"
    assert here.status_code == 201
    assert (here.json()["status"], here.json()["flag"]) == ("offline_over_limit", "holder_limit_reached")

    statuses = sorted(row["status"] for row in await Redemption.select(Redemption.status))
    assert statuses == ["completed", "offline_over_limit"]
    # Dukcapil sees it too, apart from the outlet's redemptions.
    summary = await till.client.get("/api/v1/admin/attempts/summary", headers=till.world.dukcapil)
    assert summary.status_code == 200
    ((row,),) = [[r for r in summary.json()["rows"] if r["offline_over_limit"]]]
    assert (row["redemptions"], row["offline_over_limit"]) == (1, 1)
    history = await till.client.get("/api/v1/verification/redemptions", headers=till.world.manager)
    assert history.status_code == 200
    flagged = [item for item in history.json()["items"] if item["status"] == "offline_over_limit"]
    assert [(item["flag"], item["offline"]) for item in flagged] == [("holder_limit_reached", True)]


async def test_a_card_revoked_while_the_till_was_offline_is_flagged(till):
    from tests.conftest import login
    from tests.helpers import PASSWORD

    offer = await till.offer(**ONCE_A_DAY)
    card = await enroll_card(till.settings)
    qr = await till.qr(card)
    dukcapil = await login(till.client, "dukcapil", PASSWORD)
    revoked = await till.client.post(f"/api/v1/admin/cards/{card}/revoke", json={"reason": "lost"}, headers=dukcapil)
    assert revoked.status_code == 200
    late = await _offline(till, qr, offer["id"], 15)
    assert (late.json()["status"], late.json()["flag"]) == ("offline_over_limit", "card_revoked")


async def test_the_partners_bounds_hold_on_the_server_too(till):
    offer = await till.offer(benefit={"type": "percent", "percent": 10})  # no per-card limit
    bounds = await till.client.put(
        till.world.url("/offline"), json={"max_redemptions": 2, "max_hours": 1}, headers=till.world.manager
    )
    assert bounds.status_code == 200, bounds.text
    assert (bounds.json()["offline_max_redemptions"], bounds.json()["offline_max_hours"]) == (2, 1)
    flags = [(await _offline(till, await till.card(), offer["id"], 5)).json()["flag"] for _ in range(3)]
    assert flags == [None, None, "offline_limit_exceeded"]
    old = await _offline(till, await till.card(), offer["id"], 90, device="kasir-hp-9")
    assert old.json()["flag"] == "offline_too_old"
    refused = await till.client.put(
        till.world.url("/offline"), json={"max_redemptions": -1, "max_hours": 1}, headers=till.world.manager
    )
    assert refused.status_code == 422
    await till.client.put(
        till.world.url("/offline"), json={"max_redemptions": 0, "max_hours": 1}, headers=till.world.manager
    )
    assert (await _offline(till, await till.card(), offer["id"], 5)).json()["flag"] == "offline_not_allowed"


async def test_the_manager_sets_the_bounds_on_the_profile_page(till, make_client):
    from tests.admin.test_review_pages import form_token
    from tests.core.test_pages import page_client, sign_in

    manager = await page_client(make_client)
    await sign_in(manager, "pelangi.manajer")
    page = await manager.get("/mitra/profil/")
    assert "Transaksi tanpa koneksi" in page.text
    token = await form_token(manager, "/mitra/profil/")
    saved = await manager.post(
        "/mitra/profil/tanpa-koneksi", data={"_csrf_token": token, "max_redemptions": "5", "max_hours": "8"}
    )
    assert saved.status_code == 303
    kit = (await till.client.get("/api/v1/verification/offline-kit", headers=till.world.cashier)).json()
    assert (kit["max_redemptions"], kit["max_hours"]) == (5, 8)
    wrong = await manager.post(
        "/mitra/profil/tanpa-koneksi", data={"_csrf_token": token, "max_redemptions": "500", "max_hours": "8"}
    )
    assert wrong.status_code == 422
    assert "max_redemptions" in wrong.text
    kit = (await till.client.get("/api/v1/verification/offline-kit", headers=till.world.cashier)).json()
    assert kit["max_redemptions"] == 5  # a refused form changes nothing
