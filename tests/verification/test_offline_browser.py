"""The cashier app without a connection, in a real Chromium at phone size (360 x 740) with the browser's offline
mode: it opens, checks a card from its offline kit, keeps what is confirmed and sends each one once on reconnect;
two tills that redeemed the same card offline get one accepted and one flagged; an old status list stops it."""

from __future__ import annotations

import httpx

from tests.browser import chromium, live_server, needs_chromium
from tests.conftest import login
from tests.helpers import PASSWORD
from tests.verification.cards_helpers import enroll_card
from tests.verification.test_cashier_browser import scan_by_keyboard, sign_in
from verification.tables import Redemption

pytestmark = needs_chromium

PHONE = {"viewport": {"width": 360, "height": 740}}
ONCE_A_DAY = {
    "title": "Diskon buku 10%",
    "limits": [{"period": "day", "count": 1}],
    "benefit": {"type": "percent", "percent": 10, "max_discount": 50_000},
}


async def _ready_for_offline(page) -> None:
    """Signed in and online once: the service worker controls the page and the offline kit is saved."""
    await page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    await page.wait_for_function("() => localStorage.getItem('kasir.kit') !== null")


async def _confirm(page, offer: str, amount: str) -> None:
    await page.locator("button.offer", has_text=offer).click()
    await page.get_by_label("Total belanja (Rp)").fill(amount)
    await page.get_by_role("button", name="Konfirmasi").click()
    await page.get_by_role("heading", name="Tersimpan di perangkat").wait_for()


async def test_the_till_opens_checks_and_confirms_offline_and_each_reaches_the_server_once(till):
    await till.offer(**ONCE_A_DAY)
    await till.offer("young", title="Buku balita", age_max=5)
    first, second = await till.card(), await till.card()

    async with live_server() as base, chromium(**PHONE) as page:
        await sign_in(page, base)
        await _ready_for_offline(page)
        await page.context.set_offline(True)
        await page.reload()  # the installed app, opened with no network at all
        field = page.get_by_label("Pindai dengan alat pemindai, atau ketik kode manual")
        await field.wait_for()
        assert await page.get_by_text("Toko Buku Pelangi · Pelangi Pasar Baru").is_visible()

        await scan_by_keyboard(page, first)
        await page.get_by_role("heading", name="KIA aktif").wait_for()
        assert await page.get_by_text("Diperiksa tanpa koneksi").is_visible()
        assert await page.locator("button.offer", has_text="Diskon buku 10%").is_enabled()
        young = page.locator("button.offer", has_text="Buku balita")
        assert await young.is_disabled()  # the age rule needs the server
        assert "Perlu koneksi" in await young.text_content()
        await _confirm(page, "Diskon buku 10%", "80000")
        assert await page.locator("#receipt-discount").text_content() == "Rp8.000"

        await page.get_by_role("button", name="Pindai kartu berikutnya").click()
        await scan_by_keyboard(page, second)
        await page.get_by_role("heading", name="KIA aktif").wait_for()
        await _confirm(page, "Diskon buku 10%", "30000")
        await page.get_by_role("button", name="Pindai kartu berikutnya").click()
        await page.get_by_role("heading", name="Menunggu dikirim (2)").wait_for()
        # The same card again, still offline: its limit is counted on the device.
        await scan_by_keyboard(page, first)
        await page.get_by_role("heading", name="KIA aktif").wait_for()
        assert await page.locator("button.offer", has_text="Diskon buku 10%").is_disabled()
        await page.get_by_role("button", name="Pindai kartu lain").click()
        assert await Redemption.count() == 0

        await page.context.set_offline(False)
        await page.get_by_role("heading", name="Menunggu dikirim (0)").wait_for(timeout=15_000)
        assert await page.locator("#sent-list li").count() == 2
        await page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a second sync sends nothing new
        await page.wait_for_timeout(500)

    rows = await Redemption.select(Redemption.card, Redemption.status, Redemption.discount_amount)
    assert sorted(row["discount_amount"] for row in rows) == [3_000, 8_000]
    assert len({row["card"] for row in rows}) == 2
    assert {row["status"] for row in rows} == {"completed"}


async def test_one_card_at_two_offline_tills_on_a_once_a_day_offer_one_accepted_one_flagged(till):
    offer = await till.offer(**ONCE_A_DAY)
    card = await till.card()

    async with live_server() as base, chromium(**PHONE) as one, chromium(**PHONE) as other:
        for page in (one, other):
            await sign_in(page, base)
            await _ready_for_offline(page)
            await page.context.set_offline(True)
        for page in (one, other):
            await scan_by_keyboard(page, card)
            await page.get_by_role("heading", name="KIA aktif").wait_for()
            await _confirm(page, "Diskon buku 10%", "50000")
        for page in (one, other):
            await page.get_by_role("button", name="Pindai kartu berikutnya").click()
            await page.context.set_offline(False)
            await page.get_by_role("heading", name="Menunggu dikirim (0)").wait_for(timeout=15_000)
        said = await other.locator("#sent-list li").first.text_content()
        assert "melebihi batas (holder_limit_reached)" in said

    statuses = sorted(row["status"] for row in await Redemption.select(Redemption.status))
    assert statuses == ["completed", "offline_over_limit"]
    manager = await login(till.client, "pelangi.manajer", PASSWORD)
    history = await till.client.get("/api/v1/verification/redemptions", headers=manager)
    seen = sorted((item["status"], item["flag"]) for item in history.json()["items"] if item["offer_id"] == offer["id"])
    assert seen == [("completed", None), ("offline_over_limit", "holder_limit_reached")]


async def test_a_revoked_card_is_refused_from_the_new_snapshot_and_an_old_snapshot_stops_offline_work(till):
    await till.offer(**ONCE_A_DAY)
    revoked_id = await enroll_card(till.settings)
    revoked, other = await till.qr(revoked_id), await till.card()
    async with live_server() as base, chromium(**PHONE) as page, httpx.AsyncClient(base_url=base) as office:
        await sign_in(page, base)
        await _ready_for_offline(page)
        before = await page.evaluate("() => JSON.parse(localStorage.getItem('kasir.kit')).generated_at")
        dukcapil = await login(office, "dukcapil", PASSWORD)  # through the server the till talks to
        revoke = f"/api/v1/admin/cards/{revoked_id}/revoke"
        answer = await office.post(revoke, json={"reason": "lost"}, headers=dukcapil)
        assert answer.status_code == 200
        await page.evaluate("() => window.dispatchEvent(new Event('online'))")  # the till's next kit fetch
        await page.wait_for_function(
            "(before) => JSON.parse(localStorage.getItem('kasir.kit')).generated_at !== before", arg=before
        )
        await page.context.set_offline(True)
        await scan_by_keyboard(page, revoked)
        await page.get_by_role("heading", name="Kartu dicabut").wait_for()
        assert await page.locator("#offers li").count() == 0

        # Seven hours later, still offline: the status list (valid 6 hours) is too old to trust.
        await page.get_by_role("button", name="Pindai kartu lain").click()
        await page.clock.install()
        await page.clock.fast_forward("07:00:00")
        await scan_by_keyboard(page, other)
        await page.get_by_text("daftar status kartu sudah kedaluwarsa").wait_for()
        assert await page.get_by_role("heading", name="KIA aktif").count() == 0
    assert await Redemption.count() == 0
