"""A merchant applies on /mitra/daftar and Dukcapil decides on /admin/mitra and /admin/penawaran: the reasons
reach the partner, a rejection asks for its reason first, an analyst reads but cannot decide."""

from __future__ import annotations

import re

import httpx

from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD, offer_body

REGISTRATION = {
    "partner.name": "Kolam Renang Ham Tian",
    "partner.category": "swimming_pool",
    "partner.contact_name": "Pak Hamdan",
    "partner.contact_phone": "0812 7300 1122",
    "partner.contact_email": "",
    "partner.business_id": "",
    "manager.display_name": "Hamdan",
    "manager.username": "hamtian.manajer",
    "manager.password": PASSWORD,
    "manager.password_again": PASSWORD,
    "city_code": "17.71",
}


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


async def register(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    token = await form_token(client, "/mitra/daftar/")
    return await client.post("/mitra/daftar/", data={"_csrf_token": token, **REGISTRATION, **changes})


def field_problem(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-problem" id="{re.escape(field)}-problem">([^<]+)</p>', html)
    assert found, f"no problem shown beside {field}"
    return found.group(1)


async def test_a_wrong_application_is_shown_beside_its_fields_and_creates_nothing(make_client, create_staff):
    merchant = await page_client(make_client)
    refused = await register(
        merchant,
        **{"manager.password_again": "something-else-1", "partner.contact_phone": "phone", "manager.username": "A"},
    )
    assert refused.status_code == 422
    assert "Kedua kata sandi tidak sama" in field_problem(refused.text, "manager.password_again")
    assert field_problem(refused.text, "manager.username")
    assert 'value="Kolam Renang Ham Tian"' in refused.text  # what was typed stays
    assert PASSWORD not in refused.text  # a password is never sent back

    await create_staff("dukcapil", "dukcapil_admin")
    clerk = await page_client(make_client)
    await sign_in(clerk, "dukcapil")
    queue = await clerk.get("/admin/mitra/")
    assert "Kolam Renang Ham Tian" not in queue.text
    assert "Tidak ada mitra dengan status ini." in queue.text


async def test_rejection_reason_reaches_the_partner_who_fixes_it_and_is_approved(make_client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")  # Kota Bengkulu's office, which the merchant applies to
    merchant = await page_client(make_client)
    registered = await register(merchant)
    assert registered.status_code == 303
    assert registered.headers["location"] == "/mitra?ok=terdaftar"  # signed in at once
    home = await merchant.get("/mitra/?ok=terdaftar")
    assert "Pendaftaran terkirim" in home.text
    assert "Menunggu keputusan Dukcapil" in home.text

    clerk = await page_client(make_client)
    await sign_in(clerk, "dukcapil")
    queue = await clerk.get("/admin/mitra/")
    partner_id = re.search(r'href="/admin/mitra/([0-9a-f-]{36})">Kolam Renang Ham Tian<', queue.text).group(1)

    # Rejecting asks first, and needs a reason the partner will read.
    confirm = await clerk.get(f"/admin/mitra/{partner_id}/tolak")
    assert "Yang akan terjadi" in confirm.text
    token = CSRF.search(confirm.text).group(1)
    no_reason = await clerk.post(f"/admin/mitra/{partner_id}/tolak", data={"_csrf_token": token, "reason": " "})
    assert no_reason.status_code == 409
    assert "alasan" in no_reason.text.lower()
    assert "Menunggu keputusan" in (await clerk.get(f"/admin/mitra/{partner_id}")).text
    rejected = await clerk.post(
        f"/admin/mitra/{partner_id}/tolak", data={"_csrf_token": token, "reason": "Lengkapi NIB usaha Anda."}
    )
    assert rejected.status_code == 303

    home = await merchant.get("/mitra/")
    assert "Perlu perbaikan" in home.text
    assert "Lengkapi NIB usaha Anda." in home.text
    token = await form_token(merchant, "/mitra/profil/")
    fixed = {key.removeprefix("partner."): value for key, value in REGISTRATION.items() if key.startswith("partner.")}
    saved = await merchant.post("/mitra/profil/", data={"_csrf_token": token, **fixed, "business_id": "9120301234567"})
    assert saved.status_code == 303
    again = await merchant.post("/mitra/profil/ajukan-ulang", data={"_csrf_token": token})
    assert again.headers["location"] == "/mitra?ok=diajukan-ulang"

    detail = await clerk.get(f"/admin/mitra/{partner_id}")
    assert "9120301234567" in detail.text
    token = CSRF.search(detail.text).group(1)
    approved = await clerk.post(
        f"/admin/mitra/{partner_id}/setujui", data={"_csrf_token": token, "agreement_number": "PKS/014/2026"}
    )
    assert approved.status_code == 303
    detail = await clerk.get(approved.headers["location"])
    assert "Mitra disetujui" in detail.text
    assert "PKS/014/2026" in detail.text
    assert "Status pendaftaran" not in (await merchant.get("/mitra/")).text

    # The number is corrected after approval (a typo in the signed agreement's number), and the change is audited.
    token = CSRF.search(detail.text).group(1)
    wrong = await clerk.post(f"/admin/mitra/{partner_id}/pks", data={"_csrf_token": token, "agreement_number": "<>"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text
    corrected = await clerk.post(
        f"/admin/mitra/{partner_id}/pks", data={"_csrf_token": token, "agreement_number": "PKS/041/2026"}
    )
    assert corrected.headers["location"] == f"/admin/mitra/{partner_id}?ok=pks-disimpan"
    detail = await clerk.get(corrected.headers["location"])
    assert ("Nomor PKS disimpan." in detail.text, "PKS/041/2026" in detail.text) == (True, True)
    assert "PKS/014/2026" not in detail.text
    audit = await clerk.get("/admin/audit")
    assert "Nomor PKS mitra dicatat" in audit.text


async def test_dukcapil_publishes_a_submitted_offer_into_the_catalog(make_client, create_staff):
    from tests.helpers import approved_partner, dukcapil_headers

    api = await make_client()
    world = await approved_partner(api, await dukcapil_headers(api, create_staff), name="Queen Aviari", slug="aviari")
    created = await api.post(world.url("/offers"), json=offer_body(title="Tiket masuk gratis"), headers=world.manager)
    offer_id = created.json()["id"]
    await api.post(world.url(f"/offers/{offer_id}/submit"), headers=world.manager)

    await create_staff("analis", "dukcapil_analyst")
    analyst = await page_client(make_client)
    await sign_in(analyst, "analis")
    queue = await analyst.get("/admin/penawaran/")
    assert "Tiket masuk gratis" in queue.text
    page = await analyst.get(f"/admin/penawaran/{offer_id}")
    assert page.status_code == 200
    assert "Setujui dan tayangkan" not in page.text  # an analyst reads; only an admin decides
    token = CSRF.search(page.text).group(1)
    assert (await analyst.post(f"/admin/penawaran/{offer_id}/setujui", data={"_csrf_token": token})).status_code == 403

    clerk = await page_client(make_client)
    await sign_in(clerk, "dukcapil")
    assert "Tiket masuk gratis" not in (await api.get("/penawaran")).text
    page = await clerk.get(f"/admin/penawaran/{offer_id}")
    assert "Diskon 10% maks. Rp50.000" in page.text
    token = CSRF.search(page.text).group(1)
    published = await clerk.post(f"/admin/penawaran/{offer_id}/setujui", data={"_csrf_token": token})
    assert published.status_code == 303
    assert "Tayang" in (await clerk.get(published.headers["location"])).text
    assert "Tiket masuk gratis" in (await api.get("/penawaran")).text

    # Suspending asks first; afterwards the catalog no longer offers it.
    confirm = await clerk.get(f"/admin/penawaran/{offer_id}/tangguhkan")
    token = CSRF.search(confirm.text).group(1)
    suspended = await clerk.post(
        f"/admin/penawaran/{offer_id}/tangguhkan", data={"_csrf_token": token, "reason": "Keluhan orang tua."}
    )
    assert suspended.status_code == 303
    assert "Tiket masuk gratis" not in (await api.get("/penawaran")).text
    assert (await clerk.get("/admin/penawaran/00000000-0000-0000-0000-000000000000")).status_code == 404
