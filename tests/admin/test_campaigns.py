"""Outreach campaigns: a school's campaign gets a code, a short link that counts opens with no cookie and no address
kept, a poster whose QR opens that link; registry rows carrying its code are its enrolments; the report shows them
per campaign, school and kecamatan with small counts hidden, and the channel that brought the most new KIAs."""

from __future__ import annotations

from datetime import timedelta

from admin.service import registry
from admin.tables import CampaignEnrolment, CampaignVisit, KiaGuide
from core.tables import AuditEvent
from tests.admin.test_registry_import import csv_bytes, import_, row
from tests.conftest import login
from tests.core.test_pages import page_client, sign_in
from tests.helpers import dukcapil_headers, today

BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 Chrome/120 Mobile Safari"}
WHATSAPP = {"User-Agent": "WhatsApp/2.23.20.0 A"}
SCHOOL = {"name": "Surat untuk orang tua kelas 1", "kind": "school", "school_name": "SD Negeri 1 Kota Bengkulu",
          "kecamatan_code": "17.71.03", "landing": "guide"}  # fmt: skip


async def _campaign(client, headers, **overrides) -> dict:
    body = {**SCHOOL, "starts_on": (today() - timedelta(days=20)).isoformat(), **overrides}
    made = await client.post("/api/v1/admin/campaigns", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


async def test_a_school_campaign_counts_visits_without_a_trace_and_its_enrolments(client, create_staff, settings):
    dukcapil = await dukcapil_headers(client, create_staff)
    campaign = await _campaign(client, dukcapil)
    code = campaign["code"]
    assert len(code) == 6
    assert campaign["short_url"] == f"{settings.public_base_url}/k/{code}"

    audit_before = await AuditEvent.count()
    for typed in (code, code.lower(), f"{code[:3]}-{code[3:]}"):  # as printed, typed small, read aloud in two
        opened = await client.get(f"/k/{typed}", headers=BROWSER)
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/cara-mendapat-kia/17.71?src={code}"
        assert "set-cookie" not in opened.headers
    preview = await client.get(f"/k/{code}", headers=WHATSAPP)  # WhatsApp fetching the link's preview
    assert preview.status_code == 303
    (visits,) = await CampaignVisit.select()
    assert set(visits) == {"id", "campaign", "day", "visits"}  # a count per day: no address, no device, no agent
    assert (visits["visits"], visits["day"]) == (3, today())
    assert await AuditEvent.count() == audit_before  # nor anywhere else
    unknown = await client.get("/k/ZZZZZZ", headers=BROWSER)
    assert unknown.status_code == 404

    await KiaGuide.insert(KiaGuide(city_code="17.71", office_name="Dukcapil Kota Bengkulu", address="Jl. Contoh",
                                   hours="Senin-Jumat 08.00-15.00"))  # fmt: skip
    landing = await client.get(f"/cara-mendapat-kia/17.71?src={code}", headers=BROWSER)
    assert landing.status_code == 200
    assert "set-cookie" not in landing.headers
    assert f"Kode kampanye {code}" in landing.text
    assert "SD Negeri 1 Kota Bengkulu" in landing.text

    # The registry export names the campaign on six children's rows; one row names a code that is not this office's.
    header = (*registry.COLUMNS, "campaign_code")
    rows = [row(campaign_code=code.lower()) for _ in range(6)] + [row(), row(campaign_code="ABCDEF")]
    batch = await import_(csv_bytes(rows, header), settings)
    assert (batch.created, batch.rejected) == (7, 1)
    problems = await registry.problems_of(batch.id)
    assert [(p["field"], p["code"]) for p in problems] == [("campaign_code", "unknown_campaign")]
    assert await CampaignEnrolment.count() == 6

    report = (await client.get("/api/v1/admin/reports/campaigns", headers=dukcapil)).json()
    (line,) = report["campaigns"]
    assert (line["key"], line["visits"], line["enrolments"]) == (code, 3, 6)
    this_month = next(m for m in line["months"] if m["month"] == today().replace(day=1).isoformat())
    assert this_month["enrolments"] in (6, "<5")  # the consents were three days ago: this month or last
    assert [(s["label"], s["enrolments"]) for s in report["schools"]] == [("SD Negeri 1 Kota Bengkulu", 6)]
    assert [k["enrolments"] for k in report["kecamatan"]] == [6]
    leader = report["channel_leaders"][-1]
    assert leader["channel"] == "school_whatsapp_group"  # every row of this export came through it

    # A later export naming another campaign for the same children changes nothing: attribution is history.
    other = await _campaign(client, dukcapil, name="Stan di pasar", kind="event", school_name="")
    again = [dict(r, campaign_code=other["code"]) for r in rows[:6]]
    await import_(csv_bytes(again, header), settings)
    assert await CampaignEnrolment.count() == 6


async def test_few_enrolments_are_hidden_and_another_office_sees_no_campaign(client, create_staff, settings):
    dukcapil = await dukcapil_headers(client, create_staff)
    campaign = await _campaign(client, dukcapil)
    header = (*registry.COLUMNS, "campaign_code")
    await import_(csv_bytes([row(campaign_code=campaign["code"]) for _ in range(3)], header), settings)
    report = (await client.get("/api/v1/admin/reports/campaigns", headers=dukcapil)).json()
    assert report["campaigns"][0]["enrolments"] == "<5"
    assert all(m["enrolments"] in (0, "<5") for m in report["campaigns"][0]["months"])

    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    elsewhere = await login(client, "dukcapil.rl", "correct-horse-battery")
    assert (await client.get(f"/api/v1/admin/campaigns/{campaign['id']}", headers=elsewhere)).status_code == 404
    assert (await client.get("/api/v1/admin/campaigns", headers=elsewhere)).json() == []
    assert (await client.get("/api/v1/admin/reports/campaigns", headers=elsewhere)).json()["campaigns"] == []
    # Its own export cannot borrow the code either.
    refused = await client.post(
        "/api/v1/admin/campaigns", json={**SCHOOL, "starts_on": today().isoformat()}, headers=elsewhere
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "kecamatan_outside_office"


async def test_an_office_makes_a_campaign_in_the_console_and_prints_its_poster(make_client, create_staff, settings):
    import pypdfium2
    import zxingcpp

    await create_staff("dukcapil", "dukcapil_admin")
    client = await page_client(make_client)
    assert (await sign_in(client, "dukcapil", "correct-horse-battery")).status_code == 303
    form = await client.get("/admin/kampanye")
    assert form.status_code == 200
    token = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
    made = await client.post("/admin/kampanye", data={
        "_csrf_token": token, "name": "Grup WA orang tua kelas 3", "kind": "whatsapp_group",
        "school_name": "SD Negeri 1 Kota Bengkulu", "kecamatan_code": "17.71.03", "landing": "guide",
        "starts_on": today().isoformat(), "ends_on": "",
    })  # fmt: skip
    assert made.status_code == 303, made.text
    detail = await client.get(made.headers["location"])
    assert "Grup WA orang tua kelas 3" in detail.text
    code = detail.text.split('id="campaign-code">')[1].split("<")[0]

    poster = await client.get(made.headers["location"].split("?")[0] + "/poster.pdf")
    assert poster.headers["content-type"] == "application/pdf"
    page = pypdfium2.PdfDocument(poster.content)[0]
    text = page.get_textpage().get_text_range()
    assert f"Kode: {code}" in text
    assert "SD Negeri 1 Kota Bengkulu" in text
    (found,) = zxingcpp.read_barcodes(page.render(scale=3).to_pil())
    assert found.text == f"{settings.public_base_url}/k/{code}"

    bad = await client.post("/admin/kampanye", data={"_csrf_token": token, "name": "x", "kind": "school",
                                                     "starts_on": today().isoformat()})  # fmt: skip
    assert bad.status_code == 422


async def test_the_demo_has_a_schools_campaign_with_visits_and_enrolments(demo, client):
    from admin.demo import DEMO_PASSWORD
    from admin.demo_campaign import SCHOOL

    dukcapil = await login(client, "dukcapil", DEMO_PASSWORD)
    report = (await client.get("/api/v1/admin/reports/campaigns", headers=dukcapil)).json()
    (line,) = report["campaigns"]
    assert line["visits"] > 1000
    assert isinstance(line["enrolments"], int)
    assert line["enrolments"] >= report["threshold"]
    assert [s["label"] for s in report["schools"]] == [SCHOOL]
    assert [k["label"] for k in report["kecamatan"]] == ["Teluk Segara"]
    assert {leader["month"] for leader in report["channel_leaders"]} >= {today().replace(day=1).isoformat()}


async def test_a_parent_names_the_campaign_at_the_counter_once(client, create_staff, settings):
    from verification.tables import Card

    dukcapil = await dukcapil_headers(client, create_staff)
    campaign = await _campaign(client, dukcapil, kind="event", name="Stan Car Free Day", school_name="")
    await import_(csv_bytes([row(), row()]), settings)
    first, second = [r["id"] for r in await Card.select(Card.id).order_by(Card.id)]
    url = f"/api/v1/admin/cards/{first}/campaign"
    unknown = await client.post(url, json={"code": "ZZZZZZ"}, headers=dukcapil)
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (422, "unknown_campaign")
    said = await client.post(url, json={"code": campaign["code"].lower()}, headers=dukcapil)
    assert (said.status_code, said.json()) == (200, {"code": campaign["code"]})
    again = await client.post(url, json={"code": campaign["code"]}, headers=dukcapil)
    assert (again.status_code, again.json()["code"]) == (409, "campaign_already_attributed")
    assert await CampaignEnrolment.count() == 1

    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    elsewhere = await login(client, "dukcapil.rl", "correct-horse-battery")
    other = await client.post(f"/api/v1/admin/cards/{second}/campaign", json={"code": campaign["code"]},
                              headers=elsewhere)  # fmt: skip
    assert other.status_code == 404
    report = (await client.get("/api/v1/admin/reports/campaigns", headers=dukcapil)).json()
    assert report["campaigns"][0]["enrolments"] == "<5"
