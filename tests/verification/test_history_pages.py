"""A partner manager reads their redemption history on a page: filters, a CSV of what is filtered, and a void within
the window after a confirmation. Children never appear; another partner's redemption is not there to void."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import approved_partner, published_offer, today
from verification.tables import Card, Redemption


async def manager_page(make_client, username: str = "pelangi.manajer"):
    client = await page_client(make_client)
    assert (await sign_in(client, username)).status_code == 303
    return client


async def two_redemptions(till) -> tuple[dict, dict, dict, dict]:
    books = await till.offer("books", title="Diskon buku Pelangi", limits=[])
    pencils = await till.offer("pencils", title="Gratis pensil warna", limits=[],
                               benefit={"type": "fixed_amount", "amount": 7_500})  # fmt: skip
    first = await till.redeem(await till.card(), books["id"], purchase=50_000)
    second = await till.redeem(await till.card(), pencils["id"], purchase=20_000)
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    return books, pencils, first.json(), second.json()


async def test_history_shows_filters_and_downloads_the_till_redemptions(make_client, till):
    books, pencils, first, second = await two_redemptions(till)
    client = await manager_page(make_client)

    page = await client.get("/mitra/riwayat")
    assert page.status_code == 200
    table = page.text.split('id="history-table"')[1]
    assert first["receipt_code"] in table
    assert second["receipt_code"] in table
    row = table.split(first["receipt_code"])[1].split("</tr>")[0]
    assert "Diskon buku Pelangi" in row
    assert "Pelangi Pasar Baru" in row
    assert "Rp50.000" in row
    assert "Rp5.000" in row
    assert "Selesai" in row
    assert "WIB" in table.split(first["receipt_code"])[0].rsplit("<tr>", 1)[1]  # the time column, in WIB
    assert 'id="history-total">2 penukaran' in page.text
    # No child data: the cards' birth dates and ids appear nowhere, and there is no holder column.
    for card in await Card.select(Card.id, Card.birth_date):
        assert card["birth_date"].isoformat() not in page.text
        assert str(card["id"]) not in page.text
    holder = (await Redemption.select(Redemption.holder_ref).first())["holder_ref"]
    assert holder not in page.text

    only_books = await client.get("/mitra/riwayat", params={"penawaran": books["id"]})
    assert first["receipt_code"] in only_books.text
    assert second["receipt_code"] not in only_books.text
    assert f'<option value="{books["id"]}" selected>' in only_books.text  # the filter stays chosen
    voided_only = await client.get("/mitra/riwayat", params={"status": "voided"})
    assert "Tidak ada penukaran yang cocok dengan filter ini." in voided_only.text
    yesterday = (today() - timedelta(days=1)).isoformat()
    before = await client.get("/mitra/riwayat", params={"sampai": yesterday})
    assert first["receipt_code"] not in before.text
    this_day = await client.get("/mitra/riwayat", params={"dari": today().isoformat(), "sampai": today().isoformat(),
                                                           "outlet": till.world.outlet_id})  # fmt: skip
    assert 'id="history-total">2 penukaran' in this_day.text
    assert "unduh.csv?dari=" in this_day.text  # the download keeps the filters

    bad = await client.get("/mitra/riwayat", params={"dari": "31-12-2026", "penawaran": pencils["id"]})
    assert bad.status_code == 422
    assert 'id="dari-problem">Tanggal tidak valid: tulis sebagai TTTT-BB-HH' in bad.text
    assert 'value="31-12-2026"' in bad.text
    far = await client.get("/mitra/riwayat", params={"dari": "0001-01-01", "sampai": "9999-12-31"})
    assert far.status_code == 422
    assert 'id="sampai-problem">Tanggal harus antara 2000-01-01 dan 2100-12-31.' in far.text
    assert second["receipt_code"] in bad.text
    assert first["receipt_code"] not in bad.text

    download = await client.get("/mitra/riwayat/unduh.csv", params={"penawaran": pencils["id"]})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "receipt_code,redeemed_at_local,outlet_name,offer_title,purchase_amount,discount_amount,status,holder_ref,"
        "cashier,device_id,voided_at_local,voided_by,void_reason"
    )
    assert len(lines) == 2
    assert lines[1].startswith(second["receipt_code"] + ",")
    assert ",Pelangi Pasar Baru,Gratis pensil warna,20000,7500,completed," in lines[1]
    everything = (await client.get("/mitra/riwayat/unduh.csv")).content.decode("utf-8-sig").splitlines()
    assert len(everything) == 3

    beyond = await client.get("/mitra/riwayat", params={"halaman": "2"})
    assert "Tidak ada penukaran yang cocok dengan filter ini." in beyond.text
    # A page number past any history, past a bigint, or a digit only to Unicode (`²`): the first page, not a 500.
    for odd in ("200001", "100000000000000000000", "9" * 5000, "²"):
        first_page = await client.get("/mitra/riwayat", params={"halaman": odd})
        assert first_page.status_code == 200, odd
        assert second["receipt_code"] in first_page.text


async def test_void_through_the_confirmation_page(make_client, till):
    books, _, first, second = await two_redemptions(till)
    client = await manager_page(make_client)
    page = await client.get("/mitra/riwayat")
    assert f'href="/mitra/riwayat/{first["redemption_id"]}/batalkan"' in page.text

    confirm = await client.get(f"/mitra/riwayat/{first['redemption_id']}/batalkan")
    assert confirm.status_code == 200
    assert f"Struk {first['receipt_code']}: Diskon buku Pelangi di Pelangi Pasar Baru" in confirm.text
    assert "diskon Rp5.000" in confirm.text
    assert 'id="reason"' in confirm.text
    token = CSRF.search(confirm.text).group(1)

    too_long = await client.post(f"/mitra/riwayat/{first['redemption_id']}/batalkan",
                                 data={"_csrf_token": token, "reason": "x" * 201})  # fmt: skip
    assert too_long.status_code == 422
    assert 'id="reason-problem"' in too_long.text
    assert (await Redemption.select(Redemption.status).where(Redemption.id == first["redemption_id"]).first())[
        "status"
    ] == "completed"

    voided = await client.post(f"/mitra/riwayat/{first['redemption_id']}/batalkan",
                               data={"_csrf_token": token, "reason": "salah pilih penawaran"})  # fmt: skip
    assert (voided.status_code, voided.headers["location"]) == (303, "/mitra/riwayat?ok=dibatalkan")
    after = await client.get("/mitra/riwayat?ok=dibatalkan")
    assert "Penukaran dibatalkan." in after.text
    row = after.text.split(first["receipt_code"])[1].split("</tr>")[0]
    assert "Dibatalkan" in row
    assert "/batalkan" not in row  # nothing left to void
    assert "/batalkan" in after.text.split(second["receipt_code"])[1].split("</tr>")[0]
    only_voided = await client.get("/mitra/riwayat", params={"status": "voided"})
    assert first["receipt_code"] in only_voided.text
    assert second["receipt_code"] not in only_voided.text

    api = await till.client.get("/api/v1/verification/redemptions", headers=till.world.manager)
    voided_row = next(r for r in api.json()["items"] if r["redemption_id"] == first["redemption_id"])
    assert voided_row["status"] == "voided"
    stored = await Redemption.select(Redemption.void_reason).where(Redemption.id == first["redemption_id"]).first()
    assert stored["void_reason"] == "salah pilih penawaran"
    assert (await till.redeem(await till.card(), books["id"], purchase=50_000)).status_code == 201


async def test_a_redemption_past_its_window_is_not_voided(make_client, till):
    _, _, first, _ = await two_redemptions(till)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    await Redemption.update(
        {Redemption.redeemed_at: two_days_ago, Redemption.local_date: today() - timedelta(days=2)}
    ).where(Redemption.id == first["redemption_id"])
    client = await manager_page(make_client)
    page = await client.get("/mitra/riwayat")
    assert f"/mitra/riwayat/{first['redemption_id']}/batalkan" not in page.text  # no longer offered
    token = CSRF.search(page.text).group(1)
    late = await client.post(f"/mitra/riwayat/{first['redemption_id']}/batalkan", data={"_csrf_token": token})
    assert late.status_code == 409
    assert "Penukaran hanya dapat dibatalkan sampai" in late.text
    assert (await Redemption.select(Redemption.status).where(Redemption.id == first["redemption_id"]).first())[
        "status"
    ] == "completed"


async def test_another_partners_redemption_cannot_be_seen_or_voided(make_client, till):
    _, _, first, _ = await two_redemptions(till)
    kolam_world = await approved_partner(till.client, till.world.dukcapil, name="Kolam Renang Contoh", slug="kolam")
    await published_offer(till.client, kolam_world, title="Gratis masuk kolam")
    kolam = await manager_page(make_client, "kolam.manajer")

    listing = await kolam.get("/mitra/riwayat")
    assert listing.status_code == 200
    assert first["receipt_code"] not in listing.text
    assert "Diskon buku Pelangi" not in listing.text
    assert first["receipt_code"] not in (await kolam.get("/mitra/riwayat/unduh.csv")).text
    token = CSRF.search(listing.text).group(1)
    assert (await kolam.get(f"/mitra/riwayat/{first['redemption_id']}/batalkan")).status_code == 404
    refused = await kolam.post(f"/mitra/riwayat/{first['redemption_id']}/batalkan", data={"_csrf_token": token})
    assert refused.status_code == 404
    assert (await Redemption.select(Redemption.status).where(Redemption.id == first["redemption_id"]).first())[
        "status"
    ] == "completed"

    cashier = await page_client(make_client)
    await sign_in(cashier, "pelangi.kasir")
    assert (await cashier.get("/mitra/riwayat")).status_code == 403


async def test_history_in_english(make_client, till):
    _, _, first, _ = await two_redemptions(till)
    client = await manager_page(make_client)
    await client.get("/bahasa", params={"to": "en", "next": "/mitra/riwayat"})
    page = await client.get("/mitra/riwayat")
    assert "Redemption history" in page.text
    assert re.search(r'id="history-total">2 redemptions', page.text)
    assert "Completed" in page.text.split(first["receipt_code"])[1].split("</tr>")[0]
    confirm = await client.get(f"/mitra/riwayat/{first['redemption_id']}/batalkan")
    assert "Void a redemption" in confirm.text
