"""The whole partner story through HTTP, as the people in it live it."""

from __future__ import annotations

from tests.conftest import login
from tests.helpers import PASSWORD, dukcapil_headers, offer_body, outlet_body, registration


async def test_register_approve_outlet_cashier_offer_publish_catalog_pause(client, create_staff):
    # Kota Bengkulu's Dukcapil office works on the service; a bookstore applies to it, with its first manager account.
    dukcapil = await dukcapil_headers(client, create_staff)
    registered = await client.post("/api/v1/partners/registrations", json=registration())
    assert registered.status_code == 201
    partner = registered.json()["partner"]
    assert partner["status"] == "pending"
    partner_url = f"/api/v1/partners/{partner['id']}"
    manager = await login(client, "pelangi.manajer", PASSWORD)

    # While pending, the manager may prepare drafts but neither open an outlet nor submit an offer.
    refused = await client.post(f"{partner_url}/outlets", json=outlet_body(), headers=manager)
    assert refused.status_code == 409
    assert refused.json()["code"] == "partner_not_approved_in_region"
    assert "Kota Bengkulu" in refused.json()["detail"]
    draft = await client.post(f"{partner_url}/offers", json=offer_body(), headers=manager)
    assert draft.status_code == 201
    offer_id = draft.json()["id"]
    early = await client.post(f"{partner_url}/offers/{offer_id}/submit", headers=manager)
    assert early.status_code == 409
    assert early.json()["code"] == "partner_not_approved"

    # Dukcapil finds the application in its queue and approves it, recording the signed agreement.
    queue = (await client.get("/api/v1/admin/partners", params={"status": "pending"}, headers=dukcapil)).json()
    assert [p["id"] for p in queue] == [partner["id"]]
    approved = await client.post(
        f"/api/v1/admin/partners/{partner['id']}/approve",
        json={"agreement_number": "PKS/470/117/2026", "reason": "PKS ditandatangani"},
        headers=dukcapil,
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["agreement_number"] == "PKS/470/117/2026"
    assert [h["to_status"] for h in approved.json()["history"]] == ["pending", "approved"]
    assert approved.json()["history"][1]["decided_by"] == "Dukcapil (dukcapil)"
    outlet = await client.post(f"{partner_url}/outlets", json=outlet_body(), headers=manager)
    assert outlet.status_code == 201

    # The manager creates a cashier for the outlet; the cashier sees their partner and outlet.
    cashier = await client.post(
        f"{partner_url}/staff",
        json={
            "username": "pelangi.kasir",
            "password": PASSWORD,
            "display_name": "Kasir Pasar Baru",
            "role": "cashier",
            "outlet_id": outlet.json()["id"],
        },
        headers=manager,
    )
    assert cashier.status_code == 201
    cashier_headers = await login(client, "pelangi.kasir", PASSWORD)
    me = (await client.get("/api/v1/partners/me", headers=cashier_headers)).json()
    assert me["partner"]["name"] == "Toko Buku Pelangi"
    assert me["outlet"]["name"] == "Pelangi Pasar Baru"
    assert me["outlet"]["kecamatan_name"] == "Teluk Segara"

    # The offer is submitted, Dukcapil publishes it, and it shows in the public catalog.
    submitted = await client.post(f"{partner_url}/offers/{offer_id}/submit", headers=manager)
    assert submitted.json()["status"] == "submitted"
    queue = (await client.get("/api/v1/admin/offers", params={"status": "submitted"}, headers=dukcapil)).json()
    assert [o["id"] for o in queue] == [offer_id]
    published = await client.post(f"/api/v1/admin/offers/{offer_id}/publish", headers=dukcapil)
    assert published.json()["status"] == "published"

    catalog = (await client.get("/api/v1/catalog/offers")).json()
    assert [o["id"] for o in catalog] == [offer_id]
    entry = catalog[0]
    assert entry["partner_name"] == "Toko Buku Pelangi"
    assert entry["benefit_text"] == "Diskon 10% maks. Rp50.000"
    assert entry["summary"] == "Diskon 10% maks. Rp50.000, 1x per hari, 4x per bulan, usia 0–16, semua outlet"
    assert entry["outlets"][0]["kecamatan"] == "Teluk Segara"
    page = await client.get(f"/penawaran/{offer_id}")
    assert page.status_code == 200
    assert "Diskon buku 10%" in page.text

    # Paused by the manager, it leaves the catalog at once; resumed, it comes back.
    paused = await client.post(f"{partner_url}/offers/{offer_id}/pause", headers=manager)
    assert paused.json()["status"] == "paused"
    assert (await client.get("/api/v1/catalog/offers")).json() == []
    assert (await client.get(f"/api/v1/catalog/offers/{offer_id}")).status_code == 404
    resumed = await client.post(f"{partner_url}/offers/{offer_id}/resume", headers=manager)
    assert resumed.json()["status"] == "published"
    assert len((await client.get("/api/v1/catalog/offers")).json()) == 1


async def test_rejection_reasons_reach_the_manager_who_can_apply_again(client, create_staff):
    dukcapil = await dukcapil_headers(client, create_staff)
    registered = await client.post("/api/v1/partners/registrations", json=registration())
    partner_id = registered.json()["partner"]["id"]

    no_reason = await client.post(f"/api/v1/admin/partners/{partner_id}/reject", headers=dukcapil)
    assert no_reason.status_code == 409
    assert no_reason.json()["code"] == "reason_required"
    rejected = await client.post(
        f"/api/v1/admin/partners/{partner_id}/reject",
        json={"reason": "Nomor telepon tidak dapat dihubungi."},
        headers=dukcapil,
    )
    assert rejected.json()["status"] == "rejected"

    manager = await login(client, "pelangi.manajer", PASSWORD)
    seen = (await client.get(f"/api/v1/partners/{partner_id}", headers=manager)).json()
    assert seen["status"] == "rejected"
    assert seen["status_reason"] == "Nomor telepon tidak dapat dihubungi."
    assert seen["history"][-1]["reason"] == "Nomor telepon tidak dapat dihubungi."

    profile = registration()["partner"] | {"contact_phone": "0736 345678"}
    assert (await client.put(f"/api/v1/partners/{partner_id}", json=profile, headers=manager)).status_code == 200
    again = await client.post(f"/api/v1/partners/{partner_id}/resubmit", headers=manager)
    assert again.json()["status"] == "pending"
    # Approving a rejected application directly is not a move Dukcapil can make.
    assert (
        await client.post(f"/api/v1/admin/partners/{partner_id}/suspend", json={"reason": "x"}, headers=dukcapil)
    ).status_code == 409


async def test_a_suspended_partner_disappears_from_the_catalog(client, create_staff):
    from tests.helpers import approved_partner, published_offer

    dukcapil = await dukcapil_headers(client, create_staff)
    world = await approved_partner(client, dukcapil)
    await published_offer(client, world)
    assert len((await client.get("/api/v1/catalog/offers")).json()) == 1

    suspended = await client.post(
        f"/api/v1/admin/partners/{world.partner_id}/suspend",
        json={"reason": "Keluhan orang tua sedang diperiksa."},
        headers=dukcapil,
    )
    assert suspended.json()["status"] == "suspended"
    assert (await client.get("/api/v1/catalog/offers")).json() == []
    reinstated = await client.post(
        f"/api/v1/admin/partners/{world.partner_id}/reinstate",
        json={"reason": "Keluhan selesai."},
        headers=dukcapil,
    )
    assert reinstated.json()["status"] == "approved"
    assert len((await client.get("/api/v1/catalog/offers")).json()) == 1


async def test_every_decision_is_in_the_audit_log(client, create_staff):
    from core.tables import AuditEvent
    from tests.helpers import approved_partner, published_offer

    dukcapil = await dukcapil_headers(client, create_staff)
    world = await approved_partner(client, dukcapil)
    offer = await published_offer(client, world)
    await client.post(
        f"/api/v1/admin/offers/{offer['id']}/suspend", json={"reason": "Syarat tidak jelas."}, headers=dukcapil
    )
    actions = {row["action"] for row in await AuditEvent.select(AuditEvent.action)}
    assert {
        "partner.registered",
        "partner.approved",
        "outlet.created",
        "staff_user.created",
        "offer.created",
        "offer.submitted",
        "offer.published",
        "offer.suspended",
    } <= actions
