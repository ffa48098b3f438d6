"""The cashier app at /kasir in a real headless Chromium at phone size: camera, handheld scanner, receipt, void,
and a connection that drops during confirmation."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser import chromium, fake_camera, fake_camera_file, live_server, needs_chromium, screenshot
from tests.helpers import PASSWORD
from tests.verification.cards_helpers import enroll_card
from verification.service import cards, credentials
from verification.tables import Redemption

pytestmark = needs_chromium

FLAT = {
    "limits": [{"period": "day", "count": 1}],
    "benefit": {"type": "percent", "percent": 10, "max_discount": 50_000},
}


async def sign_in(page, base: str) -> None:
    await page.goto(f"{base}/kasir")
    await page.get_by_label("Nama pengguna").fill("pelangi.kasir")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_text("Toko Buku Pelangi · Pelangi Pasar Baru").wait_for()


async def scan_by_keyboard(page, text: str) -> None:
    field = page.get_by_label("Pindai dengan alat pemindai, atau ketik kode manual")
    await field.click()
    await page.keyboard.type(text)  # a keyboard-wedge scanner types, then presses Enter
    await page.keyboard.press("Enter")


async def test_camera_scan_redeem_and_receipt(till, tmp_path):
    offer = await till.offer(title="Diskon buku 10%", **FLAT)
    card_id = await __import__("tests.verification.cards_helpers", fromlist=["enroll_card"]).enroll_card(till.settings)
    text, _ = await cards.issue_qr_text(card_id, till.keyring, till.settings, None)
    video = fake_camera_file(credentials.qr_png(text), tmp_path)

    async with (
        live_server() as base,
        chromium(*fake_camera(video)) as page,
    ):
        await page.goto(f"{base}/kasir")
        await page.get_by_role("heading", name="Masuk sebagai kasir").wait_for()
        await screenshot(page, "kasir-login")
        await sign_in(page, base)

        # The camera decodes the sticker by itself: no button, no mode switch.
        await page.get_by_role("heading", name="KIA aktif").wait_for(timeout=15_000)
        await page.get_by_text("Usia 8 tahun").wait_for()
        await screenshot(page, "kasir-result")
        await page.get_by_role("button", name="Diskon buku 10%").click()
        await page.get_by_label("Total belanja (Rp)").fill("137500")
        assert await page.locator("#preview-discount").text_content() == "Rp13.750"
        assert await page.locator("#preview-pay").text_content() == "Rp123.750"
        await page.get_by_role("button", name="Konfirmasi").click()

        await page.get_by_role("heading", name="Berhasil").wait_for()
        assert await page.locator("#receipt-discount").text_content() == "Rp13.750"
        assert (await page.locator("#receipt-time").text_content()).endswith("WIB")
        code = await page.locator("#receipt-code").text_content()
        await screenshot(page, "kasir-receipt")

    rows = await Redemption.select(Redemption.receipt_code, Redemption.discount_amount, Redemption.offer)
    assert rows == [{"receipt_code": code, "discount_amount": 13_750, "offer": __import__("uuid").UUID(offer["id"])}]


async def test_handheld_scanner_and_the_second_use_the_same_day(till):
    await till.offer(title="Diskon buku 10%", **FLAT)
    qr = await till.card()
    async with live_server() as base, chromium() as page:
        await sign_in(page, base)
        await scan_by_keyboard(page, qr)
        await page.get_by_role("button", name="Diskon buku 10%").click()
        await page.get_by_label("Total belanja (Rp)").fill("50000")
        await page.get_by_role("button", name="Konfirmasi").click()
        await page.get_by_role("heading", name="Berhasil").wait_for()
        await page.get_by_role("button", name="Pindai kartu berikutnya").click()

        await scan_by_keyboard(page, qr)
        await page.get_by_text("Sudah dipakai hari ini — bisa lagi besok").wait_for()
        assert await page.get_by_role("button", name="Diskon buku 10%").is_disabled()
    assert await Redemption.count() == 1


async def test_manual_code_and_english(till):
    await till.offer(title="Diskon buku 10%", title_en="10% off books", **FLAT)
    card_id = await __import__("tests.verification.cards_helpers", fromlist=["enroll_card"]).enroll_card(till.settings)
    _, code = await cards.current_credential(card_id)
    async with live_server() as base, chromium() as page:
        await sign_in(page, base)
        await page.get_by_role("button", name="Ganti bahasa / Switch language").click()
        await page.get_by_label("Scan with the handheld scanner, or type the manual code").fill(
            credentials.format_manual_code(code).lower()
        )
        await page.keyboard.press("Enter")
        await page.get_by_role("heading", name="KIA active").wait_for()
        await page.get_by_role("button", name="10% off books").wait_for()
        assert await page.evaluate("document.documentElement.lang") == "en"


async def test_void_from_the_receipt(till):
    await till.offer(title="Diskon buku 10%", **FLAT)
    qr = await till.card()
    async with live_server() as base, chromium() as page:
        await sign_in(page, base)
        await scan_by_keyboard(page, qr)
        await page.get_by_role("button", name="Diskon buku 10%").click()
        await page.get_by_label("Total belanja (Rp)").fill("20000")
        await page.get_by_role("button", name="Konfirmasi").click()
        await page.get_by_role("heading", name="Berhasil").wait_for()
        await page.get_by_role("button", name="Batalkan").click()
        await page.get_by_role("button", name="Yakin batalkan? Tekan lagi").click()  # asks twice
        await page.get_by_text("Dibatalkan").wait_for()
    assert [r["status"] for r in await Redemption.select(Redemption.status)] == ["voided"]


@pytest.mark.parametrize("lost", ["request", "response"])
async def test_a_dropped_connection_during_confirm_retries_and_redeems_once(till, lost):
    """The connection drops before the request reaches the server, or after the server answered: either way the
    till shows "Mencoba lagi…", retries with the same Idempotency-Key, and exactly one redemption exists."""
    await till.offer(title="Diskon buku 10%", **FLAT)
    qr = await till.card()
    keys: list[str] = []
    async with live_server() as base, chromium() as page:
        await sign_in(page, base)

        async def drop_first(route, request):
            keys.append(request.headers["idempotency-key"])
            if len(keys) == 1:
                if lost == "response":
                    await route.fetch()  # the server redeems...
                await page.locator("#retrying").wait_for(state="attached")
                await route.abort("internetdisconnected")  # ...but the till never hears back
                return
            await route.continue_()

        await page.route("**/api/v1/verification/redemptions", drop_first)
        await scan_by_keyboard(page, qr)
        await page.get_by_role("button", name="Diskon buku 10%").click()
        await page.get_by_label("Total belanja (Rp)").fill("90000")
        await page.get_by_role("button", name="Konfirmasi").click()
        await page.get_by_text("Mencoba lagi…").wait_for()
        await page.get_by_role("heading", name="Berhasil").wait_for(timeout=15_000)
        assert await page.locator("#receipt-discount").text_content() == "Rp9.000"
    assert len(keys) >= 2
    assert len(set(keys)) == 1  # every retry carried the first key
    assert await Redemption.count() == 1


async def test_the_page_fits_a_phone_is_labelled_and_light(till):
    async with live_server() as base, chromium() as page:
        transferred: list[int] = []

        async def count(response):
            if response.url.startswith(base):
                transferred.append(len(await response.body()))

        page.on("response", count)
        await page.goto(f"{base}/kasir", wait_until="networkidle")
        await sign_in(page, base)
        await page.wait_for_load_state("networkidle")
        sizes = await page.evaluate(
            "[...document.querySelectorAll('body, input, button, label')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert min(sizes) >= 16
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360  # no sideways scrolling on a 360 px phone
        manifest = json.loads(await (await page.request.get(f"{base}/static/kasir/manifest.webmanifest")).text())
        assert manifest["start_url"] == "/kasir"
        assert manifest["display"] == "standalone"
        resources = await page.evaluate(
            "performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
            ".filter(e => e.name.includes('/kasir') || e.name.includes('/static/'))"
            ".reduce((sum, e) => sum + e.encodedBodySize, 0)"
        )
    assert resources < 300_000, resources  # the page and its scripts, as they cross the network
    static = sum(transferred)
    assert static < 300_000, static  # even uncompressed


async def test_a_cashier_signed_in_at_masuk_opens_the_till_signed_in_and_redeems(till):
    """One sign-in: /masuk sends a cashier to /kasir, which works on that browser session (its cookie and the page's
    CSRF token) instead of asking again; signing out there ends the session for the pages too."""
    await till.offer(title="Diskon buku 10%", **FLAT)
    qr = await till.card()
    async with live_server() as base, chromium() as page:
        await page.goto(f"{base}/masuk")
        await page.get_by_label("Nama pengguna").fill("pelangi.kasir")
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await page.wait_for_url(f"{base}/kasir")
        await page.get_by_text("Toko Buku Pelangi · Pelangi Pasar Baru").wait_for()
        assert await page.get_by_role("heading", name="Masuk sebagai kasir").is_hidden()
        assert await page.evaluate("localStorage.getItem('kasir.access')") is None  # the session, not a device token

        await scan_by_keyboard(page, qr)
        await page.get_by_role("button", name="Diskon buku 10%").click()
        await page.get_by_label("Total belanja (Rp)").fill("50000")
        await page.get_by_role("button", name="Konfirmasi").click()  # a POST on the cookie: needs the CSRF token
        await page.get_by_role("heading", name="Berhasil").wait_for()

        await page.locator("#logout").click()
        await page.get_by_role("heading", name="Masuk sebagai kasir").wait_for()
        await page.goto(f"{base}/kasir")
        await page.get_by_role("heading", name="Masuk sebagai kasir").wait_for()
    assert await Redemption.count() == 1


async def test_strangers_guessing_the_cashiers_password_do_not_keep_them_out_of_their_till(till):
    """The till remembers that its cashier signed in on it: after a stranger's five wrong passwords slow the
    username down everywhere else, the cashier still signs in at this till."""
    async with live_server() as base, chromium() as page:
        await sign_in(page, base)
        assert await page.evaluate("localStorage.getItem('kasir.trusted.pelangi.kasir')")
        await page.locator("#logout").click()
        await page.get_by_role("heading", name="Masuk sebagai kasir").wait_for()
        async with httpx.AsyncClient(base_url=base) as stranger:
            for _ in range(5):
                guess = {"username": "pelangi.kasir", "password": "tebakan-orang-lain"}
                await stranger.post("/api/v1/auth/login", json=guess)
            refused = await stranger.post(
                "/api/v1/auth/login", json={"username": "pelangi.kasir", "password": PASSWORD}
            )
            assert refused.status_code == 429

        await sign_in(page, base)  # the till's own token: straight in


POOL = {
    "title": "Kolam renang 20%",
    "limits": [{"period": "day", "count": 1}],
    "benefit": {"type": "percent", "percent": 20, "max_discount": 50_000},
}
PHONE = {"viewport": {"width": 360, "height": 740}, "bypass_csp": True}  # axe arrives as an inline script


async def scanner_read(page, text: str) -> None:
    """A keyboard-wedge scanner: the whole code within milliseconds, then Enter, wherever the focus is."""
    await page.keyboard.type(text, delay=2)
    await page.keyboard.press("Enter")


async def no_grave_violations(page, where: str) -> None:
    from tests.test_page_accessibility_browser import AXE, GRAVE, RUN_AXE

    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(RUN_AXE, GRAVE)
    assert found == [], f"{where}: {found}"


async def test_a_family_at_the_pool_on_a_phone_scanner_siblings_offline_and_axe(till):
    import time

    await till.offer(**POOL)
    first, second, third = [await till.card(age_years=age) for age in (9, 7, 11)]
    fourth_id = await enroll_card(till.settings, age_years=5)
    fourth = await till.qr(fourth_id)
    taps = {"first": 0, "second": 0}
    seconds = {}

    async with live_server() as base, chromium(**PHONE) as page:
        await page.goto(f"{base}/kasir")
        await page.get_by_role("heading", name="Masuk sebagai kasir").wait_for()
        await no_grave_violations(page, "sign-in")
        await sign_in(page, base)
        await no_grave_violations(page, "scan")

        # The first child: read, tap the offer, type the total, confirm.
        started = time.perf_counter()
        await scan_by_keyboard(page, first)
        await page.get_by_role("heading", name="KIA aktif").wait_for()
        await no_grave_violations(page, "result")
        await page.get_by_role("button", name="Kolam renang 20%").click()
        taps["first"] += 1
        await page.get_by_label("Total belanja (Rp)").fill("25000")
        await no_grave_violations(page, "confirm")
        await page.get_by_role("button", name="Konfirmasi").click()
        taps["first"] += 1
        await page.get_by_role("heading", name="Berhasil").wait_for()
        seconds["first"] = time.perf_counter() - started
        await no_grave_violations(page, "receipt")

        # Her brother: the scanner read on the receipt screen starts his check; one tap confirms the same offer
        # and the total just used.
        started = time.perf_counter()
        await scanner_read(page, second)
        await page.get_by_text("Usia 7 tahun").wait_for()
        quick = page.locator("#quick-confirm")
        assert await quick.text_content() == "Pakai Kolam renang 20% lagi · Rp25.000"
        await quick.click()
        taps["second"] += 1
        await page.get_by_role("heading", name="Berhasil").wait_for()
        seconds["second"] = time.perf_counter() - started
        assert await page.locator("#receipt-discount").text_content() == "Rp5.000"

        # A third child, and a scanner read while the total has the focus: the code never enters the field.
        await scanner_read(page, third)
        await page.get_by_text("Usia 11 tahun").wait_for()
        await page.locator("button.offer", has_text="Kolam renang 20%").click()  # not the one-tap button: type a total
        amount = page.get_by_label("Total belanja (Rp)")
        await amount.fill("30000")
        await amount.focus()
        await scanner_read(page, first)  # the first child's card again: already used today
        await page.get_by_text("Usia 9 tahun").wait_for()
        assert await amount.input_value() == "30000"
        assert await page.get_by_text("Sudah dipakai hari ini").count() >= 1

        # Offline: the QR is checked from the till's offline kit; a typed manual code (no signature to check) stays in
        # the field and is checked when the connection returns.
        await page.get_by_role("button", name="Pindai kartu lain").click()
        await page.context.set_offline(True)
        await scan_by_keyboard(page, fourth)
        await page.get_by_text("Diperiksa tanpa koneksi").wait_for()
        await no_grave_violations(page, "offline result")
        await page.get_by_role("button", name="Pindai kartu lain").click()
        typed = credentials.format_manual_code((await cards.current_credential(fourth_id))[1])
        await scan_by_keyboard(page, typed)
        await page.get_by_text("Kode tetap di kolom").wait_for()
        field = page.get_by_label("Pindai dengan alat pemindai, atau ketik kode manual")
        assert await field.input_value() == typed
        await no_grave_violations(page, "offline")
        await page.context.set_offline(False)
        await page.get_by_text("Usia 5 tahun").wait_for(timeout=10_000)

    redeemed = await Redemption.select(Redemption.discount_amount).order_by(Redemption.redeemed_at)
    assert [row["discount_amount"] for row in redeemed] == [5_000, 5_000]
    print(json.dumps({"taps_per_child": taps, "seconds_per_child": {k: round(v, 2) for k, v in seconds.items()}}))
