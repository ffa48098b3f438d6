"""How to get a KIA: a kabupaten/kota's Dukcapil writes its counter, hours and channels on /admin/panduan-kia, and
parents read them under the documents Permendagri 2/2016 asks for, by age, at /cara-mendapat-kia/{kode}."""

from __future__ import annotations

import html
import re

from tests.admin.test_review_pages import form_token
from tests.core.test_pages import page_client, sign_in

GUIDE = {
    "office_name": "Dinas Dukcapil Kota Bengkulu",
    "address": "Jl. Basuki Rahmat No. 1, Kota Bengkulu",
    "hours": "Senin–Kamis 08.00–15.00\nJumat 08.00–11.30",
    "channels": "WhatsApp 0812-0000-0000\nhttps://dukcapil.bengkulukota.go.id",
    "notes": "Bawa anak bila usianya 5 tahun ke atas untuk foto di tempat.",
}


async def test_an_office_writes_its_guide_and_parents_read_it_under_the_requirements(make_client, create_staff):
    await create_staff("dukcapil.kota", "dukcapil_admin", region="17.71")
    clerk = await page_client(make_client)
    await sign_in(clerk, "dukcapil.kota")
    token = await form_token(clerk, "/admin/panduan-kia/")
    saved = await clerk.post("/admin/panduan-kia/", data={"_csrf_token": token, **GUIDE})
    assert saved.status_code == 303

    parent = await page_client(make_client)
    index = await parent.get("/cara-mendapat-kia")
    assert index.status_code == 200
    assert 'href="/cara-mendapat-kia/17.71"' in index.text
    page = await parent.get("/cara-mendapat-kia/17.71")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for expected in ("Anak di bawah 5 tahun", "Anak 5 sampai 17 tahun", "Pas foto anak berwarna ukuran 2 × 3 cm",
                     "Kartu Keluarga (KK) asli", "Permendagri No. 2 Tahun 2016", "Jl. Basuki Rahmat No. 1",
                     "Jumat 08.00–11.30", "WhatsApp 0812-0000-0000", "Bawa anak bila usianya 5 tahun"):  # fmt: skip
        assert expected in text, expected
    assert 'property="og:title" content="Cara mendapatkan KIA di' in page.text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", re.sub(r"<[^>]+>", "", page.text))  # dates in Indonesian, not ISO


async def test_a_wrong_guide_changes_nothing_and_another_office_writes_only_its_own(make_client, create_staff):
    await create_staff("dukcapil.kota", "dukcapil_admin", region="17.71")
    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    clerk = await page_client(make_client)
    await sign_in(clerk, "dukcapil.kota")
    token = await form_token(clerk, "/admin/panduan-kia/")
    wrong = await clerk.post("/admin/panduan-kia/", data={"_csrf_token": token, **GUIDE, "address": ""})
    assert wrong.status_code == 422
    assert (await (await page_client(make_client)).get("/cara-mendapat-kia/17.71")).status_code == 404

    other = await page_client(make_client)
    await sign_in(other, "dukcapil.rl")
    token = await form_token(other, "/admin/panduan-kia/")
    await other.post(
        "/admin/panduan-kia/", data={"_csrf_token": token, **GUIDE, "office_name": "Dukcapil Rejang Lebong"}
    )
    parent = await page_client(make_client)
    assert (await parent.get("/cara-mendapat-kia/17.71")).status_code == 404  # its own city only
    assert "Dukcapil Rejang Lebong" in (await parent.get("/cara-mendapat-kia/17.02")).text
