"""A partner manager runs their staff and their till keys on the pages: a cashier account that really signs in (and
stops signing in once disabled), and an API key shown once, working until it is revoked."""

from __future__ import annotations

import re

from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD, approved_partner

KEY = re.compile(r"mkia_[0-9a-f]{10}_[A-Za-z0-9_-]{20,}")


async def manager_page(make_client, username: str = "pelangi.manajer"):
    client = await page_client(make_client)
    signed_in = await sign_in(client, username)
    assert signed_in.status_code == 303
    return client


async def token_of(client, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


async def staff_usernames(till) -> list[str]:
    listed = await till.client.get(till.world.url("/staff"), headers=till.world.manager)
    return sorted(member["username"] for member in listed.json())


async def test_a_refused_cashier_form_says_why_next_to_each_field_and_creates_nobody(make_client, till):
    client = await manager_page(make_client)
    form = await client.get("/mitra/staf/baru")
    assert "Pelangi Pasar Baru" in form.text  # the partner's active outlet to choose
    token = CSRF.search(form.text).group(1)
    before = await staff_usernames(till)

    refused = await client.post(
        "/mitra/staf/baru",
        data={"_csrf_token": token, "username": "Kasir Baru!", "display_name": "Budi", "password": "rahasia-sekali-1",
              "password_confirm": "rahasia-sekali-2", "outlet_id": till.world.outlet_id, "role": "cashier"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'aria-describedby="username-help username-problem" aria-invalid="true"' in refused.text
    assert 'id="username-problem">3–64 karakter: huruf kecil, angka' in refused.text
    assert (
        'id="password_confirm-problem">Kedua kata sandi tidak sama. Ketik kata sandi yang sama dua kali.'
        in refused.text
    )
    assert 'value="Budi"' in refused.text  # what was typed stays…
    assert "rahasia-sekali" not in refused.text  # …except the passwords
    assert await staff_usernames(till) == before

    short = await client.post(
        "/mitra/staf/baru",
        data={"_csrf_token": token, "username": "pelangi.kasir2", "display_name": "Budi", "password": "pendek",
              "password_confirm": "pendek", "outlet_id": till.world.outlet_id, "role": "cashier"},
    )  # fmt: skip
    assert short.status_code == 422
    assert 'id="password-problem">Kata sandi minimal 10 karakter.' in short.text
    no_outlet = await client.post(
        "/mitra/staf/baru",
        data={"_csrf_token": token, "username": "pelangi.kasir2", "display_name": "Budi", "password": PASSWORD,
              "password_confirm": PASSWORD, "outlet_id": "", "role": "cashier"},
    )  # fmt: skip
    assert no_outlet.status_code == 422
    assert 'id="outlet_id-problem">Kasir harus terikat pada satu outlet mitra ini.' in no_outlet.text
    assert await staff_usernames(till) == before


async def test_a_new_cashier_signs_in_until_disabled_and_again_once_enabled(make_client, till):
    client = await manager_page(make_client)
    token = await token_of(client, "/mitra/staf/baru")
    created = await client.post(
        "/mitra/staf/baru",
        data={"_csrf_token": token, "username": "pelangi.kasir2", "display_name": "Budi (kasir pagi)",
              "password": PASSWORD, "password_confirm": PASSWORD, "outlet_id": till.world.outlet_id, "role": "cashier"},
    )  # fmt: skip
    assert (created.status_code, created.headers["location"]) == (303, "/mitra/staf?ok=staf-dibuat")
    listing = await client.get("/mitra/staf?ok=staf-dibuat")
    assert "Akun dibuat." in listing.text
    row = listing.text.split("pelangi.kasir2")[1].split("</tr>")[0]
    assert "Budi (kasir pagi)" in row
    assert "Pelangi Pasar Baru" in row
    assert "Kasir" in row
    assert "Aktif" in row

    cashier = await page_client(make_client)
    landed = await sign_in(cashier, "pelangi.kasir2")
    assert (landed.status_code, landed.headers["location"]) == (303, "/kasir")

    member_id = re.search(r'href="/mitra/staf/([0-9a-f-]{36})/nonaktifkan">Nonaktifkan<span class="visually-hidden"> '
                          r"pelangi.kasir2", listing.text).group(1)  # fmt: skip
    confirm = await client.get(f"/mitra/staf/{member_id}/nonaktifkan")
    assert confirm.status_code == 200
    assert "Budi (kasir pagi) (pelangi.kasir2)" in confirm.text
    assert "Akun ini tidak dapat masuk lagi" in confirm.text
    token = CSRF.search(confirm.text).group(1)
    disabled = await client.post(f"/mitra/staf/{member_id}/nonaktifkan", data={"_csrf_token": token})
    assert (disabled.status_code, disabled.headers["location"]) == (303, "/mitra/staf?ok=staf-dinonaktifkan")
    listing = await client.get("/mitra/staf?ok=staf-dinonaktifkan")
    assert "Akun dinonaktifkan" in listing.text
    assert "Nonaktif" in listing.text.split("pelangi.kasir2")[1].split("</tr>")[0]
    assert (await cashier.get("/masuk")).status_code == 200  # the open session ended: the form shows again
    assert (await sign_in(await page_client(make_client), "pelangi.kasir2")).status_code == 401

    enabled = await client.post(f"/mitra/staf/{member_id}/aktifkan", data={"_csrf_token": token})
    assert (enabled.status_code, enabled.headers["location"]) == (303, "/mitra/staf?ok=staf-diaktifkan")
    assert (await sign_in(await page_client(make_client), "pelangi.kasir2")).headers["location"] == "/kasir"


async def test_a_manager_resets_a_password_and_cannot_disable_themselves(make_client, till):
    client = await manager_page(make_client)
    staff = (await till.client.get(till.world.url("/staff"), headers=till.world.manager)).json()
    kasir = next(m["id"] for m in staff if m["username"] == "pelangi.kasir")
    me = next(m["id"] for m in staff if m["username"] == "pelangi.manajer")

    page = await client.get(f"/mitra/staf/{kasir}")
    assert page.status_code == 200
    assert "Ganti kata sandi" in page.text
    token = CSRF.search(page.text).group(1)
    differ = await client.post(
        f"/mitra/staf/{kasir}/kata-sandi",
        data={"_csrf_token": token, "password": "sandi-baru-123", "password_confirm": "x"},
    )
    assert differ.status_code == 422
    assert 'id="password_confirm-problem">Kedua kata sandi tidak sama.' in differ.text
    assert (await sign_in(await page_client(make_client), "pelangi.kasir")).status_code == 303  # unchanged

    reset = await client.post(f"/mitra/staf/{kasir}/kata-sandi", data={
        "_csrf_token": token, "password": "sandi-baru-123", "password_confirm": "sandi-baru-123"})  # fmt: skip
    assert (reset.status_code, reset.headers["location"]) == (303, "/mitra/staf?ok=sandi-direset")
    assert (await sign_in(await page_client(make_client), "pelangi.kasir")).status_code == 401
    again = await sign_in(await page_client(make_client), "pelangi.kasir", password="sandi-baru-123")
    assert again.headers["location"] == "/kasir"

    own = await client.post(f"/mitra/staf/{me}/nonaktifkan", data={"_csrf_token": token})
    assert own.status_code == 403
    assert "Tidak dapat menonaktifkan akun sendiri" in own.text
    assert (await client.get("/mitra/staf")).status_code == 200  # still signed in

    other = await approved_partner(till.client, till.world.dukcapil, name="Kolam Renang Contoh", slug="kolam")
    assert other.partner_id != till.world.partner_id
    kolam = await manager_page(make_client, "kolam.manajer")
    assert (await kolam.get(f"/mitra/staf/{kasir}")).status_code == 404
    assert (await kolam.get(f"/mitra/staf/{kasir}/nonaktifkan")).status_code == 404
    kolam_token = await token_of(kolam, "/mitra/staf")
    assert (await kolam.post(f"/mitra/staf/{kasir}/nonaktifkan", data={"_csrf_token": kolam_token})).status_code == 404
    assert "pelangi.kasir" not in (await kolam.get("/mitra/staf")).text


async def test_an_api_key_is_shown_once_works_and_stops_when_revoked(make_client, till):
    client = await manager_page(make_client)
    form = await client.get("/mitra/kunci-api/baru")
    assert "Pelangi Pasar Baru" in form.text
    token = CSRF.search(form.text).group(1)

    refused = await client.post("/mitra/kunci-api/baru", data={"_csrf_token": token, "name": "",
                                                               "outlet_id": till.world.outlet_id})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="name-problem">' in refused.text
    no_scope = await client.post("/mitra/kunci-api/baru", data={"_csrf_token": token, "name": "Mesin kasir 1",
                                                                "outlet_id": till.world.outlet_id})  # fmt: skip
    assert no_scope.status_code == 422
    assert 'id="scopes-problem">Pilih minimal satu izin: scan, redeem.' in no_scope.text
    assert (await till.client.get(till.world.url("/api-keys"), headers=till.world.manager)).json() == []

    created = await client.post(
        "/mitra/kunci-api/baru",
        data={"_csrf_token": token, "name": "Mesin kasir 1", "outlet_id": till.world.outlet_id, "scope.scan": "on",
              "scope.redeem": "on"},
    )  # fmt: skip
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    assert "tidak akan ditampilkan lagi" in created.text
    key = KEY.search(created.text).group(0)
    assert key not in created.headers.get("location", "")

    listing = await client.get("/mitra/kunci-api")
    assert "Mesin kasir 1" in listing.text
    assert "_".join(key.split("_")[:2]) in listing.text  # the prefix identifies it…
    assert key not in listing.text  # …the key itself is never shown again
    assert KEY.search(listing.text) is None
    assert "belum pernah" in listing.text

    me = await till.client.get("/api/v1/partners/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["outlet"]["id"] == till.world.outlet_id
    used = await client.get("/mitra/kunci-api")
    assert "WIB" in used.text.split("Mesin kasir 1")[1].split("</tr>")[0]  # last used, in WIB

    key_id = re.search(r'href="/mitra/kunci-api/([0-9a-f-]{36})/cabut"', listing.text).group(1)
    other = await approved_partner(till.client, till.world.dukcapil, name="Kolam Renang Contoh", slug="kolam")
    assert other.partner_id
    kolam = await manager_page(make_client, "kolam.manajer")
    kolam_token = await token_of(kolam, "/mitra/kunci-api")
    assert (await kolam.get(f"/mitra/kunci-api/{key_id}/cabut")).status_code == 404
    assert (await kolam.post(f"/mitra/kunci-api/{key_id}/cabut", data={"_csrf_token": kolam_token})).status_code == 404
    assert "Mesin kasir 1" not in (await kolam.get("/mitra/kunci-api")).text
    assert (await till.client.get("/api/v1/partners/me", headers={"X-API-Key": key})).status_code == 200

    confirm = await client.get(f"/mitra/kunci-api/{key_id}/cabut")
    assert confirm.status_code == 200
    assert "Mesin kasir yang memakai kunci ini langsung ditolak" in confirm.text
    assert key not in confirm.text
    revoked = await client.post(f"/mitra/kunci-api/{key_id}/cabut", data={"_csrf_token": token})
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/mitra/kunci-api?ok=kunci-dicabut")
    after = await client.get("/mitra/kunci-api?ok=kunci-dicabut")
    assert "Kunci dicabut" in after.text
    assert "Dicabut" in after.text.split("Mesin kasir 1")[1].split("</tr>")[0]
    assert f"/mitra/kunci-api/{key_id}/cabut" not in after.text
    assert (await till.client.get("/api/v1/partners/me", headers={"X-API-Key": key})).status_code == 401


async def test_the_pages_are_for_a_partner_manager_only(make_client, till):
    cashier = await page_client(make_client)
    await sign_in(cashier, "pelangi.kasir")
    for path in ("/mitra/staf", "/mitra/staf/baru", "/mitra/kunci-api", "/mitra/kunci-api/baru"):
        assert (await cashier.get(path)).status_code == 403
    stranger = await page_client(make_client)
    assert (await stranger.get("/mitra/kunci-api")).headers["location"] == "/masuk?next=/mitra/kunci-api"


async def test_english_staff_and_key_pages(make_client, till):
    client = await manager_page(make_client)
    await client.get("/bahasa", params={"to": "en", "next": "/mitra/staf"})
    staff = await client.get("/mitra/staf")
    assert "Add a cashier" in staff.text
    assert "Cashier" in staff.text
    form = await client.get("/mitra/kunci-api/baru")
    assert "Create an API key" in form.text
    assert "Scan: check a card and its offers" in form.text
