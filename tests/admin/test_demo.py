"""The demo seed builds the Kota Bengkulu of the founding article, through the real services, idempotently."""

from __future__ import annotations

import pytest

from admin.demo import seed_demo
from core.tables import Region
from partners.tables import Offer, Outlet, Partner, PartnerMember, PartnerOffice
from tests.conftest import login


@pytest.fixture
async def seeded(tmp_path):
    return await seed_demo(tmp_path, with_registry=False)


async def test_the_four_article_partners_are_approved_with_outlets_in_real_kelurahan(seeded):
    partners = await Partner.select(Partner.id, Partner.name, Partner.status)
    assert {p["name"] for p in partners} == {
        "Gramedia Bengkulu",
        "Queen Aviari",
        "Kolam Renang Ham Tian",
        "Wahana Panda",
        "Kolam Renang Tirta (ilustratif)",  # invented, and named so: a third pool for the category median
    }
    assert all(p["status"] == "approved" for p in partners)
    standings = await PartnerOffice.select(
        PartnerOffice.city_code, PartnerOffice.status, PartnerOffice.agreement_number
    )
    # Each approved by Kota Bengkulu's office; Gramedia by Rejang Lebong's as well (the demo's second city).
    assert sorted(s["city_code"] for s in standings) == ["17.02", "17.71", "17.71", "17.71", "17.71", "17.71"]
    assert all(s["status"] == "approved" and s["agreement_number"] for s in standings)
    for partner in partners:
        outlets = await Outlet.select(Outlet.kelurahan_code).where(Outlet.partner == partner["id"])
        assert 1 <= len(outlets) <= 3
        for outlet in outlets:
            assert (
                await Region.exists().where(Region.code == outlet["kelurahan_code"]).where(Region.level == "kelurahan")
            )
        members = await PartnerMember.select(PartnerMember.outlet).where(PartnerMember.partner == partner["id"])
        assert sum(1 for m in members if m["outlet"] is None) == 1  # one manager
        assert sum(1 for m in members if m["outlet"] is not None) == len(outlets)  # a cashier per outlet


async def test_offers_are_published_illustrative_and_include_the_two_the_issue_names(seeded):
    offers = await Offer.select(Offer.title, Offer.status, Offer.rules, Offer.partner.name).output(load_json=True)
    by_partner: dict[str, int] = {}
    for offer in offers:
        by_partner[offer["partner.name"]] = by_partner.get(offer["partner.name"], 0) + 1
        assert offer["status"] == "published"
        assert "ilustratif" in offer["rules"]["terms"]
    assert all(1 <= count <= 3 for count in by_partner.values())

    books = next(o["rules"] for o in offers if o["title"] == "Diskon buku 10%")
    assert books["benefit"] == {"type": "percent", "percent": 10, "max_discount": 50000}
    assert (books["age_min"], books["age_max"]) == (0, 16)
    assert books["limits"] == [{"period": "day", "count": 1}, {"period": "month", "count": 4}]
    assert books["weekdays"] == [1, 2, 3, 4, 5, 6, 7]
    assert books["outlet_ids"] == []  # all Gramedia outlets

    pool = [
        o["rules"]
        for o in offers
        if o["rules"]["benefit"]["type"] == "free_entry"
        and o["rules"]["category"] == "swimming_pool"
        and (o["rules"]["age_min"], o["rules"]["age_max"]) == (3, 12)
        and o["rules"]["weekdays"] == [1, 2, 3, 4, 5]
    ]
    assert len(pool) == 1


async def test_seeding_twice_changes_nothing(seeded, tmp_path):
    counts = [await Partner.count(), await Outlet.count(), await Offer.count(), await PartnerMember.count()]
    await seed_demo(tmp_path, with_registry=False)
    assert [await Partner.count(), await Outlet.count(), await Offer.count(), await PartnerMember.count()] == counts


async def test_demo_logins_work_with_password_demo(client, seeded):
    for username in ("dukcapil", "analis", "gramedia.manajer", "gramedia.kasir", "hamtian.kasir"):
        await login(client, username, "demo")
    me = (await client.get("/api/v1/partners/me", headers=await login(client, "gramedia.kasir", "demo"))).json()
    assert me["partner"]["name"] == "Gramedia Bengkulu"
    assert me["outlet"]["name"] == "Gramedia Suprapto"
    catalog = (await client.get("/api/v1/catalog/offers")).json()
    assert len(catalog) == 10  # nine in Kota Bengkulu, one at Gramedia Curup for Rejang Lebong's children


