"""Dukcapil's registry import and card pages as a clerk uses them: upload a SIAK export and read what was refused,
find a card by its manual code, print its QR for the till, revoke, reissue or erase it after a confirmation."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pypdfium2
import pytest
from PIL import Image

from admin.controllers.registry import MAX_UPLOAD_BYTES
from admin.service import registry
from admin.tables import ImportBatch
from core.settings import Settings
from core.stores import Stores
from tests.admin.test_dashboards_browser import fits_width
from tests.admin.test_registry_import import csv_bytes, row, the_file
from tests.browser import chromium, live_server, needs_chromium, screenshot
from tests.conftest import FOUNDING_CITY
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD, read_qr_codes, today
from tests.till import Till
from verification.service import cards, credentials
from verification.tables import Card

REFUSED_ROW = re.compile(r'<tr><td class="num">(\d+)</td><td><code>([^<]+)</code></td><td>([^<]+)</td></tr>')
IMPORT_URL = re.compile(r"^/admin/registri/([0-9a-f-]{36})$")


async def upload(
    client: httpx.AsyncClient, content: bytes, filename: str = "siak-2026-11.csv", confirm: bool = True
) -> httpx.Response:
    """Upload an export on the form and, unless told otherwise, import it from its preview (keeping any card the
    file does not list)."""
    form = await client.get("/admin/registri")
    token = CSRF.search(form.text).group(1)
    uploaded = await client.post(
        "/admin/registri",
        data={"_csrf_token": token, "as_of": today().isoformat()},
        files={"file": (filename, content, "text/csv")},
    )
    if confirm and uploaded.status_code == 303:
        await confirm_preview(client, uploaded.headers["location"])
    return uploaded


async def confirm_preview(client: httpx.AsyncClient, location: str, missing: str = "keep") -> httpx.Response:
    preview = await client.get(location)
    assert "Menunggu keputusan" in preview.text
    token = CSRF.search(preview.text).group(1)
    confirmed = await client.post(f"{location}/impor", data={"_csrf_token": token, "missing": missing})
    assert confirmed.status_code == 303
    return confirmed


async def enrolled_card(client: httpx.AsyncClient, **fields: str) -> tuple[uuid.UUID, str, dict[str, str]]:
    """One child enrolled through the import page: the card, its manual code as printed, and the file's row."""
    child = row(**fields)
    uploaded = await upload(client, csv_bytes([child]))
    batch_id = IMPORT_URL.match(uploaded.headers["location"]).group(1)
    (card,) = await Card.select(Card.id).where(Card.import_batch == uuid.UUID(batch_id))
    _, code = await cards.current_credential(card["id"])
    return card["id"], credentials.format_manual_code(code), child


def decode(image: Image.Image) -> list[str]:
    return read_qr_codes(image)


@pytest.fixture
async def dukcapil(make_client, create_staff) -> httpx.AsyncClient:
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    await sign_in(client, "dukcapil")
    return client


