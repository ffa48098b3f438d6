"""Events written beside the effect estimate: an office admin writes a supply limit for its own city (in the API or
on /admin/peristiwa); the province and the nation read it; an analyst cannot write; a bad date range is refused
without a trace; another office's admin is told it is not there."""

from __future__ import annotations

from admin.tables import ReportEvent
from tests.conftest import login
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD, dukcapil_headers

EVENTS = "/api/v1/admin/report-events"
BLANKS = {"kind": "supply_limit", "title": "Blangko KIA habis", "starts_on": "2025-02-03", "ends_on": "2025-03-14"}


async def test_an_office_writes_an_event_that_its_province_reads_and_others_cannot_touch(client, create_staff):
    dukcapil = await dukcapil_headers(client, create_staff)
    made = await client.post(EVENTS, json=BLANKS, headers=dukcapil)
    assert made.status_code == 201, made.text
    event = made.json()
    assert (event["region_code"], event["kind"], event["title"]) == ("17.71", "supply_limit", "Blangko KIA habis")

    backwards = await client.post(EVENTS, json={**BLANKS, "ends_on": "2025-01-01"}, headers=dukcapil)
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["code"] == "ends_before_start"
    assert await ReportEvent.count() == 1

    await create_staff("analis", "dukcapil_analyst")
    analyst = await login(client, "analis", PASSWORD)
    assert [e["id"] for e in (await client.get(EVENTS, headers=analyst)).json()] == [event["id"]]
    assert (await client.post(EVENTS, json=BLANKS, headers=analyst)).status_code == 403

    await create_staff("provinsi", "dukcapil_analyst", region="17")
    province = await login(client, "provinsi", PASSWORD)
    assert [e["id"] for e in (await client.get(EVENTS, headers=province)).json()] == [event["id"]]

    await create_staff("rejanglebong", "dukcapil_admin", region="17.02")
    other = await login(client, "rejanglebong", PASSWORD)
    assert (await client.get(EVENTS, headers=other)).json() == []
    gone = await client.delete(f"{EVENTS}/{event['id']}", headers=other)
    assert gone.status_code == 404
    assert gone.json()["code"] == "report_event_not_found"
    assert await ReportEvent.count() == 1

    assert (await client.delete(f"{EVENTS}/{event['id']}", headers=dukcapil)).status_code == 204
    assert await ReportEvent.count() == 0


async def test_an_admin_writes_and_removes_an_event_on_the_page(make_client, create_staff):
    client = await page_client(make_client)
    await create_staff("dukcapil", "dukcapil_admin")
    await sign_in(client, "dukcapil")
    page = await client.get("/admin/peristiwa/")
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)
    refused = await client.post("/admin/peristiwa/", data={"_csrf_token": token, **BLANKS, "ends_on": "2025-01-01"})
    assert refused.status_code == 422
    assert "Tanggal selesai tidak boleh sebelum tanggal mulai." in refused.text

    saved = await client.post("/admin/peristiwa/", data={"_csrf_token": token, **BLANKS})
    assert saved.status_code == 303
    listed = await client.get(saved.headers["location"])
    assert "Peristiwa dicatat." in listed.text
    assert "Blangko KIA habis" in listed.text
    assert "3 Februari 2025 – 14 Maret 2025" in listed.text

    (row,) = await ReportEvent.select(ReportEvent.id)
    removed = await client.post(f"/admin/peristiwa/{row['id']}/hapus", data={"_csrf_token": token})
    assert removed.status_code == 303
    assert await ReportEvent.count() == 0
