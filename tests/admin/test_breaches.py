"""The breach register (UU PDP art. 46): an office's admin records an incident and sees the 3 × 24 hour deadline run
out; completing it with the notifications ends the countdown; the register exports as CSV and the report as a PDF
with the parents' notice; every change is audited; another office's admin finds nothing, an analyst cannot enter."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pypdfium2

from core.localtime import utc_now
from core.tables import AuditEvent
from tests.conftest import login
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD

API = "/api/v1/admin/breaches"


def incident(**overrides):
    return {
        "discovered_at": (utc_now() - timedelta(hours=80)).isoformat(),
        "description": "Laptop petugas berisi ekspor SIAK Kecamatan Teluk Segara hilang di angkot.",
        "categories": ["registry_file", "birth_date"],
        "regions": ["17.71.03"],
        "children_affected": 412,
        "measures": "Sandi akun petugas diganti; laporan polisi dibuat.",
        **overrides,
    }


async def test_an_incident_counts_down_to_its_deadline_and_is_reported(client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")
    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    await create_staff("analis", "dukcapil_analyst")
    admin = await login(client, "dukcapil", PASSWORD)

    recorded = await client.post(API, json=incident(), headers=admin)
    assert recorded.status_code == 201
    breach = recorded.json()
    assert breach["overdue"] is True  # discovered 80 hours ago, nobody told yet
    assert breach["scope_code"] == "17.71"

    told = utc_now() - timedelta(hours=1)
    completed = await client.put(
        f"{API}/{breach['id']}",
        json=incident(authority_notified_at=told.isoformat(), parents_notified_at=told.isoformat()),
        headers=admin,
    )
    assert completed.status_code == 200
    assert completed.json()["overdue"] is False
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.object_type == "breach")]  # fmt: skip
    assert actions == ["breach.recorded", "breach.updated"]

    register = await client.get(API, params={"format": "csv"}, headers=admin)
    (row,) = list(csv.DictReader(io.StringIO(register.text.lstrip("\ufeff"))))
    assert (row["children_affected"], row["categories"], row["overdue"]) == ("412", "birth_date;registry_file", "False")
    report = await client.get(f"{API}/{breach['id']}/report.pdf", headers=admin)
    assert report.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(report.content)
    text = "".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    assert "Laporan insiden data pribadi" in text
    assert "Pemberitahuan untuk orang tua" in text
    assert "Berkas ekspor SIAK" in text
    notice = await client.get(f"{API}/{breach['id']}/notice", headers={**admin, "Accept-Language": "en"})
    assert "Children concerned: 412." in notice.text

    other = await login(client, "dukcapil.rl", PASSWORD)
    assert (await client.get(f"{API}/{breach['id']}", headers=other)).status_code == 404
    assert (await client.get(API, headers=other)).json() == []
    analyst = await login(client, "analis", PASSWORD)
    assert (await client.get(API, headers=analyst)).status_code == 403


async def test_a_record_that_does_not_add_up_is_refused(client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")
    admin = await login(client, "dukcapil", PASSWORD)
    cases = [
        (incident(categories=["mood"]), "unknown_category"),
        (incident(regions=["17.02.01"]), "region_outside_reach"),
        (incident(parents_notified_at=(utc_now() - timedelta(hours=90)).isoformat()), "notified_before_discovery"),
        (incident(discovered_at=(utc_now() + timedelta(days=1)).isoformat()), "in_the_future"),
    ]
    for body, code in cases:
        refused = await client.post(API, json=body, headers=admin)
        assert refused.status_code == 422, code
        assert refused.json()["errors"][0]["code"] == code
    assert (await client.get(API, headers=admin)).json() == []


async def test_the_register_page_records_an_incident_and_shows_the_time_left(make_client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")
    browser = await page_client(make_client)
    await sign_in(browser, "dukcapil")
    page = await browser.get("/admin/insiden")
    assert page.status_code == 200
    discovered = (utc_now() + timedelta(hours=7) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")  # WIB, 2 h ago
    recorded = await browser.post(
        "/admin/insiden",
        data={"_csrf_token": CSRF.search(page.text).group(1), "discovered_at": discovered,
              "description": "Tautan berbagi daftar kartu terkirim ke grup yang salah.", "category_kelurahan": "on",
              "children_affected": "30"},
    )  # fmt: skip
    assert recorded.status_code == 303
    detail = await browser.get(recorded.headers["location"])
    assert re.search(r"Sisa (69|70) jam \d+ menit", detail.text)
    assert "Insiden dicatat." in detail.text
    assert "Kelurahan tempat tinggal" in detail.text  # in the parents' notice
    listed = await browser.get("/admin/insiden")
    assert "Tautan berbagi daftar kartu" in listed.text