@pytest.fixture
async def counter(till: Till) -> AsyncIterator[httpx.AsyncClient]:
    """The Dukcapil admin's browser on the same app as the till (one status cache, as in production)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=till.client.app), base_url="https://testserver")
    await sign_in(client, "dukcapil")
    yield client
    await client.aclose()


async def test_upload_an_export_then_read_its_counts_and_refused_rows(dukcapil):
    page = await dukcapil.get("/admin/registri")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'href="/admin/penduduk"' in page.text
    content, expected = the_file()

    uploaded = await upload(dukcapil, content, confirm=False)

    assert uploaded.status_code == 303
    assert IMPORT_URL.match(uploaded.headers["location"])
    preview = await dukcapil.get(uploaded.headers["location"])
    assert "Belum ada yang ditulis." in preview.text
    planned = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', preview.text))
    assert planned["Kartu baru (dengan persetujuan orang tua)"] == "3"
    assert planned["Baris ditolak"] == "16"
    assert 'id="coverage-changes"' in preview.text
    assert await Card.count() == 0
    await confirm_preview(dukcapil, uploaded.headers["location"])
    report = await dukcapil.get(uploaded.headers["location"])
    assert report.status_code == 200
    assert "Selesai" in report.text
    assert "hx-get" not in report.text  # nothing left to poll
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', report.text))
    assert counts["Baris dalam berkas"] == "21"
    assert counts["Kartu baru (dengan persetujuan orang tua)"] == "3"
    assert counts["Tanpa persetujuan: hanya dihitung"] == "2"
    assert counts["Baris ditolak"] == "16"
    shown = [
        (int(number), column, html.unescape(reason)) for number, column, reason in REFUSED_ROW.findall(report.text)
    ]
    assert shown == [
        (number, "consent_guardian, consent_version, consent_at" if field == "consent" else field,
         registry.ROW_PROBLEMS[code].id)
        for number, field, code in expected
    ]  # fmt: skip
    assert (3, "nik", "NIK harus 16 angka.") not in shown  # row 3 was good
    for line in content.decode().splitlines()[1:]:
        assert line.split(",")[0] not in report.text  # no NIK on the page, not even a refused one

    dukcapil.cookies.set("mitrakia_lang", "en")
    english = await dukcapil.get(uploaded.headers["location"])
    assert "The NIK must be 16 digits." in english.text
    assert "Rows refused" in english.text
    dukcapil.cookies.delete("mitrakia_lang")
    listed = await dukcapil.get("/admin/registri")
    assert "siak-2026-11.csv" in listed.text
    assert uploaded.headers["location"] in listed.text


async def test_a_running_import_is_polled_until_it_ends(dukcapil, settings: Settings):
    content = csv_bytes([row(), row(nik="123")])
    batch_id = await registry.start_batch("siak.csv", content, today(), None, FOUNDING_CITY)

    running = await dukcapil.get(f"/admin/registri/{batch_id}")
    assert "Sedang berjalan" in running.text
    assert f'hx-get="/admin/registri/{batch_id}/kemajuan" hx-trigger="every 1s"' in running.text
    assert '<script src="/static/vendor/htmx.min.js"></script>' in running.text
    assert '<noscript><meta http-equiv="refresh"' in running.text  # without scripts the page reloads itself
    assert "<script>" not in running.text  # the CSP allows no inline script
    fragment = await dukcapil.get(f"/admin/registri/{batch_id}/kemajuan")
    assert 'hx-trigger="every 1s"' in fragment.text
    assert "<html" not in fragment.text

    await registry.run_batch(batch_id, content, None, settings, Stores(settings.redis_url))

    done = await dukcapil.get(f"/admin/registri/{batch_id}/kemajuan")
    assert "hx-get" not in done.text  # the swapped-in block stops the polling
    assert "Selesai" in done.text
    assert "NIK harus 16 angka." in done.text


async def test_a_bad_file_is_refused_on_the_form_and_imports_nothing(dukcapil):
    cases = [
        (csv_bytes([row()], header=("nik", "sex")), 422, "Kolom wajib tidak ada di baris judul: birth_date, "),
        ("nik,birth_date\n3171é".encode("latin-1"), 422, "Berkas bukan CSV UTF-8 yang dapat dibaca."),
        (b"", 422, "Pilih berkas CSV ekspor SIAK."),
        (b"nik," + b"x" * MAX_UPLOAD_BYTES, 413, "Berkas terlalu besar: paling banyak 64 MB."),
    ]
    for content, status, message in cases:
        refused = await upload(dukcapil, content)
        assert refused.status_code == status, message
        assert message in html.unescape(refused.text)
        assert 'aria-invalid="true"' in refused.text
        assert "Tidak ada yang diimpor dari berkas itu." in refused.text
        assert await ImportBatch.count() == 0
    token = CSRF.search((await dukcapil.get("/admin/registri")).text).group(1)
    typo = await dukcapil.post(
        "/admin/registri", data={"_csrf_token": token, "as_of": "0001-01-01"},
        files={"file": ("siak.csv", csv_bytes([row()]), "text/csv")},
    )  # fmt: skip
    assert typo.status_code == 422
    assert "Tanggal harus antara 2000-01-01 dan 2100-12-31." in typo.text
    assert await ImportBatch.count() == 0
    # The form shown with the last refusal (413: the body was never read) sends the next file; no date is today.
    token = CSRF.search(refused.text).group(1)
    again = await dukcapil.post(
        "/admin/registri", data={"_csrf_token": token}, files={"file": ("siak.csv", csv_bytes([row()]), "text/csv")}
    )
    assert again.status_code == 303
    await confirm_preview(dukcapil, again.headers["location"])
    assert await Card.count() == 1
    assert (await ImportBatch.select(ImportBatch.as_of).first())["as_of"] == today()


async def test_an_analyst_reads_imports_but_changes_nothing(dukcapil, make_client, create_staff):
    card_id, code, _ = await enrolled_card(dukcapil)
    await create_staff("analis", "dukcapil_analyst")
    analyst = await page_client(make_client)
    await sign_in(analyst, "analis")

    imports = await analyst.get("/admin/registri")
    assert imports.status_code == 200
    assert 'enctype="multipart/form-data"' not in imports.text
    token = CSRF.search(imports.text).group(1)  # the sign-out form's: a valid token, so only the role refuses
    assert (await analyst.get(f"/admin/registri/{imports.text.split('/admin/registri/')[1][:36]}")).status_code == 200
    refused = await analyst.post(
        "/admin/registri", data={"_csrf_token": token}, files={"file": ("a.csv", csv_bytes([row()]), "text/csv")}
    )
    assert refused.status_code == 403
    # The cards API is for the admin only, and so are the card pages.
    assert (await analyst.get("/admin/kartu", params={"manual_code": code})).status_code == 403
    assert (await analyst.get(f"/admin/kartu/{card_id}")).status_code == 403
    for action, data in (("cabut", {"reason": "lost"}), ("terbitkan-ulang", {"reason": "lost"}),
                         ("tarik-persetujuan", {})):  # fmt: skip
        assert (
            await analyst.post(f"/admin/kartu/{card_id}/{action}", data={"_csrf_token": token, **data})
        ).status_code == 403
    assert (await analyst.get(f"/admin/kartu/{card_id}/qr.png")).status_code == 403
    assert (await cards.detail(card_id, today(), None)).status == "active"
    assert await ImportBatch.count() == 1


async def test_find_print_and_revoke_a_card_the_till_then_refuses(till: Till, counter):
    offer = await till.offer(limits=[])
    card_id, code, child = await enrolled_card(counter)

    missing = await counter.get("/admin/kartu", params={"manual_code": "0000-0000-000"})
    assert missing.status_code == 404
    assert "Kartu tidak ditemukan" in missing.text
    assert 'aria-invalid="true"' in missing.text
    found = await counter.get("/admin/kartu", params={"manual_code": code.replace("-", " ").lower()})
    assert (found.status_code, found.headers["location"]) == (303, f"/admin/kartu/{card_id}")
    page = await counter.get(found.headers["location"])
    assert page.status_code == 200
    assert code in page.text
    assert "Aktif" in page.text
    assert "KIA anak 5 sampai 17 tahun" in page.text
    assert "17.71.03.1002" in page.text
    assert "Terdaftar" in page.text
    assert "Dukcapil (dukcapil)" in page.text
    assert "WIB" in page.text
    assert child["nik"] not in page.text
    assert child["birth_date"] not in page.text

    png = await counter.get(f"/admin/kartu/{card_id}/qr.png")
    assert png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "no-store"
    (qr,) = decode(Image.open(io.BytesIO(png.content)))
    scanned = await till.scan(qr)
    assert scanned.status_code == 200
    assert scanned.json()["card"]["status"] == "active"
    assert [o["eligible"] for o in scanned.json()["offers"] if o["offer_id"] == offer["id"]] == [True]
    sheet = await counter.get(f"/admin/kartu/{card_id}/stiker.pdf")
    assert sheet.headers["content-type"] == "application/pdf"
    pdf_page = pypdfium2.PdfDocument(sheet.content)[0]
    (from_sheet,) = decode(pdf_page.render(scale=300 / 72).to_pil())
    assert (await till.scan(from_sheet)).json()["card"]["status"] == "active"
    assert "QR dicetak" in (await counter.get(f"/admin/kartu/{card_id}")).text

    confirm = await counter.get(f"/admin/kartu/{card_id}/cabut")
    assert confirm.status_code == 200
    assert "tidak dapat dibatalkan" in confirm.text
    assert '<option value="deceased">Anak meninggal dunia</option>' in confirm.text
    token = CSRF.search(confirm.text).group(1)
    no_reason = await counter.post(f"/admin/kartu/{card_id}/cabut", data={"_csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422
    assert "Wajib diisi." in no_reason.text
    assert (await till.scan(qr)).json()["card"]["status"] == "active"  # nothing happened

    revoked = await counter.post(f"/admin/kartu/{card_id}/cabut", data={"_csrf_token": token, "reason": "deceased"})
    assert (revoked.status_code, revoked.headers["location"]) == (303, f"/admin/kartu/{card_id}?ok=dicabut")
    after = await counter.get(revoked.headers["location"])
    assert "Kartu dicabut. Kasir menolaknya mulai sekarang." in after.text
    assert "Dicabut" in after.text
    assert "Anak meninggal dunia" in after.text
    assert f"/admin/kartu/{card_id}/qr.png" not in after.text
    refused = (await till.scan(qr)).json()
    assert refused["card"]["reason_code"] == "card_revoked"
    assert not any(o["eligible"] for o in refused["offers"])
    twice = await counter.post(f"/admin/kartu/{card_id}/cabut", data={"_csrf_token": token, "reason": "lost"})
    assert twice.status_code == 409
    assert "Tindakan ini hanya untuk kartu aktif" in html.unescape(twice.text)


async def test_reissue_then_withdraw_consent_through_their_confirmations(till: Till, counter):
    card_id, code, _ = await enrolled_card(counter)
    old_qr = await till.qr(card_id)

    confirm = await counter.get(f"/admin/kartu/{card_id}/terbitkan-ulang")
    assert "versi kredensial 2" in confirm.text
    token = CSRF.search(confirm.text).group(1)
    reissued = await counter.post(
        f"/admin/kartu/{card_id}/terbitkan-ulang", data={"_csrf_token": token, "reason": "damaged"}
    )
    assert reissued.headers["location"] == f"/admin/kartu/{card_id}?ok=diterbitkan-ulang"
    page = await counter.get(reissued.headers["location"])
    _, new_code = await cards.current_credential(card_id)
    assert credentials.format_manual_code(new_code) in page.text
    assert code not in page.text.split('id="card-history"')[0]
    assert "Diterbitkan ulang" in page.text
    assert "Rusak" in page.text
    assert (await till.scan(old_qr)).json()["card"]["reason_code"] == "card_superseded"
    found = await counter.get("/admin/kartu", params={"manual_code": credentials.format_manual_code(new_code)})
    assert found.headers["location"] == f"/admin/kartu/{card_id}"
    new_qr = await till.qr(card_id)
    assert (await till.scan(new_qr)).json()["card"]["status"] == "active"

    warning = await counter.get(f"/admin/kartu/{card_id}/tarik-persetujuan")
    assert "TIDAK DAPAT DIBATALKAN" in warning.text
    assert "DIHAPUS" in warning.text
    withdrawn = await counter.post(f"/admin/kartu/{card_id}/tarik-persetujuan", data={"_csrf_token": token})
    assert withdrawn.headers["location"] == f"/admin/kartu/{card_id}?ok=persetujuan-ditarik"
    page = await counter.get(withdrawn.headers["location"])
    assert "Persetujuan ditarik: kartu dicabut dan data pribadinya dihapus." in page.text
    assert "Persetujuan ditarik, data dihapus" in page.text  # the history's event
    assert "tarik-persetujuan" not in page.text  # nothing left to do
    card = await Card.select(Card.birth_date, Card.nik_hash, Card.consent_at).where(Card.id == card_id).first()
    assert card == {"birth_date": None, "nik_hash": None, "consent_at": None}
    assert (await till.scan(new_qr)).json()["card"]["reason_code"] == "card_revoked"


@needs_chromium
async def test_in_a_browser_upload_watch_the_import_and_open_a_card_on_a_phone(create_staff, settings: Settings):
    await create_staff("dukcapil", "dukcapil_admin")
    child = row()
    waiting = await registry.start_batch("siak-kemarin.csv", csv_bytes([row()]), today(), None, FOUNDING_CITY)
    async with live_server() as base, chromium() as page:
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("requestfailed", lambda request: errors.append(request.url))
        await page.goto(f"{base}/admin/registri")
        await page.get_by_label("Nama pengguna").fill("dukcapil")
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await page.wait_for_url(f"{base}/admin/registri")
        assert await fits_width(page)
        await screenshot(page, "admin-registri-phone", full_page=True)

        # A file chosen and sent as a clerk does; the import page tells what came of each row.
        await page.get_by_label("Berkas CSV dari SIAK").set_input_files(
            files=[{"name": "siak.csv", "mimeType": "text/csv", "buffer": csv_bytes([child, row(sex="X")])}]
        )
        await page.get_by_role("button", name="Unggah dan lihat pratinjau").click()
        await page.wait_for_url(re.compile(r".*/admin/registri/[0-9a-f-]{36}$"))
        # First the preview: what the file would do, and the coverage it would change, before anything is written.
        await page.locator("#coverage-changes").wait_for()
        assert await fits_width(page)
        await screenshot(page, "admin-registri-pratinjau", full_page=True)
        await page.get_by_role("button", name="Impor sekarang").click()
        await page.locator("#refused-rows", has_text="Jenis kelamin harus L atau P.").wait_for()
        assert await fits_width(page)
        await screenshot(page, "admin-registri-impor", full_page=True)

        # An import still running: the page updates itself in place (htmx), without reloading.
        await page.goto(f"{base}/admin/registri/{waiting}")
        await page.get_by_text("Sedang berjalan").wait_for()
        loads: list[str] = []
        page.on("load", lambda _: loads.append(page.url))
        await registry.run_batch(waiting, csv_bytes([row()]), None, settings, Stores(settings.redis_url))
        await page.locator("#import-counts").wait_for(timeout=5000)
        assert await page.locator("#import-progress").get_attribute("hx-get") is None  # polling stopped
        assert loads == []

        (card,) = await Card.select(Card.id).where(Card.kelurahan_code == child["kelurahan_code"]).limit(1)
        _, code = await cards.current_credential(card["id"])
        await page.goto(f"{base}/admin/kartu")
        await page.get_by_label("Kode manual").fill(code.lower())
        await page.get_by_role("button", name="Cari").click()
        await page.wait_for_url(f"{base}/admin/kartu/{card['id']}")
        await page.get_by_role("link", name="Unduh QR (PNG)").wait_for()
        assert child["nik"] not in await page.content()
        assert await fits_width(page)
        await screenshot(page, "admin-kartu-phone", full_page=True)
        assert [e for e in errors if "404" not in e] == []  # no script or style refused by the Content-Security-Policy
