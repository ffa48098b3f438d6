"""The consoles end to end in a real headless Chromium, as their first-time users go through them: a bookstore
manager registers, Dukcapil approves, the manager adds an outlet, a cashier and an offer, Dukcapil publishes it and
parents find it in the catalog; a Dukcapil clerk imports a small SIAK file, prints a card's QR and revokes the card;
the cashier's scan of that QR then says it is revoked. The pages' screenshots are the guides' pictures."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from partners.tables import Outlet
from tests.admin.test_registry_import import csv_bytes, row
from tests.browser import CHROMIUM, CHROMIUM_FLAGS, live_server, needs_chromium
from tests.helpers import KELURAHAN_PASAR_BARU, PASSWORD, read_qr_codes
from verification.service import cards, credentials
from verification.tables import Card

pytestmark = needs_chromium

# `make screenshots` sets this to docs/img, where the guides take their pictures from.
PICTURES = Path(os.environ.get("MITRAKIA_TEST_SCREENSHOTS", "var/screenshots"))
LAPTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "id-ID"}
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "id-ID"}  # fmt: skip


MANAGER_PAGES = ["/mitra", "/mitra/outlet", "/mitra/outlet/baru", "/mitra/staf", "/mitra/staf/baru",
                 "/mitra/penawaran", "/mitra/penawaran/baru", "/mitra/riwayat", "/mitra/kunci-api",
                 "/mitra/kunci-api/baru", "/mitra/profil"]  # fmt: skip
CLERK_PAGES = ["/admin", "/admin/mitra", "/admin/penawaran", "/admin/registri", "/admin/kartu", "/admin/kartu/cetak",
               "/admin/penduduk", "/admin/staf", "/admin/staf/baru", "/admin/audit"]  # fmt: skip
# Elements reaching past the right edge of the screen (a table scrolling inside its own box does not).
WIDER_THAN_SCREEN = """[...document.querySelectorAll("body *")]
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((element) => !element.parentElement.closest(".table-wrap"))
  .map((element) => element.tagName + (element.id ? "#" + element.id : "") + "." + element.className).slice(0, 5)"""
# Form fields a screen reader could not name: no <label>, no aria-label, no aria-labelledby.
UNLABELLED_FIELDS = """[...document.querySelectorAll("input, select, textarea")]
  .filter((field) => field.type !== "hidden" && field.type !== "submit")
  .filter((field) => !field.labels.length && !field.ariaLabel && !field.getAttribute("aria-labelledby"))
  .map((field) => field.name || field.id)"""


@asynccontextmanager
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, "--lang=id-ID"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def person(chromium: Any, problems: list[str], **options: Any) -> Any:
    """One person's own browser window: their own cookies; any script error or CSP refusal is collected."""
    context = await chromium.new_context(**(options or LAPTOP))
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    # A refused form answers 422 on purpose (Chromium logs it as "Failed to load resource"); any other error in the
    # console, such as a CSP refusal, is a problem.
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    return page


async def picture(page: Any, name: str, full_page: bool = True) -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(PICTURES / f"{name}.png"), full_page=full_page)


async def sign_in(page: Any, base: str, username: str) -> None:
    await page.goto(f"{base}/masuk")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_load_state()


