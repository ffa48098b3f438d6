"""A partner manager sets up a webhook in the console on a phone, as the partner guide says: adds the receiver's
address, copies the secret shown once, sends a test event and sees it delivered in the log; the receiver checks the
signature with the copied secret. The pages fit a 360 px screen; their pictures go where `make screenshots` says."""

from __future__ import annotations

from standardwebhooks import Webhook

from tests.admin.test_console_story_browser import PHONE, picture, sign_in
from tests.browser import chromium, live_server, needs_chromium
from tests.partners.webhook_receiver import receiver

pytestmark = needs_chromium


async def fits_width(page) -> bool:
    """Nothing wider than the phone's screen (a mobile browser widens its layout viewport to fit what overflows,
    so the screen's own width is the measure, not window.innerWidth)."""
    width = page.viewport_size["width"]
    return await page.evaluate(f"document.documentElement.scrollWidth <= {width} + 1")


async def test_a_manager_adds_a_webhook_on_a_phone_and_sees_the_test_event_delivered(till):
    with receiver() as pos:
        async with (
            live_server(MITRAKIA_WEBHOOK_ALLOW_LOCAL="true", MITRAKIA_WEBHOOK_SEND_INTERVAL_SECONDS="0.2") as base,
            chromium(**PHONE) as page,
        ):
            await sign_in(page, base, "pelangi.manajer")
            await page.goto(f"{base}/mitra/webhook")
            await page.get_by_role("link", name="Tambah webhook").click()
            await page.get_by_label("Alamat penerima (URL)").fill(pos.url)
            await page.get_by_label("Keterangan (boleh kosong)").fill("Sistem kasir pusat")
            await page.get_by_label("Status penawaran berubah (offer.status_changed)").uncheck()
            await page.get_by_role("button", name="Tambah webhook").click()
            secret = await page.get_by_label("Rahasia (untuk memeriksa header webhook-signature)").input_value()
            assert secret.startswith("whsec_")
            assert await fits_width(page)
            await picture(page, "mitra-webhook-rahasia-phone")
            await page.get_by_role("link", name="Sudah saya salin, lanjut ke webhook ini").click()
            assert secret not in await page.content()  # shown once

            await page.get_by_role("button", name="Kirim peristiwa uji").click()
            await page.get_by_role("status").filter(has_text="Peristiwa uji masuk antrean").wait_for()
            [request] = await pos.wait_for(1)
            assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"
            await page.reload()
            row = page.locator("#deliveries-table tbody tr").first
            assert "Uji webhook" in await row.inner_text()
            assert "Terkirim" in await row.inner_text()
            assert "HTTP 200" in await row.inner_text()
            await picture(page, "mitra-webhook-log-phone")
            assert await fits_width(page)

            await page.goto(f"{base}/mitra/webhook")
            listed = await page.locator("#webhooks-table").inner_text()
            assert "Sistem kasir pusat" in listed
            assert "Status penawaran berubah" not in listed
            assert await fits_width(page)
