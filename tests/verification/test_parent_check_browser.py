"""A parent checks a demo card in Chromium at phone size: the phone's (fake) camera reads the printed sticker and
the page shows the card's status and its offers today and where, and nothing about the child; a typed manual code
of a revoked card says what to do. No cookie is set."""

from __future__ import annotations

import csv
from datetime import date

from core.web import tanggal
from partners.tables import Offer, OfferStatus
from tests.browser import chromium, fake_camera, fake_camera_file, live_server, needs_chromium, screenshot
from verification.tables import Card

pytestmark = needs_chromium


async def test_a_parent_scans_a_demo_card_with_the_phone_camera(demo, tmp_path):
    with (tmp_path / "cards.csv").open(encoding="utf-8") as handle:
        handed_out = list(csv.DictReader(handle))
    child = next(row for row in handed_out if row["status"] == "active" and 6 <= int(row["age_years"]) <= 12)
    revoked = next(row for row in handed_out if row["status"] == "revoked")
    video = fake_camera_file((tmp_path / "qr" / f"{child['card_id']}.png").read_bytes(), tmp_path)
    born: date = (await Card.select(Card.birth_date).where(Card.id == child["card_id"]).first())["birth_date"]
    published = {row["title"] for row in await Offer.select(Offer.rules["title"].as_alias("title")).where(
        Offer.status == OfferStatus.PUBLISHED).output(load_json=True)}  # fmt: skip

    async with live_server() as base, chromium(*fake_camera(video), viewport={"width": 360, "height": 740}) as page:
        await page.goto(f"{base}/cek-kartu")
        await page.get_by_role("heading", name="Cek kartu anak").wait_for()
        await page.get_by_role("button", name="Buka kamera").click()
        await page.get_by_role("heading", name="KIA aktif").wait_for(timeout=15_000)
        assert await page.locator("#camera").is_hidden()  # the camera stops once the card is read

        titles = await page.locator("#today-offers li.card h4").all_inner_texts()
        assert titles, "a demo child of 6-12 has offers today"
        assert set(titles) <= published
        first = page.locator("#today-offers li.card").first
        assert await first.locator("ul.places li").count() >= 1  # and where
        text = await page.locator("main").inner_text()
        for about_the_child in (born.isoformat(), tanggal(born), child["kelurahan_code"], child["card_id"]):
            assert about_the_child not in text
        assert "NIK" not in text.replace("NIK, tanggal lahir", "")  # only the page's promise names it
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        await screenshot(page, "cek-kartu-aktif", full_page=True)

        await page.get_by_label("Atau ketik kode manual di bawah QR").fill(revoked["manual_code"])
        await page.get_by_role("button", name="Cek kartu").click()
        await page.get_by_role("heading", name="Kartu sudah dicabut").wait_for()
        assert await page.locator("#result-offers").is_hidden()
        assert await page.get_by_role("link", name="Cara mengurus KIA dan alamat Dukcapil").get_attribute("href") == (
            "/cara-mendapat-kia/17.71"
        )
        assert await page.context.cookies() == []
