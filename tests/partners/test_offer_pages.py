"""A partner manager's offers on /mitra/penawaran: the form with every rule and its live summary, the API's messages
beside the fields, submit, pause, resume and end (after a confirmation), Dukcapil's reasons, and poster links."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.browser import chromium, live_server, needs_chromium, screenshot
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD, PartnerWorld, approved_partner, dukcapil_headers, offer_body, today

SUMMARY = "Diskon 10% maks. Rp50.000, 1x per hari, 4x per bulan, usia 0–16, semua outlet"
LAPTOP = {"viewport": {"width": 1366, "height": 768}, "device_scale_factor": 1, "is_mobile": False, "has_touch": False}


async def console(make_client: Any, create_staff: Any) -> tuple[httpx.AsyncClient, PartnerWorld]:
    """An approved partner whose manager is signed in to the pages (the same client also calls the JSON API)."""
    client = await page_client(make_client)
    dukcapil = await dukcapil_headers(client, create_staff)
    world = await approved_partner(client, dukcapil)
    await sign_in(client, "pelangi.manajer")
    return client, world


async def token_of(client: httpx.AsyncClient, path: str = "/mitra/penawaran/baru") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)  # type: ignore[union-attr]


def offer_form(token: str, **changes: str) -> dict[str, str]:
    """The form as a manager fills it in: Indonesian thousands (50.000), 1 a day and 4 a month, every day."""
    return {
        "_csrf_token": token,
        "title": "Diskon buku 10%",
        "description": "Potongan 10% untuk semua buku anak bagi pemegang KIA.",
        "category": "bookstore",
        "benefit.type": "percent",
        "benefit.percent": "10%",
        "benefit.max_discount": "50.000",
        "benefit.amount": "7000",  # typed before switching to a percentage: another kind's field, not sent
        "valid_from": today().isoformat(),
        "age_min": "0",
        "age_max": "16",
        "outlets": "all",
        "limit.day": "1",
        "limit.month": "4",
        **{f"weekdays.{day}": "on" for day in range(1, 8)},
        **changes,
    }


async def api_offers(client: httpx.AsyncClient, world: PartnerWorld) -> list[dict[str, Any]]:
    response = await client.get(world.url("/offers"), headers=world.manager)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def created_offer(client: httpx.AsyncClient, world: PartnerWorld, **overrides: Any) -> str:
    created = await client.post(world.url("/offers"), json=offer_body(**overrides), headers=world.manager)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_bad_rule_is_shown_beside_its_field_and_nothing_is_created(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    token = await token_of(client)
    refused = await client.post(
        "/mitra/penawaran/baru", data=offer_form(token, **{"benefit.percent": "150", "limit.month": "0"})
    )
    assert refused.status_code == 422
    assert 'aria-describedby="benefit.percent-help benefit.percent-problem" aria-invalid="true"' in refused.text
    assert 'id="benefit.percent-problem">Persen diskon harus antara 1 dan 100.' in refused.text
    # limits[1].count in the API's words, shown beside the per-month field
    assert 'id="limit.month-problem">Batas per kartu: 1 sampai 1.000 kali.' in refused.text
    assert 'value="150"' in refused.text  # what was typed stays
    assert await api_offers(client, world) == []

    nowhere = await client.post("/mitra/penawaran/baru", data=offer_form(token, outlets="chosen"))
    assert nowhere.status_code == 422
    assert 'id="outlet_ids-problem">Centang minimal satu outlet, atau pilih Semua outlet.' in nowhere.text

    mistyped = await client.post("/mitra/penawaran/baru", data=offer_form(token, valid_from="besok"))
    assert mistyped.status_code == 422
    assert 'id="valid_from-problem"' in mistyped.text
    assert await api_offers(client, world) == []


async def test_a_good_offer_is_saved_as_a_draft_and_listed_with_its_summary(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    form = await client.get("/mitra/penawaran/baru")
    assert "Ringkasan muncul di sini setelah Anda mengisi manfaatnya." in form.text  # rendered on first load
    assert 'hx-post="/mitra/penawaran/ringkasan"' in form.text
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]

    saved = await client.post("/mitra/penawaran/baru", data=offer_form(token))
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/mitra/penawaran?ok=penawaran-dibuat")
    listing = await client.get(saved.headers["location"])
    assert "Penawaran disimpan sebagai draf." in listing.text
    assert "Diskon buku 10%" in listing.text
    assert "Draf" in listing.text
    assert SUMMARY in listing.text
    assert "Ajukan ke Dukcapil" in listing.text
    [offer] = await api_offers(client, world)
    assert offer["status"] == "draft"
    assert offer["rules"]["benefit"] == {"type": "percent", "percent": 10, "max_discount": 50_000}

    edit = await client.get(f"/mitra/penawaran/{offer['id']}")
    assert edit.status_code == 200
    assert SUMMARY in edit.text  # the summary beside the form, server-side
    changed = offer_form(token, **{"benefit.percent": "15", "quota": "200", "region.17.71.03": "on"})
    changed["outlets"] = "chosen"
    changed[f"outlet.{world.outlet_id}"] = "on"
    saved = await client.post(f"/mitra/penawaran/{offer['id']}", data=changed)
    assert saved.status_code == 303
    [offer] = await api_offers(client, world)
    assert offer["revision"] == 2
    assert offer["rules"]["regions"] == ["17.71.03"]
    assert offer["rules"]["outlet_ids"] == [world.outlet_id]
    assert offer["summary"] == (
        "Diskon 15% maks. Rp50.000, 1x per hari, 4x per bulan, usia 0–16, 1 outlet, wilayah tertentu, kuota 200"
    )


async def test_the_summary_endpoint_says_the_offer_in_plain_words(make_client, create_staff):
    client, _ = await console(make_client, create_staff)
    token = await token_of(client)
    # htmx posts the form as it stands, title and description still empty
    fragment = await client.post(
        "/mitra/penawaran/ringkasan", data=offer_form(token, title="", description=""), headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert SUMMARY in fragment.text
    assert "<html" not in fragment.text  # a fragment, not a page

    free = await client.post(
        "/mitra/penawaran/ringkasan",
        data=offer_form(token, **{"benefit.type": "free_item", "benefit.item": "pembatas buku", "benefit.value": "5000",
                                  "limit.month": "", "age_max": "12", "min_purchase": "Rp 25.000"}),
    )  # fmt: skip
    assert "Gratis pembatas buku, min. belanja Rp25.000, 1x per hari, usia 0–12, semua outlet" in free.text

    wrong = await client.post("/mitra/penawaran/ringkasan", data=offer_form(token, **{"benefit.percent": "0"}))
    assert "Persen diskon harus antara 1 dan 100." in wrong.text
    assert 'href="#benefit.percent"' in wrong.text

    # without JavaScript: the form's own button shows the summary and the problems, and saves nothing
    no_script = await client.post("/mitra/penawaran/baru", data=offer_form(token, aksi="ringkasan", age_min="12",
                                                                            age_max="6"))  # fmt: skip
    assert no_script.status_code == 200
    assert 'id="age_min-problem">Usia minimum (12) lebih besar dari usia maksimum (6).' in no_script.text


async def test_submit_pause_resume_and_the_poster_links(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    offer_id = await created_offer(client, world)
    token = await token_of(client, "/mitra/penawaran")

    submitted = await client.post(f"/mitra/penawaran/{offer_id}/ajukan", data={"_csrf_token": token})
    assert submitted.status_code == 303
    listing = await client.get(submitted.headers["location"])
    assert "Penawaran diajukan ke Dukcapil." in listing.text
    assert "Menunggu persetujuan Dukcapil" in listing.text
    assert f"/mitra/penawaran/{offer_id}/ajukan" not in listing.text  # cannot be submitted twice

    again = await client.post(f"/mitra/penawaran/{offer_id}/ajukan", data={"_csrf_token": token})
    assert again.status_code == 409  # a stale page: said in plain words
    assert "tidak tersedia untuk status Menunggu persetujuan Dukcapil" in again.text

    published = await client.post(f"/api/v1/admin/offers/{offer_id}/publish", headers=world.dukcapil)
    assert published.status_code == 200
    listing = await client.get("/mitra/penawaran")
    assert "Tayang" in listing.text
    assert f'href="/api/v1/catalog/offers/{offer_id}/poster.png" download=' in listing.text
    assert f'href="/api/v1/catalog/offers/{offer_id}/poster.svg" download=' in listing.text
    poster = await client.get(f"/api/v1/catalog/offers/{offer_id}/poster.png")
    assert poster.headers["content-type"] == "image/png"

    paused = await client.post(f"/mitra/penawaran/{offer_id}/jeda", data={"_csrf_token": token})
    assert paused.status_code == 303
    listing = await client.get(paused.headers["location"])
    assert "Penawaran dijeda" in listing.text
    assert [o["status"] for o in await api_offers(client, world)] == ["paused"]
    resumed = await client.post(f"/mitra/penawaran/{offer_id}/lanjutkan", data={"_csrf_token": token})
    assert resumed.status_code == 303
    assert [o["status"] for o in await api_offers(client, world)] == ["published"]


async def test_ending_asks_first_then_ends_for_good(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    offer_id = await created_offer(client, world)
    confirm = await client.get(f"/mitra/penawaran/{offer_id}/akhiri")
    assert confirm.status_code == 200
    assert "Akhiri penawaran ini?" in confirm.text
    assert "Tidak dapat dibatalkan" in confirm.text
    assert '<label for="reason">Catatan <span class="optional">(boleh kosong)</span>' in confirm.text
    assert [o["status"] for o in await api_offers(client, world)] == ["draft"]  # looking changes nothing

    token = CSRF.search(confirm.text).group(1)  # type: ignore[union-attr]
    too_long = await client.post(
        f"/mitra/penawaran/{offer_id}/akhiri", data={"_csrf_token": token, "reason": "x" * 2001}
    )
    assert too_long.status_code == 422
    assert 'id="reason-problem"' in too_long.text
    assert [o["status"] for o in await api_offers(client, world)] == ["draft"]

    ended = await client.post(
        f"/mitra/penawaran/{offer_id}/akhiri", data={"_csrf_token": token, "reason": "Stok habis"}
    )
    assert ended.status_code == 303
    listing = await client.get(ended.headers["location"])
    assert "Penawaran diakhiri." in listing.text
    assert "Berakhir" in listing.text
    assert f"/mitra/penawaran/{offer_id}/akhiri" not in listing.text
    [offer] = await api_offers(client, world)
    assert (offer["status"], offer["status_reason"]) == ("ended", "Stok habis")

    page = await client.get(f"/mitra/penawaran/{offer_id}")
    assert "Penawaran ini tidak dapat diubah lagi." in page.text
    assert '<fieldset class="bare" disabled>' in page.text
    twice = await client.get(f"/mitra/penawaran/{offer_id}/akhiri")
    assert twice.status_code == 409


async def test_another_partners_offer_is_not_found(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    other = await approved_partner(client, world.dukcapil, name="Kolam Renang Contoh", slug="kolam")
    theirs = await created_offer(client, other, title="Gratis masuk kolam")
    token = await token_of(client, "/mitra/penawaran")
    html = {"Accept": "text/html"}
    assert (await client.get(f"/mitra/penawaran/{theirs}", headers=html)).status_code == 404
    assert (await client.get(f"/mitra/penawaran/{theirs}/akhiri", headers=html)).status_code == 404
    for action in ("ajukan", "akhiri"):
        response = await client.post(f"/mitra/penawaran/{theirs}/{action}", data={"_csrf_token": token}, headers=html)
        assert response.status_code == 404
    edit = await client.post(f"/mitra/penawaran/{theirs}", data=offer_form(token, title="Diambil alih"))
    assert edit.status_code == 404
    [offer] = await api_offers(client, other)
    assert (offer["status"], offer["rules"]["title"]) == ("draft", "Gratis masuk kolam")
    assert "Gratis masuk kolam" not in (await client.get("/mitra/penawaran")).text


async def test_dukcapils_reason_is_shown_when_it_rejects_or_suspends(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    offer_id = await created_offer(client, world)
    assert (await client.post(world.url(f"/offers/{offer_id}/submit"), headers=world.manager)).status_code == 200
    reason = "Diskon harus berlaku untuk semua usia KIA; perbaiki batas usia."
    rejected = await client.post(
        f"/api/v1/admin/offers/{offer_id}/reject", json={"reason": reason}, headers=world.dukcapil
    )
    assert rejected.status_code == 200, rejected.text

    listing = await client.get("/mitra/penawaran")
    assert "Ditolak Dukcapil" in listing.text
    assert "Alasan dari Dukcapil:" in listing.text
    assert reason in listing.text
    page = await client.get(f"/mitra/penawaran/{offer_id}")
    assert reason in page.text
    assert "Menyimpan perubahan mengembalikan penawaran ke draf." in page.text

    # saving returns it to a draft; the reason stays in its history, and it can be submitted again
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    assert (await client.post(f"/mitra/penawaran/{offer_id}", data=offer_form(token))).status_code == 303
    page = await client.get(f"/mitra/penawaran/{offer_id}")
    assert re.search(r'id="offer-status">Draf<', page.text)
    assert reason in page.text  # in the status history
    assert (await client.post(f"/mitra/penawaran/{offer_id}/ajukan", data={"_csrf_token": token})).status_code == 303
    assert (await client.post(f"/api/v1/admin/offers/{offer_id}/publish", headers=world.dukcapil)).status_code == 200
    suspended = await client.post(
        f"/api/v1/admin/offers/{offer_id}/suspend", json={"reason": "Keluhan orang tua sedang diperiksa."},
        headers=world.dukcapil,
    )  # fmt: skip
    assert suspended.status_code == 200, suspended.text
    listing = await client.get("/mitra/penawaran")
    assert "Ditangguhkan Dukcapil" in listing.text
    assert "Keluhan orang tua sedang diperiksa." in listing.text


async def test_the_pages_are_in_english_when_chosen(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    await created_offer(client, world)
    client.cookies.set("mitrakia_lang", "en")
    listing = await client.get("/mitra/penawaran")
    assert "Draft" in listing.text
    assert "10% off up to Rp50.000, 1x a day, 4x a month, ages 0–16, all outlets" in listing.text
    form = await client.get("/mitra/penawaran/baru")
    assert "Discount percentage" in form.text
    assert "Kind of benefit" in form.text


@needs_chromium
async def test_the_summary_follows_the_typing_in_a_real_browser(make_client, create_staff):
    client, world = await console(make_client, create_staff)
    async with live_server() as base, chromium(**LAPTOP) as page:
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if m.type == "error" and "favicon" not in m.location["url"] else None,
        )
        await page.goto(f"{base}/masuk?next=/mitra/penawaran/baru")
        await page.get_by_label("Nama pengguna").fill("pelangi.manajer")
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await page.wait_for_url(f"{base}/mitra/penawaran/baru")
        summary = page.locator("#ringkasan-teks")
        assert "setelah Anda mengisi manfaatnya" in await summary.inner_text()

        assert not await page.get_by_label("Besar potongan (Rp)").is_visible()  # another kind's field, hidden
        await page.get_by_label("Persen diskon").fill("10")
        await page.get_by_label("Diskon paling banyak (Rp)").fill("50.000")
        await page.get_by_label("Per hari").fill("1")
        await page.get_by_label("Per bulan kalender").fill("4")
        await page.get_by_text(SUMMARY).wait_for()  # htmx swapped in the API's summary, no click needed

        await page.get_by_label("Potongan harga tetap (Rp)").check()
        assert await page.get_by_label("Besar potongan (Rp)").is_visible()
        assert not await page.get_by_label("Persen diskon").is_visible()
        await page.get_by_label("Besar potongan (Rp)").fill("10000")
        await page.get_by_text("Potongan Rp10.000, 1x per hari, 4x per bulan").wait_for()
        await screenshot(page, "mitra-penawaran-form", full_page=True)

        await page.get_by_label("Judul penawaran").fill("Potongan buku Rp10.000")
        await page.get_by_label("Uraian", exact=True).fill("Potongan Rp10.000 untuk buku anak bagi pemegang KIA.")
        await page.get_by_role("button", name="Simpan sebagai draf").click()
        await page.wait_for_url(f"{base}/mitra/penawaran?ok=penawaran-dibuat**")
        await page.get_by_text("Potongan Rp10.000, 1x per hari, 4x per bulan, usia 0–16, semua outlet").wait_for()
        await page.set_viewport_size({"width": 360, "height": 640})
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        await screenshot(page, "mitra-penawaran", full_page=True)
        await page.goto(f"{base}/mitra/penawaran/baru")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        await screenshot(page, "mitra-penawaran-form-phone")
        assert blocked == []  # nothing refused by the Content-Security-Policy, no script errors
    [offer] = await api_offers(client, world)
    assert offer["rules"]["benefit"] == {"type": "fixed_amount", "amount": 10_000}
