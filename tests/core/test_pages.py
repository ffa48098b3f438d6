"""Signing in to the consoles' pages: a session cookie that scripts cannot read, CSRF on every form, redirects that
stay on this site, a role per console, and a session that signing out really ends."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import login
from tests.helpers import PASSWORD, approved_partner, published_offer
from tests.till import into_last_month

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def page_client(make_client) -> httpx.AsyncClient:
    client = await make_client()
    client.base_url = httpx.URL("https://testserver")  # the session cookie is Secure: sent over HTTPS only
    return client


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, next: str = "/"
) -> httpx.Response:
    form = await client.get("/masuk", params={"next": next})
    assert form.headers["content-type"] == "text/html; charset=utf-8"
    token = CSRF.search(form.text).group(1)
    return await client.post(
        "/masuk", data={"_csrf_token": token, "username": username, "password": password, "next": next}
    )


async def test_a_page_sends_a_stranger_to_sign_in_and_back(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    first = await client.get("/admin/?kecamatan=17.71.03")
    assert first.status_code == 303
    assert first.headers["location"] == "/masuk?next=/admin%3Fkecamatan%3D17.71.03"

    signed_in = await sign_in(client, "dukcapil", next="/admin/?kecamatan=17.71.03")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/admin/?kecamatan=17.71.03"
    cookie = next(v for k, v in signed_in.headers.multi_items() if k == "set-cookie" and "mitrakia_session" in v)
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    page = await client.get("/admin/")
    assert page.status_code == 200
    assert "Cakupan KIA Kota Bengkulu" in page.text


async def test_wrong_password_and_missing_csrf_token_sign_nobody_in(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    wrong = await sign_in(client, "dukcapil", password="not-the-password")
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "text/html; charset=utf-8"
    assert "Nama pengguna atau kata sandi salah" in wrong.text
    assert "mitrakia_session" not in wrong.headers.get("set-cookie", "")

    forged = await client.post("/masuk", data={"username": "dukcapil", "password": PASSWORD, "next": "/"})
    assert forged.status_code == 403
    assert "mitrakia_session" not in forged.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
async def test_sign_in_never_redirects_off_site(make_client, create_staff, target):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    response = await sign_in(client, "dukcapil", next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


async def test_each_console_is_for_its_role_and_the_api_needs_the_csrf_token_with_the_cookie(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("kasir", "cashier")
    await sign_in(client, "kasir")
    assert (await client.get("/admin/")).status_code == 403
    assert (await client.get("/mitra/")).status_code == 403
    await create_staff("analis", "dukcapil_analyst")
    analyst = await page_client(make_client)
    await sign_in(analyst, "analis")
    assert (await analyst.get("/admin/")).status_code == 200
    # One authentication: the API takes the browser's session too (the cashier app signed in at /masuk uses it), but
    # a change made with the cookie needs the page's CSRF token, which a cross-site form cannot have.
    assert (await analyst.get("/api/v1/admin/reports/coverage")).status_code == 200
    forged = await analyst.post("/api/v1/auth/logout")
    assert (forged.status_code, forged.json()["code"]) == (403, "forbidden")
    assert (await analyst.get("/api/v1/auth/me")).status_code == 200  # still signed in
    token = CSRF.search((await analyst.get("/admin/")).text).group(1)
    out = await analyst.post("/api/v1/auth/logout", headers={"X-CSRFToken": token})
    assert out.status_code == 204
    assert (await analyst.get("/api/v1/auth/me")).status_code == 401


async def test_signing_out_ends_the_session_even_for_a_copied_cookie(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    await sign_in(client, "dukcapil")
    stolen = client.cookies.get("mitrakia_session")
    page = await client.get("/admin/")
    token = CSRF.search(page.text).group(1)
    out = await client.post("/keluar", data={"_csrf_token": token})
    assert out.status_code == 303
    replay = await page_client(make_client)
    replay.cookies.set("mitrakia_session", stolen, domain="testserver.local")
    replay.cookies.set("mitrakia_session", stolen)
    assert (await replay.get("/admin/")).status_code == 303


async def test_a_partner_manager_sees_only_their_own_dashboard(make_client, create_staff, till):
    offer = await till.offer(title="Diskon buku Pelangi", limits=[])
    for _ in range(6):
        assert (await till.redeem(await till.card(), offer["id"], purchase=50_000)).status_code == 201
    await into_last_month()  # a partner's figures are closed days and months only
    other = await approved_partner(till.client, till.world.dukcapil, name="Kolam Renang Contoh", slug="kolam")
    await published_offer(till.client, other, title="Gratis masuk kolam")

    pelangi = await page_client(make_client)
    await sign_in(pelangi, "pelangi.manajer")
    mine = await pelangi.get("/mitra/")
    assert mine.status_code == 200
    assert "Toko Buku Pelangi" in mine.text
    assert "Diskon buku Pelangi" in mine.text
    assert "Kolam Renang Contoh" not in mine.text
    download = await pelangi.get("/mitra/unduh/per-penawaran.csv")
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "month,offer,label,redemptions,unique_children,discount_rupiah"
    assert [line.split(",")[2:5] for line in lines[1:]] == [["Diskon buku Pelangi", "6", "6"]]

    kolam = await page_client(make_client)
    await sign_in(kolam, "kolam.manajer")
    theirs = await kolam.get("/mitra/")
    assert "Kolam Renang Contoh" in theirs.text
    assert "Diskon buku Pelangi" not in theirs.text
    empty = (await kolam.get("/mitra/unduh/per-penawaran.csv")).content.decode("utf-8-sig")
    assert "Pelangi" not in empty


async def test_small_groups_are_hidden_on_the_partner_dashboard(make_client, till):
    offer = await till.offer(title="Diskon buku Pelangi", limits=[])
    for _ in range(3):
        assert (await till.redeem(await till.card(), offer["id"], purchase=50_000)).status_code == 201
    await into_last_month()
    client = await page_client(make_client)
    await sign_in(client, "pelangi.manajer")
    download = await client.get("/mitra/unduh/per-penawaran.csv")
    assert download.status_code == 200, download.text
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[1].split(",")[2:] == ["Diskon buku Pelangi", "<5", "<5", ""]


async def test_english_on_request(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    await sign_in(client, "dukcapil")
    switched = await client.get("/bahasa", params={"to": "en", "next": "/admin/"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/admin/"
    page = await client.get("/admin/")
    assert '<html lang="en">' in page.text
    assert "KIA coverage, Kota Bengkulu" in page.text
    assert "Cakupan KIA Kota Bengkulu" not in page.text


def test_every_page_text_has_its_english():
    from pathlib import Path

    from core.web import english_catalog

    layers = [Path(layer) / "templates" for layer in ("core", "partners", "verification", "admin")]
    catalog = english_catalog(layers)
    call = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")  # `_("…")` and `_("… {n} …", n=…)`
    used = {
        match.group(2)
        for layer in layers
        for page in layer.rglob("*.html")
        for match in call.finditer(page.read_text())
    }
    assert len(used) > 90
    assert sorted(used - set(catalog)) == []


async def test_dukcapil_records_population_and_targets_on_the_page(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    await sign_in(client, "dukcapil")
    page = await client.get("/admin/penduduk/")
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)

    wrong = await client.post(
        "/admin/penduduk/angka",
        data={"_csrf_token": token, "region_code": "17.71", "as_of": "31-10-2024", "children": "115.109"},
    )
    assert wrong.status_code == 422
    assert 'aria-invalid="true" aria-describedby="as_of-problem"' in wrong.text
    assert "Tanggal tidak valid (YYYY-MM-DD)." in wrong.text
    assert 'value="115.109"' in wrong.text  # what was typed stays

    saved = await client.post(
        "/admin/penduduk/angka",
        data={"_csrf_token": token, "region_code": "17.71", "as_of": "2024-10-31", "children": "115.109",
              "source": "DKB semester II 2024"},
    )  # fmt: skip
    assert (saved.status_code, saved.headers["location"]) == (303, "/admin/penduduk?tersimpan=angka")

    csv_file = "region_code,as_of,children_0_16,source\n17.71.01,2024-10-31,12000,DKB\n17.71.99,2024-10-31,5,DKB\n"
    refused = await client.post(
        "/admin/penduduk/impor", data={"_csrf_token": token}, files={"file": ("angka.csv", csv_file, "text/csv")}
    )
    assert refused.status_code == 422
    assert "baris 3.region_code: Kode wilayah tidak dikenal." in refused.text  # nothing saved, the row named
    good = csv_file.replace("17.71.99", "17.71.02")
    imported = await client.post(
        "/admin/penduduk/impor", data={"_csrf_token": token}, files={"file": ("angka.csv", good, "text/csv")}
    )
    assert imported.headers["location"] == "/admin/penduduk?tersimpan=impor-2"

    target = await client.post(
        "/admin/penduduk/target",
        data={"_csrf_token": token, "year": "2026", "target_percent": "65,5", "source": "SK", "region_code": "17.71"},
    )
    assert target.status_code == 303
    shown = await client.get("/admin/penduduk/?tersimpan=target")
    assert "Tersimpan." in shown.text
    history = shown.text.split('id="figures-table"')[1].split('id="targets-table"')[0]
    assert history.count("<tr><td>") == 3
    assert "115.109" in history
    assert "DKB semester II 2024" in history
    assert "65,5%" in shown.text.split('id="targets-table"')[1]

    api = await login(client, "dukcapil", PASSWORD)
    coverage = await client.get("/api/v1/admin/reports/coverage", params={"as_of": "2024-10-31"}, headers=api)
    assert coverage.json()["eligible_children"] == 115_109


async def test_an_analyst_reads_population_but_cannot_change_it(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("analis", "dukcapil_analyst")
    await sign_in(client, "analis")
    page = await client.get("/admin/penduduk/")
    assert page.status_code == 200
    assert 'action="/admin/penduduk/angka"' not in page.text
    token = CSRF.search(page.text).group(1)
    posted = await client.post(
        "/admin/penduduk/angka",
        data={"_csrf_token": token, "region_code": "17.71", "as_of": "2024-10-31", "children": "5"},
    )
    assert posted.status_code == 403


async def test_a_manager_adds_and_edits_an_outlet_on_the_page(make_client, till):
    client = await page_client(make_client)
    await sign_in(client, "pelangi.manajer")
    form = await client.get("/mitra/outlet/baru")
    assert form.status_code == 200
    # Kelurahan of all Indonesia: a text field suggesting by name (region-search.js), not an 83,762-option list.
    assert '<input id="kelurahan_code" name="kelurahan_code" type="text"' in form.text
    assert '<script src="/static/js/region-search.js" defer></script>' in form.text
    assert 'data-region-within="kelurahan_city"' in form.text
    assert '<option value="17.71" selected>Kota Bengkulu</option>' in form.text  # where the search looks first
    assert "Pagar Dewa" not in form.text  # no kelurahan listed
    token = CSRF.search(form.text).group(1)
    fields = {"_csrf_token": token, "name": "Pelangi Panorama", "address": "Jl. Salak Raya 1", "kelurahan_code": "",
              "hours.mon.0.open": "09:00", "hours.mon.0.close": "08:00", "active": "on"}  # fmt: skip
    refused = await client.post("/mitra/outlet/baru", data=fields)
    assert refused.status_code == 422
    assert 'id="kelurahan_code-problem">Kode kelurahan tidak dikenal' in refused.text
    assert 'id="hours.mon.0-problem">Senin: Jam tutup harus setelah jam buka.' in refused.text
    assert 'value="Pelangi Panorama"' in refused.text

    fields.update({"kelurahan_code": "17.71.09.1001", "hours.mon.0.close": "17:00"})
    fields.update({"hours.sat.0.open": "09:00", "hours.sat.0.close": "12:00"})
    fields.update({"hours.sat.1.open": "13:00", "hours.sat.1.close": "21:00"})
    created = await client.post("/mitra/outlet/baru", data=fields)
    assert (created.status_code, created.headers["location"]) == (303, "/mitra/outlet?ok=outlet-dibuat")
    listing = await client.get("/mitra/outlet?ok=outlet-dibuat")
    assert "Outlet ditambahkan." in listing.text
    assert "Sab 09:00–12:00, 13:00–21:00" in listing.text
    assert "Sel tutup" in listing.text  # Tuesday left empty: closed

    outlets = (await till.client.get(till.world.url("/outlets"), headers=till.world.manager)).json()
    new = next(o for o in outlets if o["name"] == "Pelangi Panorama")
    assert new["opening_hours"]["sat"] == [{"open": "09:00", "close": "12:00"}, {"open": "13:00", "close": "21:00"}]
    edit = await client.get(f"/mitra/outlet/{new['id']}")
    assert 'value="13:00"' in edit.text
    assert 'value="17.71.09.1001"' in edit.text
    assert "Panorama — Kec. Singaran Pati, Kota Bengkulu" in edit.text
    edited = await client.post(f"/mitra/outlet/{new['id']}", data={**fields, "active": ""})
    assert edited.status_code == 303
    assert (await till.client.get(till.world.url(f"/outlets/{new['id']}"), headers=till.world.manager)).json()[
        "active"
    ] is False

    other = await page_client(make_client)
    await create_staff_and_sign_in(other, till, "kolam")
    assert (await other.get(f"/mitra/outlet/{new['id']}")).status_code == 404  # another partner's outlet


async def create_staff_and_sign_in(client, till, slug):
    await approved_partner(till.client, till.world.dukcapil, name=f"Mitra {slug}", slug=slug)
    await sign_in(client, f"{slug}.manajer")


def test_an_indonesian_text_has_one_english_across_the_layers():
    """The pages' catalogue is one dictionary: the same Indonesian text in two layers' english.json must agree, or
    one layer's page silently shows the other's English."""
    import json
    from pathlib import Path

    seen: dict[str, tuple[str, str]] = {}
    disagree = []
    for layer in ("core", "partners", "verification", "admin"):
        for indonesian, english in json.loads((Path(layer) / "templates" / "english.json").read_text()).items():
            first = seen.setdefault(indonesian, (layer, english))
            if first[1] != english:
                disagree.append((indonesian, first, (layer, english)))
    assert disagree == []