async def test_from_registration_to_a_revoked_card_at_the_till(create_staff, tmp_path):
    await create_staff("dukcapil", "dukcapil_admin")
    await create_staff("ditjen.admin", "dukcapil_admin", region=None)  # the national key ring's keeper
    problems: list[str] = []
    async with live_server() as base, browser() as chromium:
        manager = await person(chromium, problems)
        clerk = await person(chromium, problems)

        # 1. The manager applies; the form explains itself and signs them in.
        await manager.goto(f"{base}/masuk")
        await manager.get_by_role("link", name="Daftar sebagai mitra").click()
        await manager.get_by_label("Nama usaha").fill("Gramedia Bengkulu")
        await manager.get_by_label("Jenis usaha").select_option("bookstore")
        await manager.get_by_label("Nama penanggung jawab").fill("Ibu Ratna")
        await manager.get_by_label("Nomor telepon / WhatsApp").fill("0812 7300 4455")
        await manager.get_by_label("Kabupaten/kota").select_option(label="Kota Bengkulu")
        await manager.get_by_label("Nama Anda").fill("Ratna (Manajer)")
        await manager.get_by_label("Nama pengguna").fill("gramedia.manajer")
        await manager.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
        await manager.get_by_label("Ulangi kata sandi").fill(PASSWORD + "x")
        await manager.get_by_role("button", name="Kirim pendaftaran").click()
        await manager.get_by_text("Kedua kata sandi tidak sama").wait_for()  # beside the field, nothing sent
        await manager.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
        await manager.get_by_label("Ulangi kata sandi").fill(PASSWORD)
        await picture(manager, "mitra-daftar")
        await manager.get_by_role("button", name="Kirim pendaftaran").click()
        await manager.get_by_text("Menunggu keputusan Dukcapil").wait_for()
        await picture(manager, "mitra-status", full_page=False)

        # 2. Dukcapil approves the application.
        await sign_in(clerk, base, "dukcapil")
        await clerk.get_by_role("link", name="Mitra", exact=True).click()
        await clerk.get_by_role("link", name="Gramedia Bengkulu").click()
        await picture(clerk, "admin-mitra-detail")
        await clerk.get_by_label("Nomor perjanjian kerja sama (PKS)").fill("PKS/021/2026")
        await clerk.get_by_role("button", name="Setujui mitra").click()
        await clerk.get_by_text("Mitra disetujui").wait_for()

        # 3. The manager adds an outlet, a cashier for it, and an offer, then submits the offer.
        await manager.get_by_role("link", name="Outlet", exact=True).click()
        await manager.get_by_role("link", name="Tambah outlet").click()
        await manager.get_by_label("Nama outlet").fill("Gramedia Suprapto")
        await manager.get_by_label("Alamat").fill("Jl. Soeprapto No. 50")
        # Kelurahan of all Indonesia: typing part of a name lists the matches in the chosen kabupaten/kota (Kota
        # Bengkulu first) with their kecamatan and city.
        await manager.get_by_label("Kelurahan/desa", exact=True).fill("pasar bar")
        suggestion = manager.locator(f'#kelurahan_code-choices option[value="{KELURAHAN_PASAR_BARU}"]')
        assert await suggestion.text_content() == "Pasar Baru — Kec. Teluk Segara, Kota Bengkulu"
        await manager.get_by_label("Kelurahan/desa", exact=True).fill(KELURAHAN_PASAR_BARU)  # what choosing it puts
        await (
            manager.locator("#kelurahan_code-shown")
            .get_by_text("Pasar Baru — Kec. Teluk Segara, Kota Bengkulu")
            .wait_for()
        )
        await manager.get_by_role("button", name="Simpan outlet").click()
        await manager.get_by_text("Outlet ditambahkan.").wait_for()
        await picture(manager, "mitra-outlet", full_page=False)

        await manager.get_by_role("link", name="Staf", exact=True).click()
        await manager.get_by_role("link", name="Tambah kasir").first.click()
        await manager.get_by_label("Nama pengguna").fill("gramedia.kasir")
        await manager.get_by_label("Nama tampilan").fill("Budi (kasir pagi)")
        await manager.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
        await manager.get_by_label("Ketik ulang kata sandi").fill(PASSWORD)
        await manager.get_by_label("Outlet").select_option(label="Gramedia Suprapto")
        await manager.get_by_role("button", name="Buat akun").click()
        await manager.get_by_text("gramedia.kasir").first.wait_for()
        await picture(manager, "mitra-staf", full_page=False)

        await manager.get_by_role("link", name="Penawaran", exact=True).click()
        await manager.get_by_role("link", name="Buat penawaran").first.click()
        await manager.get_by_label("Judul penawaran").fill("Diskon buku anak 10%")
        await manager.get_by_label("Uraian", exact=True).fill("Potongan 10% untuk semua buku anak bagi pemegang KIA.")
        await manager.get_by_label("Persen diskon").fill("10")
        await manager.get_by_label("Diskon paling banyak (Rp)").fill("50.000")
        await manager.get_by_label("Per hari").fill("1")
        await manager.get_by_label("Per bulan kalender").fill("4")
        # The summary follows the form as it is typed (htmx), before anything is saved.
        summary = manager.locator("#ringkasan")
        # Each change sends its own request, so wait for the answer to the last one (the limits).
        await summary.filter(has_text="Diskon 10% maks. Rp50.000, 1x per hari, 4x per bulan").wait_for()
        await picture(manager, "mitra-penawaran-form")
        await manager.get_by_role("button", name="Simpan sebagai draf").click()
        await manager.get_by_role("button", name="Ajukan ke Dukcapil").first.click()
        await manager.get_by_text("Penawaran diajukan ke Dukcapil").wait_for()

        # 4. Dukcapil publishes it; parents see it in the public catalog.
        await clerk.get_by_role("link", name="Penawaran", exact=True).click()
        await picture(clerk, "admin-penawaran", full_page=False)
        await clerk.get_by_role("link", name="Diskon buku anak 10%").click()
        await picture(clerk, "admin-penawaran-detail")
        await clerk.get_by_role("button", name="Setujui dan tayangkan").click()
        await clerk.get_by_text("Penawaran disetujui").wait_for()
        parent = await person(chromium, problems, **PHONE)
        await parent.goto(f"{base}/penawaran")
        await parent.get_by_text("Diskon buku anak 10%").first.wait_for()
        await manager.goto(f"{base}/mitra/penawaran")
        await picture(manager, "mitra-penawaran", full_page=False)

        # 5. Ditjen's admin creates the first card-signing key (one key ring for every office); then the clerk
        #    imports a small SIAK export and watches it finish.
        national = await person(chromium, problems)
        await sign_in(national, base, "ditjen.admin")
        await national.get_by_role("link", name="Kunci", exact=True).click()
        await national.get_by_role("link", name="Rotasi kunci").click()
        await national.get_by_role("button", name="Buat kunci baru dan aktifkan").click()
        await national.locator("table").get_by_text("Aktif", exact=False).first.wait_for()
        await picture(national, "admin-kunci", full_page=False)
        export = tmp_path / "siak-bengkulu.csv"
        export.write_bytes(csv_bytes([row(), row(), {**row(), "sex": "X"}]))
        await clerk.get_by_role("link", name="Registri").click()
        await clerk.get_by_label("Berkas CSV dari SIAK").set_input_files(str(export))
        await clerk.get_by_role("button", name="Unggah dan lihat pratinjau").click()
        await clerk.get_by_role("button", name="Impor sekarang").click(timeout=20_000)  # after reading the preview
        await clerk.get_by_text("Selesai", exact=True).wait_for(timeout=20_000)
        await picture(clerk, "admin-registri")
        enrolled = await Card.select(Card.id)
        assert len(enrolled) == 2  # the row with sex "X" is refused, and the page said why

        # 6. It finds one card by the code printed on it, downloads its QR, and revokes it (after a confirmation).
        _, printed = await cards.current_credential(enrolled[0]["id"])
        code = credentials.format_manual_code(printed)
        await clerk.get_by_role("link", name="Kartu", exact=True).click()
        await clerk.get_by_label("Kode manual").fill(code.lower())
        await clerk.get_by_role("button", name="Cari").click()
        await clerk.get_by_text("Aktif", exact=True).first.wait_for()
        # Debian's Chromium under Playwright cancels file downloads, so the link is fetched with this browser's own
        # session (its cookies), exactly as the click would.
        link = clerk.get_by_role("link", name="Unduh QR (PNG)")
        downloaded = await clerk.context.request.get(base + await link.get_attribute("href"))
        assert downloaded.headers["content-type"] == "image/png", await downloaded.text()
        png = await downloaded.body()
        (qr_text,) = read_qr_codes(png)
        await picture(clerk, "admin-kartu")
        await clerk.get_by_role("link", name="Cabut kartu").click()
        await clerk.get_by_text("Yang akan terjadi").wait_for()
        await clerk.get_by_label("Alasan").select_option("lost")
        await picture(clerk, "admin-kartu-cabut", full_page=False)
        await clerk.locator("form button[type=submit]").last.click()
        await clerk.get_by_text("Dicabut", exact=True).first.wait_for()

        # The outlet was saved with the form's default hours (08:00-17:00), and the till refuses outside them
        # (outlet_closed): this story runs at any hour, so its outlet is open around the clock from here on.
        every_hour = {
            day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        }
        await Outlet.update({Outlet.opening_hours: every_hour}).where(Outlet.name == "Gramedia Suprapto")

        # 7. At the till, the cashier's scan of that QR says the card is revoked.
        cashier = await person(chromium, problems, **PHONE)
        await cashier.goto(f"{base}/kasir")
        await cashier.get_by_label("Nama pengguna").fill("gramedia.kasir")
        await cashier.get_by_label("Kata sandi").fill(PASSWORD)
        await cashier.get_by_role("button", name="Masuk").click()
        await cashier.get_by_text("Gramedia Bengkulu · Gramedia Suprapto").wait_for()
        field = cashier.get_by_label("Pindai dengan alat pemindai, atau ketik kode manual")
        await field.click()
        await cashier.keyboard.type(qr_text)
        await cashier.keyboard.press("Enter")
        await cashier.get_by_role("heading", name="Kartu dicabut").wait_for()
        assert "sudah dicabut oleh Dukcapil" in await cashier.locator("#card-detail").inner_text()
        await picture(cashier, "kasir-dicabut", full_page=False)

        # 8. The other child's card still works: the cashier types the code printed under its QR and redeems.
        _, other = await cards.current_credential(enrolled[1]["id"])
        await cashier.get_by_role("button", name="Pindai kartu lain").click()
        await field.click()
        await cashier.keyboard.type(credentials.format_manual_code(other))
        await cashier.keyboard.press("Enter")
        await cashier.get_by_role("heading", name="KIA aktif").wait_for()
        await cashier.get_by_role("button", name="Diskon buku anak 10%").click()
        await cashier.get_by_label("Total belanja (Rp)").fill("85000")
        await cashier.get_by_role("button", name="Konfirmasi").click()
        await cashier.get_by_role("heading", name="Berhasil").wait_for()
        receipt = await cashier.locator("#receipt-code").text_content()

        # The other pages the guides show.
        await manager.goto(f"{base}/mitra/riwayat")
        await manager.get_by_role("code").filter(has_text=receipt).wait_for()
        assert "Rp8.500" in await manager.locator("table").inner_text()
        await picture(manager, "mitra-riwayat", full_page=False)
        await manager.goto(f"{base}/mitra/kunci-api")
        await picture(manager, "mitra-kunci-api", full_page=False)
        for path, name in (("/admin/mitra?status=approved", "admin-mitra"), ("/admin/audit", "admin-audit"),
                           ("/admin/staf", "admin-staf")):  # fmt: skip
            await clerk.goto(f"{base}{path}")
            await picture(clerk, name, full_page=False)

        # 9. Every console page fits a phone's width and names every field it asks for.
        for page, paths in ((manager, MANAGER_PAGES), (clerk, CLERK_PAGES)):
            await page.set_viewport_size({"width": 360, "height": 640})
            for path in paths:
                response = await page.goto(f"{base}{path}")
                assert response.status == 200, path
                assert await page.evaluate(WIDER_THAN_SCREEN) == [], path
                assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
                assert await page.evaluate(UNLABELLED_FIELDS) == [], path

    assert problems == []  # no script error and no CSP refusal on any page
