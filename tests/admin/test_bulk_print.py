"""Bulk printing from the console: a kelurahan's (or an import's) active cards onto sticker sheets, with the run's
progress, the PDF's QR codes read back by the till, and the run kept within its office."""

from __future__ import annotations

import re

import httpx
import pypdfium2

from tests.admin.test_registry_card_pages import decode, upload
from tests.admin.test_registry_import import csv_bytes, row
from tests.core.test_pages import CSRF, sign_in
from tests.till import Till
from verification.tables import Card, CardEvent

RUN_URL = re.compile(r"^/admin/kartu/cetak/([0-9a-f-]{36})$")
KELURAHAN = "17.71.03.1002"


async def start(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = await client.get("/admin/kartu/cetak")
    assert form.status_code == 200
    return await client.post("/admin/kartu/cetak", data={"_csrf_token": CSRF.search(form.text).group(1), **fields})


async def test_a_kelurahans_cards_print_onto_sheets_the_till_reads(till: Till, create_staff, settings):
    offer = await till.offer(limits=[])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=till.client.app), base_url="https://testserver")
    await sign_in(client, "dukcapil")
    children = [row(kelurahan=KELURAHAN) for _ in range(25)]
    other = [row(kelurahan="17.71.09.1001")]
    assert (await upload(client, csv_bytes(children + other))).status_code == 303
    form = await client.get("/admin/kartu/cetak")
    assert f'<option value="{KELURAHAN}">' in form.text  # the office's own kelurahan
    assert "17.02." not in form.text  # never another office's

    neither = await start(client)
    assert neither.status_code == 422
    assert "Pilih satu" in neither.text
    elsewhere = await start(client, kelurahan_code="17.02.19.1003")
    assert elsewhere.status_code == 422
    assert "tidak ada di wilayah kantor Anda" in elsewhere.text

    started = await start(client, kelurahan_code=KELURAHAN)
    assert started.status_code == 303
    run_id = RUN_URL.match(started.headers["location"]).group(1)
    page = await client.get(started.headers["location"])
    assert "Selesai" in page.text
    assert "hx-get" not in page.text  # nothing left to poll
    # The block htmx polls for, asked as htmx asks (*/*, the phone's English locale): in the page's language.
    fragment = await client.get(
        f"/admin/kartu/cetak/{RUN_URL.match(started.headers['location']).group(1)}/kemajuan",
        headers={"HX-Request": "true", "Accept": "*/*", "Accept-Language": "en-US,en;q=0.9"},
    )
    assert "Selesai" in fragment.text
    assert not fragment.text.lstrip().lower().startswith("<!doctype")
    assert "25 kartu" in page.text
    sheet = await client.get(f"/admin/kartu/cetak/{run_id}/stiker.pdf")
    assert (sheet.status_code, sheet.headers["content-type"]) == (200, "application/pdf")
    assert sheet.headers["cache-control"] == "no-store"
    pdf = pypdfium2.PdfDocument(sheet.content)
    assert len(pdf) == 2  # 21 stickers a sheet
    codes = decode(pdf[1].render(scale=300 / 72).to_pil())
    assert len(codes) == 4
    scanned = (await till.scan(codes[0])).json()
    assert scanned["card"]["status"] == "active"
    assert [o["eligible"] for o in scanned["offers"] if o["offer_id"] == offer["id"]] == [True]
    in_kelurahan = [r["id"] for r in await Card.select(Card.id).where(Card.kelurahan_code == KELURAHAN)]
    printed = await CardEvent.count().where(CardEvent.event == "printed")
    assert (len(in_kelurahan), printed) == (25, 25)  # the other kelurahan's card was not printed

    # Another office's admin finds neither the run nor its PDF; an analyst may not print.
    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    stranger = httpx.AsyncClient(transport=httpx.ASGITransport(app=till.client.app), base_url="https://testserver")
    await sign_in(stranger, "dukcapil.rl")
    assert (await stranger.get(f"/admin/kartu/cetak/{run_id}")).status_code == 404
    assert (await stranger.get(f"/admin/kartu/cetak/{run_id}/stiker.pdf")).status_code == 404
    assert run_id not in (await stranger.get("/admin/kartu/cetak")).text
    await create_staff("analis", "dukcapil_analyst")
    analyst = httpx.AsyncClient(transport=httpx.ASGITransport(app=till.client.app), base_url="https://testserver")
    await sign_in(analyst, "analis")
    assert (await analyst.get("/admin/kartu/cetak")).status_code == 403
    for each in (client, stranger, analyst):
        await each.aclose()


async def test_a_run_the_worker_never_finished_shows_as_failed_to_start_again(make_client, create_staff):
    import uuid
    from datetime import timedelta

    from admin.tables import PrintRun
    from core.localtime import utc_now
    from tests.core.test_pages import page_client

    await create_staff("dukcapil", "dukcapil_admin")
    client = await page_client(make_client)
    await sign_in(client, "dukcapil")
    stuck, fresh = uuid.uuid4(), uuid.uuid4()
    for run_id, started in ((stuck, utc_now() - timedelta(hours=2)), (fresh, utc_now())):
        await PrintRun.insert(
            PrintRun(id=run_id, city_code="17.71", kelurahan_code=KELURAHAN, label="Pasar Baru", total=10,
                     started_by=None, started_at=started)
        )  # fmt: skip
    assert "Pencetakan gagal" in (await client.get(f"/admin/kartu/cetak/{stuck}")).text
    assert "hx-get" in (await client.get(f"/admin/kartu/cetak/{fresh}")).text  # still polled
