"""Each rule of an offer: invalid definitions are refused field by field, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partners.tables import Offer
from tests.helpers import approved_partner, dukcapil_headers, offer_body, outlet_body, today


@pytest.fixture
async def world(client, create_staff):
    return await approved_partner(client, await dukcapil_headers(client, create_staff))


TOMORROW = (today() + timedelta(days=1)).isoformat()
YESTERDAY = (today() - timedelta(days=1)).isoformat()

INVALID = [
    ({"title": "ab"}, "title", "invalid_title"),
    ({"description": "pendek"}, "description", "invalid_description"),
    ({"benefit": {"type": "percent", "percent": 0}}, "benefit.percent", "percent_out_of_range"),
    ({"benefit": {"type": "percent", "percent": 150}}, "benefit.percent", "percent_out_of_range"),
    ({"benefit": {"type": "percent"}}, "benefit.percent", "required"),
    ({"benefit": {"type": "percent", "percent": 10, "max_discount": 0}}, "benefit.max_discount", "invalid_rupiah"),
    ({"benefit": {"type": "percent", "percent": 10, "amount": 5000}}, "benefit.amount", "not_applicable"),
    ({"benefit": {"type": "fixed_amount"}}, "benefit.amount", "required"),
    ({"benefit": {"type": "fixed_amount", "amount": -5}}, "benefit.amount", "invalid_rupiah"),
    ({"benefit": {"type": "free_entry"}}, "benefit.value", "required"),
    ({"benefit": {"type": "free_item", "value": 5000}}, "benefit.item", "invalid_item"),
    ({"min_purchase": -1}, "min_purchase", "invalid_rupiah"),
    ({"valid_from": TOMORROW, "valid_until": YESTERDAY}, "valid_until", "until_before_from"),
    ({"weekdays": []}, "weekdays", "invalid_weekdays"),
    ({"weekdays": [1, 8]}, "weekdays", "invalid_weekdays"),
    ({"hours": {"start": "15:00", "end": "10:00"}}, "hours", "invalid_hours"),
    ({"hours": {"start": "9am", "end": "10:00"}}, "hours", "invalid_hours"),
    (
        {"blackout_dates": [{"from": TOMORROW, "until": YESTERDAY, "label": "Lebaran"}]},
        "blackout_dates[0]",
        "blackout_ends_before_start",
    ),
    ({"age_min": 12, "age_max": 5}, "age_min", "age_min_above_max"),
    ({"age_max": 17}, "age_max", "age_out_of_range"),
    ({"age_min": -1}, "age_min", "age_out_of_range"),
    ({"regions": ["17.71.99"]}, "regions[0]", "unknown_region"),
    ({"outlet_ids": ["00000000-0000-4000-8000-000000000000"]}, "outlet_ids[0]", "unknown_outlet"),
    ({"limits": [{"period": "day", "count": 0}]}, "limits[0].count", "invalid_limit_count"),
    (
        {"limits": [{"period": "day", "count": 1}, {"period": "day", "count": 2}]},
        "limits[1].period",
        "duplicate_limit_period",
    ),
    ({"quota": 0}, "quota", "invalid_quota"),
    ({"budget": 0}, "budget", "invalid_rupiah"),
]


@pytest.mark.parametrize(("override", "field", "code"), INVALID, ids=[case[1] + ":" + case[2] for case in INVALID])
async def test_invalid_rule_is_a_field_problem_and_writes_nothing(client, world, override, field, code):
    response = await client.post(world.url("/offers"), json=offer_body(**override), headers=world.manager)

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in errors]
    assert all(e["message"] for e in errors)
    assert await Offer.count() == 0


async def test_messages_come_in_both_languages(client, world):
    body = offer_body(benefit={"type": "percent", "percent": 150})
    indonesian = await client.post(world.url("/offers"), json=body, headers=world.manager)
    english = await client.post(world.url("/offers"), json=body, headers={**world.manager, "Accept-Language": "en"})
    assert indonesian.json()["errors"][0]["message"] == "Persen diskon harus antara 1 dan 100."
    assert english.json()["errors"][0]["message"] == "The discount percentage must be between 1 and 100."


async def test_another_partners_outlet_is_refused_like_an_unknown_one(client, world, create_staff):
    other = await approved_partner(client, world.dukcapil, name="Toko Lain", slug="lain")
    response = await client.post(
        world.url("/offers"), json=offer_body(outlet_ids=[other.outlet_id]), headers=world.manager
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "outlet_ids[0]",
        "code": "unknown_outlet",
        "message": "Outlet ini bukan milik mitra Anda.",
    }


async def test_a_full_definition_round_trips(client, world):
    second = await client.post(
        world.url("/outlets"), json=outlet_body("Pelangi Panorama", "17.71.09.1001"), headers=world.manager
    )
    body = offer_body(
        title="Gratis masuk kolam anak",
        title_en="Free pool entry for children",
        category="swimming_pool",
        benefit={"type": "free_entry", "value": 15_000},
        min_purchase=0,
        valid_until=(today() + timedelta(days=90)).isoformat(),
        weekdays=[5, 1, 2, 3, 4],
        hours={"start": "08:00", "end": "15:00"},
        blackout_dates=[{"from": TOMORROW, "until": TOMORROW, "label": "Libur sekolah"}],
        age_min=3,
        age_max=12,
        regions=["17.71.09", "17.71"],
        outlet_ids=[second.json()["id"]],
        limits=[{"period": "week", "count": 2}],
        quota=500,
        budget=7_500_000,
        stackable=True,
    )
    created = await client.post(world.url("/offers"), json=body, headers=world.manager)
    assert created.status_code == 201, created.text
    rules = created.json()["rules"]
    assert rules["weekdays"] == [1, 2, 3, 4, 5]
    assert rules["regions"] == ["17.71", "17.71.09"]
    assert rules["blackout_dates"] == [{"from": TOMORROW, "until": TOMORROW, "label": "Libur sekolah"}]
    assert rules["benefit"] == {"type": "free_entry", "value": 15000}
    assert created.json()["summary"] == (
        "Gratis masuk, Senin–Jumat, pukul 08.00–15.00, 2x per minggu, usia 3–12, 1 outlet, wilayah tertentu, kuota 500"
    )


async def test_editing_a_published_offer_makes_a_new_revision(client, world):
    from partners.tables import OfferRevision
    from tests.helpers import published_offer

    offer = await published_offer(client, world)
    assert offer["revision"] == 1
    edited = await client.put(
        world.url(f"/offers/{offer['id']}"),
        json=offer_body(benefit={"type": "percent", "percent": 15, "max_discount": 50_000}),
        headers=world.manager,
    )
    assert edited.status_code == 200
    # Under review: revision 1 keeps serving until Dukcapil approves 2 (tests/partners/test_offer_revisions.py).
    assert (edited.json()["revision"], edited.json()["pending_revision"]) == (1, 2)
    assert edited.json()["status"] == "published"
    approved = await client.post(f"/api/v1/admin/offers/{offer['id']}/revision/approve", headers=world.dukcapil)
    assert approved.json()["revision"] == 2
    revisions = (
        await OfferRevision.select(OfferRevision.revision, OfferRevision.rules)
        .where(OfferRevision.offer == offer["id"])
        .order_by(OfferRevision.revision)
        .output(load_json=True)
    )
    assert [(r["revision"], r["rules"]["benefit"]["percent"]) for r in revisions] == [(1, 10), (2, 15)]
    catalog = (await client.get(f"/api/v1/catalog/offers/{offer['id']}")).json()
    assert catalog["benefit_text"] == "Diskon 15% maks. Rp50.000"


async def test_an_ended_offer_cannot_be_edited_or_resumed(client, world):
    from tests.helpers import published_offer

    offer = await published_offer(client, world)
    ended = await client.post(world.url(f"/offers/{offer['id']}/end"), headers=world.manager)
    assert ended.json()["status"] == "ended"
    edit = await client.put(world.url(f"/offers/{offer['id']}"), json=offer_body(), headers=world.manager)
    assert edit.status_code == 409
    assert edit.json()["code"] == "offer_not_editable"
    resume = await client.post(world.url(f"/offers/{offer['id']}/resume"), headers=world.manager)
    assert resume.status_code == 409
    assert resume.json()["code"] == "invalid_status_transition"


async def test_an_offer_past_its_last_day_reads_as_ended_and_leaves_the_catalog(client, world):
    from tests.helpers import published_offer

    offer = await published_offer(
        client,
        world,
        valid_from=(today() - timedelta(days=10)).isoformat(),
        valid_until=(today() + timedelta(days=1)).isoformat(),
    )
    assert len((await client.get("/api/v1/catalog/offers")).json()) == 1
    # The partner shortens it so that yesterday was its last day.
    await client.put(
        world.url(f"/offers/{offer['id']}"),
        json=offer_body(valid_from=(today() - timedelta(days=10)).isoformat(), valid_until=YESTERDAY),
        headers=world.manager,
    )
    await client.post(f"/api/v1/admin/offers/{offer['id']}/revision/approve", headers=world.dukcapil)
    assert (await client.get(world.url(f"/offers/{offer['id']}"), headers=world.manager)).json()["status"] == "ended"
    assert (await client.get("/api/v1/catalog/offers")).json() == []
