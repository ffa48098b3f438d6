"""Each report on a small hand-made data set whose answers are worked out here: coverage, activation, uplift and
small-cell suppression. The figures come from the rollups; the expected numbers from counting by hand."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from admin.service import population, reports
from admin.synthetic import NikMaker
from admin.tables import UnenrolledKia
from core.auth import CurrentUser
from core.stores import Stores
from core.tables import Role
from partners.tables import Offer
from tests.conftest import login
from tests.helpers import PASSWORD, today
from verification.service import cards
from verification.service import redeem as redeem_service
from verification.tables import Channel, Sex

WIB = ZoneInfo("Asia/Jakarta")
PROBLEM = "application/problem+json"
TELUK_SEGARA, SINGARAN_PATI = "17.71.03", "17.71.09"
PASAR_BARU, PANORAMA = "17.71.03.1002", "17.71.09.1001"
CURUP = "17.02.19.1003"  # a kelurahan of Kabupaten Rejang Lebong, another city of the province
GAMBIR = "31.71.01.1001"  # a kelurahan of Jakarta Pusat, in another province
niks = NikMaker()
serial = itertools.count()


def enrolment(settings, *, kelurahan, printed, born=date(2016, 5, 5), enrolled=None, channel=Channel.SCHOOL):
    nik = niks.make(kelurahan, born, "L")
    return cards.Enrolment(
        nik_hash=cards.nik_hash(settings, nik),
        birth_date=born,
        sex=Sex.MALE,
        kelurahan_code=kelurahan,
        kia_printed_on=printed,
        enrolled_on=enrolled or printed,
        channel=channel,
        consent_guardian="ibu",
        consent_version="v1.0",
        consent_at=datetime.combine(enrolled or printed, time(3), tzinfo=UTC),
    )


async def enroll(settings, items):
    return (await cards.enroll(items, None, Stores(None))).created_ids


async def test_coverage_city_and_kecamatan_against_target(settings):
    day = date(2024, 10, 31)
    await enroll(
        settings,
        [enrolment(settings, kelurahan=PASAR_BARU, printed=date(2023, 1, 10)) for _ in range(6)]
        + [enrolment(settings, kelurahan=PANORAMA, printed=date(2024, 10, 31)) for _ in range(3)]
        + [enrolment(settings, kelurahan=PANORAMA, printed=date(2024, 11, 1))]  # printed after the day
        + [enrolment(settings, kelurahan=PANORAMA, printed=date(2020, 1, 1), born=date(2007, 2, 1))],  # 17 by then
    )
    await UnenrolledKia.insert(
        UnenrolledKia(
            kelurahan_code=PASAR_BARU,
            birth_year=2015,
            print_month=date(2022, 3, 1),
            counted_from=date(2022, 3, 1),
            holders=2,
        ),
        UnenrolledKia(
            kelurahan_code=PANORAMA,
            birth_year=2012,
            print_month=date(2024, 10, 1),
            counted_from=date(2024, 10, 1),
            holders=1,
        ),
        UnenrolledKia(
            kelurahan_code=PANORAMA,
            birth_year=2012,
            print_month=date(2024, 11, 1),
            counted_from=date(2024, 11, 1),
            holders=5,
        ),
    )
    await population.record_population(
        [
            population.PopulationEntry("17.71", day, 20, "uji"),
            population.PopulationEntry(TELUK_SEGARA, day, 10, "uji"),
            population.PopulationEntry(SINGARAN_PATI, day, 10, "uji"),
            population.PopulationEntry("17.71", date(2024, 9, 30), 19, "older figure"),
        ],
        None,
    )
    await population.set_target(2024, 60, None, "nasional", None)

    city = await reports.coverage("17.71", day, "kecamatan")

    # 6 + 3 cards, 2 + 1 counted without consent: 12 of 20 children.
    assert (city.holders, city.enrolled_holders, city.unenrolled_holders) == (12, 9, 3)
    assert city.eligible_children == 20
    assert city.denominator_as_of == day
    assert city.coverage_percent == Decimal("60.0")
    assert city.target_percent == Decimal("60")
    assert city.gap_percent == Decimal("0.0")
    # Kecamatan sorted by their gap to the target: Singaran Pati (4 of 10: 40%) before Teluk Segara (8 of 10: 80%).
    named = [(k.region_name, k.holders, k.coverage_percent, k.gap_percent) for k in city.kecamatan[:2]]
    assert named == [("Singaran Pati", 4, Decimal("40.0"), Decimal("20.0")), ("Teluk Segara", 8, Decimal("80.0"),
                                                                              Decimal("-20.0"))]  # fmt: skip
    assert all(k.eligible_children is None for k in city.kecamatan[2:])  # no denominator entered: no coverage

    # A day between figures uses the latest figure on or before it, and says which.
    september = await reports.coverage("17.71", date(2024, 10, 15))
    assert september.denominator_as_of == date(2024, 9, 30)
    assert september.eligible_children == 19


async def test_a_region_target_overrides_the_national_one(settings):
    await population.set_target(2025, 60, None, "nasional", None)
    await population.set_target(2025, 65, "17.71", "RPJMD Kota Bengkulu", None)
    assert (await reports.coverage(TELUK_SEGARA, date(2025, 6, 30))).target_percent == Decimal("65")
    assert (await reports.coverage("17", date(2025, 6, 30))).target_percent == Decimal("60")


async def test_a_year_without_its_own_target_carries_the_last_one_and_says_so(settings):
    """2026's target is not set yet: last year's 60% still draws the line and the gap, marked as carried; once the
    year's own is set it takes over, even a national one over a city's older one."""
    await population.set_target(2024, 55, None, "nasional", None)
    await population.set_target(2025, 65, "17.71", "RPJMD Kota Bengkulu", None)
    carried = await reports.coverage(TELUK_SEGARA, date(2026, 3, 31), "kelurahan")
    assert (carried.target_percent, carried.target_year, carried.target_carried) == (Decimal("65"), 2025, True)
    assert all(row.target_year == 2025 for row in carried.kecamatan)  # its kelurahan too: no "below target" gaps
    series = await reports.coverage_series("17.71", date(2025, 11, 1), date(2026, 1, 31))
    assert [(p.target_percent, p.target_carried) for p in series] == [
        (Decimal("65"), False), (Decimal("65"), False), (Decimal("65"), True)
    ]  # fmt: skip
    assert (await reports.coverage("17", date(2026, 3, 31))).target_year == 2024  # the province: the national 55%

    await population.set_target(2026, 70, None, "nasional", None)
    own = await reports.coverage(TELUK_SEGARA, date(2026, 3, 31))
    assert (own.target_percent, own.target_year, own.target_carried) == (Decimal("70"), 2026, False)


async def test_province_and_national_coverage_add_up_their_cities(settings):
    """A province or the country sums its kabupaten/kota; coverage counts only the cities with a population figure."""
    day = date(2025, 6, 30)
    await enroll(
        settings,
        [enrolment(settings, kelurahan=PASAR_BARU, printed=date(2025, 1, 10)) for _ in range(6)]
        + [enrolment(settings, kelurahan=CURUP, printed=date(2025, 2, 10)) for _ in range(3)]
        + [enrolment(settings, kelurahan=GAMBIR, printed=date(2025, 3, 10)) for _ in range(4)],  # no figure
    )
    await population.record_population(
        [population.PopulationEntry("17.71", day, 20, "uji"), population.PopulationEntry("17.02", day, 10, "uji")],
        None,
    )
    await population.set_target(2025, 60, None, "nasional", None)

    nation = await reports.coverage(None, day, "provinsi")
    assert (nation.region_name, nation.holders, nation.eligible_children) == ("Indonesia", 13, 30)
    assert nation.coverage_percent == Decimal("30.0")  # (6 + 3) of (20 + 10): Jakarta's 4 have no denominator
    assert (nation.cities, nation.cities_with_population) == (514, 2)
    provinces = {row.region: (row.holders, row.coverage_percent) for row in nation.kecamatan if row.holders}
    assert provinces == {"17": (9, Decimal("30.0")), "31": (4, None)}
    assert nation.kecamatan[0].region == "17"  # the only one with a gap to the target: furthest first

    province = await reports.coverage("17", day, "kota")
    cities = {row.region: (row.holders, row.coverage_percent) for row in province.kecamatan if row.holders}
    assert cities == {"17.71": (6, Decimal("30.0")), "17.02": (3, Decimal("30.0"))}
    assert (province.cities, province.cities_with_population) == (10, 2)

    series = await reports.coverage_series(None, date(2025, 1, 1), day)
    assert [point.holders for point in series] == [6, 9, 13, 13, 13, 13]
    assert [point.coverage_percent for point in series] == [None] * 5 + [Decimal("30.0")]
    # The same answer as the city's own report, which reads its kelurahan rollups.
    assert (await reports.coverage("17.71", day)).holders == 6


async def test_reports_at_each_level_answer_within_the_viewers_reach(client, create_staff, settings):
    await enroll(settings, [enrolment(settings, kelurahan=CURUP, printed=date(2025, 2, 10))])
    await create_staff("ditjen", "dukcapil_analyst", region=None)
    await create_staff("analis", "dukcapil_analyst")
    national = await login(client, "ditjen", PASSWORD)
    office = await login(client, "analis", PASSWORD)
    url = "/api/v1/admin/reports/coverage"

    whole = (await client.get(url, params={"breakdown": "provinsi"}, headers=national)).json()
    assert (whole["region_name"], whole["holders"], whole["cities"]) == ("Indonesia", 1, 514)
    assert len(whole["kecamatan"]) == 38
    assert (await client.get(url, params={"region": "17.02"}, headers=national)).json()["holders"] == 1
    assert (await client.get(url, headers=office)).json()["region"] == "17.71"
    refused = await client.get(url, params={"region": "17.02"}, headers=office)
    assert (refused.status_code, refused.json()["code"]) == (404, "region_not_found")
    assert (await client.get(url, params={"region": "17"}, headers=office)).status_code == 404
    wrong = await client.get(url, params={"breakdown": "kecamatan"}, headers=national)
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (422, "breakdown_not_at_this_level")
    uplift = await client.get("/api/v1/admin/reports/uplift", headers=national)
    assert (uplift.status_code, uplift.json()["errors"][0]["code"]) == (422, "uplift_needs_a_city")


async def test_coverage_api_answers_the_article_shape(client, create_staff, settings):
    await create_staff("analis", "dukcapil_analyst")
    headers = await login(client, "analis", PASSWORD)
    await enroll(settings, [enrolment(settings, kelurahan=PASAR_BARU, printed=date(2024, 1, 2)) for _ in range(3)])
    await population.record_population([population.PopulationEntry("17.71", date(2024, 10, 31), 5, "uji")], None)
    await population.set_target(2024, 60, None, None, None)

    response = await client.get(
        "/api/v1/admin/reports/coverage", params={"region": "17.71", "as_of": "2024-10-31"}, headers=headers
    )

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("region", "as_of", "holders", "eligible_children", "denominator_as_of")} == {
        "region": "17.71",
        "as_of": "2024-10-31",
        "holders": 3,
        "eligible_children": 5,
        "denominator_as_of": "2024-10-31",
    }
    assert body["coverage_percent"] == 60.0
    assert body["target_percent"] == 60.0
    with_breakdown = await client.get(
        "/api/v1/admin/reports/coverage",
        params={"region": "17.71", "as_of": "2024-10-31", "breakdown": "kecamatan"},
        headers=headers,
    )
    assert len(with_breakdown.json()["kecamatan"]) == 9


async def test_report_dates_outside_2000_to_2100_and_overlong_series_are_refused_by_name(till):
    """A coverage series from 0001-01-01 to 9999-12-31 was a 500 (the month after December 9999 does not exist), and
    from year 1 to today a few thousand queries. Every date a request names lies in 2000..2100; a series spans at
    most 240 months."""
    client, dukcapil = till.client, till.world.dukcapil
    series = "/api/v1/admin/reports/coverage/series"

    def fields(response) -> list[tuple[str, str]]:
        assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM), response.text
        return [(error["field"], error["code"]) for error in response.json()["errors"]]

    typo = await client.get(series, params={"from": "0001-01-01", "until": "9999-12-31"}, headers=dukcapil)
    assert fields(typo) == [("from", "out_of_range"), ("until", "out_of_range")]
    assert typo.json()["errors"][0]["message"] == "Tanggal harus antara 2000-01-01 dan 2100-12-31."
    century = await client.get(
        series, params={"from": "2000-01-01", "until": "2100-12-31"}, headers={**dukcapil, "Accept-Language": "en"}
    )
    assert fields(century) == [("from", "series_too_long")]
    assert century.json()["errors"][0]["message"] == (
        "A coverage series covers at most 240 months: choose a later first day or an earlier last day."
    )
    twenty_years = await client.get(series, params={"from": "2007-01-01", "until": "2026-12-31"}, headers=dukcapil)
    assert twenty_years.status_code == 200
    assert len(twenty_years.json()) == 240

    far = {"from": "2026-01-01", "until": "9999-12-31"}
    for path, headers, params in [
        ("/api/v1/admin/reports/coverage", dukcapil, {"as_of": "9999-12-31"}),
        ("/api/v1/admin/reports/redemptions", dukcapil, far),
        ("/api/v1/admin/reports/refusals", dukcapil, far),
        ("/api/v1/admin/reports/activation", dukcapil, far),
        ("/api/v1/admin/reports/channels", dukcapil, far),
        ("/api/v1/admin/reports/issuance", dukcapil, far),
        (till.world.url("/reports/redemptions"), till.world.manager, far),
        (till.world.url("/reports/refusals"), till.world.manager, far),
        ("/api/v1/verification/redemptions", till.world.manager, {"from": "1999-12-31", "until": "2026-01-01"}),
    ]:
        response = await client.get(path, params=params, headers=headers)
        wrong = [name for name, day in params.items() if not "2000-01-01" <= day <= "2100-12-31"]
        assert fields(response) == [(name, "out_of_range") for name in wrong], path

    imports = (await client.get("/api/v1/admin/registry/imports", headers=dukcapil)).json()
    export = await client.post(
        "/api/v1/admin/registry/imports", params={"as_of": "0001-01-01"}, content=b"nik\n", headers=dukcapil
    )
    assert fields(export) == [("as_of", "out_of_range")]
    assert (await client.get("/api/v1/admin/registry/imports", headers=dukcapil)).json() == imports


async def test_activation_within_30_and_90_days(till, settings):
    offer = await till.offer(valid_from="2026-01-01", limits=[], benefit={"type": "fixed_amount", "amount": 1_000})
    enrolled_on = date(2026, 9, 7)
    quick, slow, never = await enroll(
        settings,
        [enrolment(settings, kelurahan=PASAR_BARU, printed=date(2025, 1, 5), enrolled=enrolled_on) for _ in range(3)],
    )
    me = (await till.client.get("/api/v1/auth/me", headers=till.world.cashier)).json()
    cashier = CurrentUser(id=uuid.UUID(me["id"]), username=me["username"], role=Role.CASHIER, display_name="K")

    async def redeem(card_id, day):
        moment = datetime.combine(day, time(10), tzinfo=WIB)
        return await redeem_service.redeem(
            await till.qr(card_id), uuid.UUID(offer["id"]), 5_000, str(uuid.uuid4()), cashier, None, "127.0.0.1",
            till.keyring, Stores(None), settings, now=moment,
        )  # fmt: skip

    await redeem(quick, enrolled_on + timedelta(days=10))
    await redeem(slow, enrolled_on + timedelta(days=60))
    await redeem(slow, enrolled_on + timedelta(days=61))

    (september,) = await reports.activation(date(2026, 9, 1), date(2026, 9, 1), date(2027, 3, 1))

    assert (september["enrolled"], september["activated_30"], september["activated_90"]) == (3, 1, 2)
    assert september["share_30_percent"] == Decimal("33.3")
    assert september["share_90_percent"] == Decimal("66.7")
    assert september["complete_30"]
    assert september["complete_90"]
    assert never  # enrolled, never redeemed: counts in the denominator only
    channel = await reports.channels(date(2026, 9, 1), date(2026, 9, 1))
    assert channel == [{"month": "2026-09-01", "channel": "school", "enrolled": 3}]


async def test_uplift_difference_in_differences(till, settings):
    """The partner's outlet is in Teluk Segara (treated); the city's other 8 kecamatan are the control."""
    offer = await till.offer()
    launch = date(2025, 3, 12)  # a Wednesday: its week starts Monday 10 March
    week0 = launch - timedelta(days=launch.weekday())
    await Offer.update({Offer.first_published_at: datetime.combine(launch, time(9), tzinfo=WIB)}).where(
        Offer.id == offer["id"]
    )
    prints = []
    for week in range(8):
        before, after = week0 - timedelta(weeks=week + 1), week0 + timedelta(weeks=week)
        prints += [enrolment(settings, kelurahan=PASAR_BARU, printed=before)]  # treated: 1 a week before
        prints += [enrolment(settings, kelurahan=PASAR_BARU, printed=after) for _ in range(2)]  # 2 a week after
        prints += [enrolment(settings, kelurahan=PANORAMA, printed=before) for _ in range(2)]  # control: 2 and 2
        prints += [enrolment(settings, kelurahan=PANORAMA, printed=after) for _ in range(2)]
    prints += [enrolment(settings, kelurahan=PASAR_BARU, printed=week0 + timedelta(weeks=9))]  # outside the window
    await enroll(settings, prints)

    # Rejang Lebong, a city of the same province in the programme without the partner: 2 a week before and after.
    for week in range(8):
        for start in (week0 - timedelta(weeks=week + 1), week0 + timedelta(weeks=week)):
            prints += [enrolment(settings, kelurahan=CURUP, printed=start) for _ in range(2)]
    await enroll(settings, prints[-32:])

    result = await reports.uplift(uuid.UUID(offer["id"]), date(2026, 1, 1), "17.71")

    assert (result["weeks_before"], result["weeks_after"]) == (8, 8)
    assert (result["treated_kecamatan"], result["control_kecamatan"]) == (1, 8)
    # Per kecamatan and week: treated 1 -> 2; control (16 prints over 8 kecamatan and 8 weeks) 0.25 -> 0.25.
    assert (result["treated_before"], result["treated_after"]) == (Decimal("1.00"), Decimal("2.00"))
    assert (result["control_before"], result["control_after"]) == (Decimal("0.25"), Decimal("0.25"))
    assert result["difference_in_differences"] == Decimal("1.00")
    assert result["relative_uplift_percent"] == Decimal("100.0")
    assert "selisih" in result["caveat"]
    # The city as a whole (3 a week before, 4 after: +33.3%) against Rejang Lebong (2 and 2: 0%).
    assert result["comparison_cities"] == ["17.02"]
    assert (result["city_change_percent"], result["comparison_change_percent"]) == (Decimal("33.3"), Decimal("0.0"))
    assert result["city_vs_comparison_points"] == Decimal("33.3")

    early = await reports.uplift(uuid.UUID(offer["id"]), week0 + timedelta(days=22), "17.71")
    assert early["weeks_after"] == 3  # only complete weeks after the launch count


@pytest.mark.parametrize("threshold", [5, None])
async def test_small_cells_are_suppressed(till, settings, threshold):
    offer = await till.offer(limits=[])
    few = await enroll(settings, [enrolment(settings, kelurahan=PANORAMA, printed=date(2020, 1, 1)) for _ in range(3)])
    many = await enroll(
        settings, [enrolment(settings, kelurahan=PASAR_BARU, printed=date(2020, 1, 1)) for _ in range(5)]
    )
    for card_id in few + many:
        assert (await till.redeem(await till.qr(card_id), offer["id"], purchase=10_000)).status_code == 201
    wanted = reports.RedemptionFilter(today() - timedelta(days=1), today() + timedelta(days=1))

    rows = {row["label"]: row for row in await reports.redemptions_by("kecamatan", wanted, threshold)}

    if threshold:
        assert rows["Singaran Pati"]["unique_children"] == "<5"
        assert rows["Singaran Pati"]["redemptions"] == "<5"
        assert rows["Singaran Pati"]["discount_rupiah"] is None
    else:
        assert rows["Singaran Pati"]["unique_children"] == 3
    if threshold:
        # The only other cell is hidden too: the month's total minus it would give Singaran Pati's 3.
        assert rows["Teluk Segara"]["unique_children"] == "<5"
        assert rows["Teluk Segara"]["discount_rupiah"] is None
    else:
        assert rows["Teluk Segara"]["unique_children"] == 5
        assert rows["Teluk Segara"]["redemptions"] == 5
        assert rows["Teluk Segara"]["discount_rupiah"] == 5 * 1_000


async def test_partner_reports_are_always_suppressed_and_only_their_own(till, client, settings):
    offer = await till.offer(limits=[])
    for card_id in await enroll(settings, [enrolment(settings, kelurahan=PANORAMA, printed=date(2020, 1, 1))]):
        await till.redeem(await till.qr(card_id), offer["id"], purchase=10_000)
    # No breakdown by where the children live for a partner (Dukcapil's reports have it).
    by_kecamatan = await client.get(
        f"/api/v1/partners/{till.world.partner_id}/reports/redemptions",
        params={"group": "kecamatan"},
        headers=till.world.manager,
    )
    assert by_kecamatan.status_code == 422
    # Closed days only: today's redemption is not in the partner's figures, whatever `until` asks.
    response = await client.get(
        f"/api/v1/partners/{till.world.partner_id}/reports/redemptions",
        params={"group": "month", "until": (today() + timedelta(days=1)).isoformat()},
        headers=till.world.manager,
    )
    assert response.status_code == 200
    assert response.json() == []
    other = await client.get(f"/api/v1/partners/{uuid.uuid4()}/reports/redemptions", headers=till.world.manager)
    assert other.status_code == 404
    refusals = await client.get(
        f"/api/v1/partners/{till.world.partner_id}/reports/refusals", headers=till.world.manager
    )
    assert refusals.status_code == 200


async def test_quiet_partners_are_flagged(till, settings):
    quiet = await reports.quiet_partners(today())
    assert [p["name"] for p in quiet] == ["Toko Buku Pelangi"]
    offer = await till.offer(limits=[])
    await till.redeem(await till.card(), offer["id"])
    assert await reports.quiet_partners(today()) == []
    # Seen from later days: still active 25 days on (whatever month that falls in), quiet after 31.
    assert await reports.quiet_partners(today() + timedelta(days=25)) == []
    assert await reports.quiet_partners(today() + timedelta(days=30)) == []
    later = await reports.quiet_partners(today() + timedelta(days=31))
    assert [(p["name"], p["last_redemption_on"]) for p in later] == [("Toko Buku Pelangi", today().isoformat())]


async def test_population_import_saves_all_rows_or_none_and_names_the_faulty_ones(client, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")
    headers = await login(client, "dukcapil", PASSWORD)
    url = "/api/v1/admin/population/imports"
    bad = "region_code,as_of,children_0_16,source\n17.71,2024-10-31,115109,DKB\n17.71.99,2024-10-31,7,DKB\n"
    refused = await client.post(url, content=bad.encode(), headers={**headers, "Content-Type": "text/csv"})
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("row 3.region_code", "unknown_region")]
    not_text = await client.post(url, content=b"\xff\xfe\x00r", headers={**headers, "Content-Type": "text/csv"})
    assert (not_text.status_code, not_text.json()["errors"][0]["code"]) == (422, "not_csv")
    assert await population.population_history(None) == []

    good = bad.replace("17.71.99", "17.71.01")
    assert (await client.post(url, content=good.encode(), headers={**headers, "Content-Type": "text/csv"})).json() == {
        "recorded": 2
    }
    assert sorted(row["children"] for row in await population.population_history(None)) == [7, 115_109]


async def test_the_dashboard_opens_on_the_viewers_scope_and_climbs_down_within_it(make_client, create_staff, settings):
    from tests.core.test_pages import page_client, sign_in

    await enroll(settings, [enrolment(settings, kelurahan=CURUP, printed=date(2025, 2, 10)) for _ in range(2)])
    await create_staff("ditjen", "dukcapil_analyst", region=None)
    await create_staff("analis", "dukcapil_analyst")
    national, office = await page_client(make_client), await page_client(make_client)
    await sign_in(national, "ditjen")
    await sign_in(office, "analis")

    country = await national.get("/admin")
    assert "Cakupan KIA Indonesia" in country.text
    assert '<a href="/admin?wilayah=17">Bengkulu</a>' in country.text  # the one province with holders
    assert "37 wilayah lain belum punya pemegang KIA" in country.text
    assert 'href="/admin/registri"' not in country.text  # no child-level work for a national account
    province = await national.get("/admin", params={"wilayah": "17"})
    assert '<a href="/admin?wilayah=17.02">Kabupaten Rejang Lebong</a>' in province.text
    city = await national.get("/admin", params={"wilayah": "17.02"})
    assert "Cakupan KIA Kabupaten Rejang Lebong" in city.text
    assert 'href="/admin/unduh/cakupan-kecamatan.csv?wilayah=17.02"' in city.text
    csv = await national.get("/admin/unduh/cakupan-kecamatan.csv", params={"wilayah": "17.02"})
    assert "Curup Tengah" in csv.text

    own = await office.get("/admin")
    assert "Cakupan KIA Kota Bengkulu" in own.text
    assert (await office.get("/admin", params={"wilayah": "17.02"})).status_code == 404
    assert (await office.get("/admin/unduh/cakupan-kecamatan.csv", params={"wilayah": "17.02"})).status_code == 404