async def test_the_registry_reproduces_the_published_coverage_and_cards_csv_is_usable(tmp_path, settings):
    """The full demo: the article's 66,251 holders on 2024-10-31, and the cards a tester scans at the till."""
    import csv
    from datetime import date

    from PIL import Image

    from admin.tables import UnenrolledKia
    from core.stores import Stores
    from tests.helpers import read_qr_codes, today
    from verification.errors import CardExpired, CardRevoked, CardSuperseded
    from verification.service import cards
    from verification.service.keys import KeyRing
    from verification.tables import Card

    await seed_demo(tmp_path)

    async def holders(day: date) -> int:  # Kota Bengkulu's: the demo's second city has its own registry
        enrolled = await Card.count().where(Card.kia_printed_on <= day, Card.city_code == "17.71")
        unenrolled = await UnenrolledKia.select(UnenrolledKia.holders).where(
            UnenrolledKia.counted_from <= day, UnenrolledKia.kelurahan_code.like("17.71.%")
        )
        return enrolled + sum(row["holders"] for row in unenrolled)

    assert await holders(date(2024, 10, 31)) == 66_251
    assert await holders(date(2024, 11, 30)) == 67_474
    assert await holders(date(2025, 5, 31)) == 73_231
    enrolled_share = (
        await Card.count().where(Card.kia_printed_on <= date(2024, 10, 31), Card.city_code == "17.71")
    ) / 66_251
    assert 0.5 < enrolled_share < 1  # enrolled cards plus a minority counted without consent

    with (tmp_path / "cards.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["card_id", "status", "age_years", "kelurahan_code", "manual_code", "qr_text"]
    active = [r for r in rows if r["status"] == "active"]
    assert len(active) >= 20
    assert all(3 <= int(r["age_years"]) <= 12 for r in active)
    assert {r["status"] for r in rows} == {"active", "revoked", "expired", "superseded"}

    keyring, stores = KeyRing(settings), Stores(settings.redis_url)
    refusals = {"revoked": CardRevoked, "expired": CardExpired, "superseded": CardSuperseded}
    for row in rows:
        image = Image.open(tmp_path / "qr" / f"{row['card_id']}.png")
        (decoded,) = read_qr_codes(image)
        assert decoded == row["qr_text"]
        if row["status"] == "active":
            state = await cards.resolve(decoded, keyring, stores, settings, today())
            assert str(state.card_id) == row["card_id"]
            via_code = await cards.resolve(row["manual_code"], keyring, stores, settings, today())
            assert via_code.card_id == state.card_id
        else:
            with pytest.raises(refusals[row["status"]]):
                await cards.resolve(decoded, keyring, stores, settings, today())

    # The issue's story: a 9-row SIAK file for one kelurahan, imported today as that kelurahan's full export. The
    # preview names what it would change (today's figure) before anything is written; the published figure of
    # 2024-10-31 stays 66,251 / 115,109 = 57.6%.
    from datetime import timedelta
    from decimal import Decimal

    from admin.service import registry, reports
    from admin.synthetic import NikMaker
    from core.auth import CurrentUser
    from core.tables import Role, StaffUser
    from tests.admin.test_registry_import import csv_bytes, row

    published = await reports.coverage("17.71", date(2024, 10, 31))
    assert (published.holders, published.eligible_children, published.coverage_percent) == (
        66_251, 115_109, Decimal("57.6"),
    )  # fmt: skip
    kelurahan = "17.71.03.1002"
    niks = NikMaker()
    nine = []
    for index in range(9):
        born = today() - timedelta(days=365 * 5 + index)
        nine.append(row(born=born, nik=niks.make(kelurahan, born, "P"), consent=index < 3, kelurahan=kelurahan))
    account = await StaffUser.select(StaffUser.id).where(StaffUser.username == "dukcapil").first()
    dukcapil = CurrentUser(account["id"], "dukcapil", Role.DUKCAPIL_ADMIN, "Dukcapil", region="17.71")
    batch_id = await registry.start_batch(
        "sembilan.csv", csv_bytes(nine), today(), dukcapil, "17.71", kelurahan, preview=True
    )
    await registry.preview_import(batch_id, settings)
    previewed = await registry.read_import(batch_id, "id", dukcapil)
    assert previewed.status == "ready"
    assert previewed.preview is not None
    assert [change.as_of for change in previewed.preview.coverage] == [today(), today()]  # the kelurahan, the city
    assert previewed.preview.not_in_file > 0
    assert (await reports.coverage("17.71", today())).holders == previewed.preview.coverage[1].holders_before

    await registry.confirm_import(batch_id, registry.MissingCards.KEEP, dukcapil)
    await registry.run_confirmed(batch_id, registry.MissingCards.KEEP, dukcapil, settings, Stores(None))
    assert (await registry.read_import(batch_id, "id", dukcapil)).status == "done"
    after = await reports.coverage("17.71", date(2024, 10, 31))
    assert (after.holders, after.eligible_children, after.coverage_percent) == (66_251, 115_109, Decimal("57.6"))
    assert not after.corrected
    assert (await reports.coverage("17.71", today())).holders == previewed.preview.coverage[1].holders_after
