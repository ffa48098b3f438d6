"""An edit of a published offer goes to Dukcapil's review; the reviewed revision keeps serving the catalog and the
till until the edit is approved. Pausing and ending stay immediate."""

from __future__ import annotations

from tests.helpers import offer_body
from tests.till import Till


async def _catalog_titles(till: Till) -> list[str]:
    response = await till.client.get("/api/v1/catalog/offers")
    assert response.status_code == 200, response.text
    return [offer["title"] for offer in response.json()]


async def _scan_offer(till: Till, qr: str, offer_id: str) -> dict:
    scanned = await till.scan(qr)
    return next(offer for offer in scanned.json()["offers"] if offer["offer_id"] == offer_id)


async def test_an_edit_of_a_published_offer_waits_for_review_and_serves_only_once_approved(till):
    offer = await till.offer(title="Diskon buku 10%")
    qr = await till.card()
    url = till.world.url(f"/offers/{offer['id']}")

    edited = await till.client.put(
        url,
        json=offer_body(title="Diskon Rp1", benefit={"type": "fixed_amount", "amount": 1}),
        headers=till.world.manager,
    )

    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["status"], body["revision"], body["pending_revision"]) == ("published", 1, 2)
    assert body["rules"]["title"] == "Diskon buku 10%"
    assert body["pending_rules"]["title"] == "Diskon Rp1"
    # Neither the catalog nor the till shows the unreviewed revision.
    assert "Diskon Rp1" not in await _catalog_titles(till)
    assert "Diskon buku 10%" in await _catalog_titles(till)
    assert (await _scan_offer(till, qr, offer["id"]))["benefit"]["text"] == "Diskon 10% maks. Rp50.000"
    # It is in Dukcapil's review queue.
    queue = await till.client.get(
        "/api/v1/admin/offers", params={"awaiting_review": "true"}, headers=till.world.dukcapil
    )
    assert [o["id"] for o in queue.json()] == [offer["id"]]

    approved = await till.client.post(
        f"/api/v1/admin/offers/{offer['id']}/revision/approve", headers=till.world.dukcapil
    )

    assert approved.status_code == 200, approved.text
    assert (approved.json()["revision"], approved.json()["pending_revision"]) == (2, None)
    assert "Diskon Rp1" in await _catalog_titles(till)
    assert (await _scan_offer(till, qr, offer["id"]))["benefit"]["text"] == "Potongan Rp1"
    queue = await till.client.get(
        "/api/v1/admin/offers", params={"awaiting_review": "true"}, headers=till.world.dukcapil
    )
    assert queue.json() == []


async def test_a_rejected_edit_needs_a_reason_and_leaves_the_reviewed_revision_serving(till):
    offer = await till.offer(title="Diskon buku 10%")
    url = till.world.url(f"/offers/{offer['id']}")
    await till.client.put(url, json=offer_body(title="Diskon Rp1"), headers=till.world.manager)
    reject = f"/api/v1/admin/offers/{offer['id']}/revision/reject"

    without_reason = await till.client.post(reject, json={}, headers=till.world.dukcapil)
    assert (without_reason.status_code, without_reason.json()["code"]) == (409, "reason_required")

    rejected = await till.client.post(reject, json={"reason": "Potongan Rp1 menyesatkan."}, headers=till.world.dukcapil)

    assert rejected.status_code == 200, rejected.text
    read = (await till.client.get(url, headers=till.world.manager)).json()
    assert (read["revision"], read["pending_revision"]) == (1, None)
    assert read["revision_rejected_reason"] == "Potongan Rp1 menyesatkan."
    assert "Diskon buku 10%" in await _catalog_titles(till)
    again = await till.client.post(reject, json={"reason": "x"}, headers=till.world.dukcapil)
    assert (again.status_code, again.json()["code"]) == (409, "no_revision_pending")
    # The manager may edit again: a new revision number, under review again.
    edited = await till.client.put(url, json=offer_body(title="Diskon buku 15%"), headers=till.world.manager)
    assert edited.json()["pending_revision"] == 3


async def test_a_manager_cannot_approve_their_own_edit_and_pausing_stays_immediate(till):
    offer = await till.offer()
    url = till.world.url(f"/offers/{offer['id']}")
    await till.client.put(url, json=offer_body(title="Diskon Rp1"), headers=till.world.manager)

    denied = await till.client.post(f"/api/v1/admin/offers/{offer['id']}/revision/approve", headers=till.world.manager)
    assert denied.status_code == 403

    paused = await till.client.post(till.world.url(f"/offers/{offer['id']}/pause"), headers=till.world.manager)
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    assert await _catalog_titles(till) == []


async def test_on_the_pages_the_manager_sees_the_edit_waiting_and_dukcapil_approves_it(till, make_client):
    from tests.core.test_pages import CSRF, page_client, sign_in

    offer = await till.offer(title="Diskon buku 10%")
    await till.client.put(
        till.world.url(f"/offers/{offer['id']}"), json=offer_body(title="Diskon buku 12%"), headers=till.world.manager
    )
    manager = await page_client(make_client)
    await sign_in(manager, "pelangi.manajer")
    form = await manager.get(f"/mitra/penawaran/{offer['id']}")
    assert "Perubahan menunggu tinjauan Dukcapil." in form.text
    assert 'value="Diskon buku 12%"' in form.text  # the manager goes on editing the edit, not the live rules

    office = await page_client(make_client)
    await sign_in(office, "dukcapil")
    queue = await office.get("/admin/penawaran", params={"status": "perubahan"})
    assert "Perubahan menunggu (1)" in queue.text
    assert "Diskon buku 12%" in queue.text
    detail = await office.get(f"/admin/penawaran/{offer['id']}")
    assert "Perubahan menunggu tinjauan" in detail.text
    approved = await office.post(
        f"/admin/penawaran/{offer['id']}/setujui-perubahan", data={"_csrf_token": CSRF.search(detail.text).group(1)}
    )
    assert approved.status_code == 303, approved.text
    assert "Diskon buku 12%" in [o["title"] for o in (await till.client.get("/api/v1/catalog/offers")).json()]
    after = await office.get(approved.headers["location"])
    assert "Perubahan disetujui" in after.text


async def test_a_quota_added_by_an_approved_edit_counts_the_redemptions_made_before_it(till):
    """An offer without a quota or budget keeps no running total (its redemptions share no row); when an approved
    edit gives it a quota, the redemptions it already has count against it."""
    offer = await till.offer(limits=[])
    for _ in range(3):
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
    edited = await till.client.put(
        till.world.url(f"/offers/{offer['id']}"), json=offer_body(quota=4, limits=[]), headers=till.world.manager
    )
    assert edited.status_code == 200, edited.text
    approved = await till.client.post(
        f"/api/v1/admin/offers/{offer['id']}/revision/approve", headers=till.world.dukcapil
    )
    assert approved.status_code == 200, approved.text

    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201  # the fourth
    fifth = await till.redeem(await till.card(), offer["id"])
    assert fifth.status_code == 409
    assert fifth.json()["code"] in {"offer_quota_exhausted", "offer_paused"}
