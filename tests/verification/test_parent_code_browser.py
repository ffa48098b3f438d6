"""A parent's rotating card code, in Chromium at phone size: the printed sticker's text in, a QR on the screen that
an independent reader decodes and the till accepts as the card; a new one each time the page asks."""

from __future__ import annotations

import io

import httpx

from tests.browser import chromium, live_server, needs_chromium, screenshot
from tests.conftest import login
from tests.helpers import PASSWORD

pytestmark = needs_chromium


async def test_a_parent_shows_a_rotating_code_that_the_till_reads_as_the_card(till):
    import zxingcpp
    from PIL import Image

    printed = await till.card(age_years=6)
    shown = []
    async with (
        live_server() as base,
        chromium(viewport={"width": 360, "height": 740}) as page,
        httpx.AsyncClient(base_url=base) as cashier,
    ):
        await page.goto(f"{base}/kartu-anak")
        await page.get_by_role("heading", name="Kode KIA di HP").wait_for()
        for _ in range(2):
            await page.get_by_label("Isi kode QR dari stiker kartu anak").fill(printed)
            await page.get_by_role("button", name="Tampilkan kode").click()
            await page.get_by_text("Berlaku sampai").wait_for()
            await page.wait_for_function(
                "(before) => document.querySelector('#presentation-qr svg') && "
                "document.querySelector('#presentation-qr').innerHTML !== before",
                arg=shown[-1][1] if shown else "",
            )
            image = await page.locator("#presentation-qr").screenshot()
            (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
            shown.append((found.text, await page.locator("#presentation-qr").inner_html()))
        assert await page.get_by_label("Isi kode QR dari stiker kartu anak").input_value() == ""  # not kept
        await screenshot(page, "kartu-anak")

        headers = await login(cashier, "pelangi.kasir", PASSWORD)
        for text, _ in shown:
            scanned = await cashier.post("/api/v1/verification/scan", json={"qr": text}, headers=headers)
            assert (scanned.json()["card"]["status"], scanned.json()["card"]["age_years"]) == ("active", 6)
    assert shown[0][0] != shown[1][0] != printed
