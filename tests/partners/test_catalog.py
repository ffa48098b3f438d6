"""The public catalog and its pages: what a parent sees, and poster QR codes that a phone can read."""

from __future__ import annotations

import pytest
import resvg_py

from tests.helpers import approved_partner, dukcapil_headers, offer_body, outlet_body, published_offer, read_qr_codes


def decode(png: bytes) -> list[str]:
    return read_qr_codes(png)


@pytest.fixture
async def catalog(client, create_staff):
    dukcapil = await dukcapil_headers(client, create_staff)
    books = await approved_partner(client, dukcapil)
    pool = await approved_partner(client, dukcapil, name="Kolam Renang Tirta", slug="tirta")
    panorama = await client.post(
        pool.url("/outlets"), json=outlet_body("Tirta Panorama", "17.71.09.1001"), headers=pool.manager
    )
    book_offer = await published_offer(client, books, title="Diskon buku 10%", terms="Contoh ilustratif.")
    pool_offer = await published_offer(
        client,
        pool,
        title="Gratis masuk kolam",
        category="swimming_pool",
        description="Anak usia 3 sampai 12 tahun masuk gratis pada hari kerja.",
        benefit={"type": "free_entry", "value": 25_000},
        age_min=3,
        age_max=12,
        weekdays=[1, 2, 3, 4, 5],
        outlet_ids=[panorama.json()["id"]],
        limits=[{"period": "day", "count": 1}],
    )
    draft = await client.post(books.url("/offers"), json=offer_body(title="Masih draf"), headers=books.manager)
    return {"books": book_offer, "pool": pool_offer, "draft": draft.json()}


async def test_catalog_lists_only_published_offers(client, catalog):
    listed = (await client.get("/api/v1/catalog/offers")).json()
    assert {o["title"] for o in listed} == {"Diskon buku 10%", "Gratis masuk kolam"}
    assert (await client.get(f"/api/v1/catalog/offers/{catalog['draft']['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"category": "swimming_pool"}, {"Gratis masuk kolam"}),
        ({"kecamatan": "17.71.09"}, {"Gratis masuk kolam"}),
        ({"kecamatan": "17.71.03"}, {"Diskon buku 10%"}),
        ({"age": 2}, {"Diskon buku 10%"}),
        ({"age": 12}, {"Diskon buku 10%", "Gratis masuk kolam"}),
        ({"q": "KOLAM"}, {"Gratis masuk kolam"}),
        ({"q": "pelangi"}, {"Diskon buku 10%"}),
        ({"category": "food"}, set()),
    ],
)
async def test_catalog_filters(client, catalog, params, titles):
    listed = (await client.get("/api/v1/catalog/offers", params=params)).json()
    assert {o["title"] for o in listed} == titles


async def test_bad_filter_is_a_field_problem(client, catalog):
    response = await client.get("/api/v1/catalog/offers", params={"age": 30})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "age"


async def test_penawaran_page_speaks_indonesian_and_rupiah(client, catalog):
    page = await client.get("/penawaran")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="id">' in html
    assert "Penawaran untuk pemegang KIA" in html
    assert "Diskon 10% maks. Rp50.000" in html
    assert "Gratis masuk" in html
    assert "Kolam renang" in html  # category label
    assert "Singaran Pati" in html  # kecamatan filter choice

    detail = (await client.get(f"/penawaran/{catalog['pool']['id']}")).text
    assert "Rp25.000" in detail
    assert "Senin, Selasa, Rabu, Kamis, Jumat" in detail
    assert "3–12 tahun" in detail
    assert "Tirta Panorama" in detail
    assert "Kec. Singaran Pati" in detail
    assert "NIK" in detail  # the page tells parents which data is never shared


async def test_pages_carry_security_headers_and_no_inline_script(client, catalog):
    page = await client.get("/penawaran")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text


async def test_unknown_offer_page_is_an_html_404_for_browsers(client, catalog):
    response = await client.get(
        "/penawaran/00000000-0000-4000-8000-000000000000", headers={"Accept": "text/html,application/xhtml+xml"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Penawaran tidak ditemukan" in response.text


async def test_poster_png_decodes_to_the_public_page(client, catalog, settings):
    offer_id = catalog["books"]["id"]
    response = await client.get(f"/api/v1/catalog/offers/{offer_id}/poster.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert decode(response.content) == [f"{settings.public_base_url}/penawaran/{offer_id}"]
    # The address really opens the offer's page.
    path = decode(response.content)[0].removeprefix(settings.public_base_url)
    assert "Diskon buku 10%" in (await client.get(path)).text


async def test_poster_svg_decodes_to_the_public_page(client, catalog, settings):
    offer_id = catalog["pool"]["id"]
    response = await client.get(f"/api/v1/catalog/offers/{offer_id}/poster.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    png = bytes(resvg_py.svg_to_bytes(svg_string=response.text, dpi=300, background="#ffffff"))
    assert decode(png) == [f"{settings.public_base_url}/penawaran/{offer_id}"]


async def test_no_poster_for_an_unpublished_offer(client, catalog):
    response = await client.get(f"/api/v1/catalog/offers/{catalog['draft']['id']}/poster.png")
    assert response.status_code == 404
