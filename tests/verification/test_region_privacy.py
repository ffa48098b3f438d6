"""Nothing about where a child lives reaches a partner (issue 16): no offer region finer than a kecamatan with
enough children, region refusals said plainly where offers are sliced, and partner figures that neither break down
by kecamatan nor move while a day is still open."""

from __future__ import annotations

from datetime import timedelta

from core.tables import Region
from tests.helpers import offer_body, today
from tests.till import Till

CITY = "17.71"


async def _kelurahan() -> list[str]:
    rows = await Region.select(Region.code).where(Region.level == "kelurahan", Region.code.like(f"{CITY}.%"))
    return sorted(row["code"] for row in rows)


async def _kecamatan() -> list[str]:
    rows = await Region.select(Region.code).where(Region.level == "kecamatan", Region.parent_code == CITY)
    return sorted(row["code"] for row in rows)


async def _population(till: Till, children: dict[str, int]) -> None:
    recorded = await till.client.post(
        "/api/v1/admin/population",
        json=[{"region_code": code, "as_of": today().isoformat(), "children": n} for code, n in children.items()],
        headers=till.world.dukcapil,
    )
    assert recorded.status_code == 201, recorded.text


async def test_the_seven_offer_kelurahan_attack_is_refused_when_the_offers_are_written(till):
    kelurahan = await _kelurahan()
    assert len(kelurahan) == 67
    live = await till.offer(title="Diskon buku")
    for bit in range(7):  # offer `bit` runs where bit `bit` of the kelurahan's index is set
        regions = [code for index, code in enumerate(kelurahan) if index >> bit & 1]
        created = await till.client.post(
            till.world.url("/offers"),
            json=offer_body(title=f"Irisan {bit}", regions=regions),
            headers=till.world.manager,
        )
        assert created.status_code == 422, created.text
        assert {e["code"] for e in created.json()["errors"]} == {"region_too_fine"}
        # Nor by editing a published offer into a slice.
        edited = await till.client.put(
            till.world.url(f"/offers/{live['id']}"), json=offer_body(regions=regions), headers=till.world.manager
        )
        assert edited.status_code == 422
    assert (await till.client.get(till.world.url("/offers"), headers=till.world.manager)).json()[0]["rules"][
        "regions"
    ] == []


async def test_an_offer_limited_to_a_kecamatan_of_too_few_children_is_not_published(till):
    small, large = (await _kecamatan())[:2]
    await _population(till, {small: 1_500, large: 12_000})
    for regions, expected in (([small], 409), ([large], 200)):
        created = await till.client.post(
            till.world.url("/offers"), json=offer_body(regions=regions), headers=till.world.manager
        )
        offer_id = created.json()["id"]
        await till.client.post(till.world.url(f"/offers/{offer_id}/submit"), headers=till.world.manager)
        published = await till.client.post(f"/api/v1/admin/offers/{offer_id}/publish", headers=till.world.dukcapil)
        assert published.status_code == expected, published.text
        if expected == 409:
            assert published.json()["code"] == "region_too_small"
            assert "1500" in published.json()["detail"] or "1.500" in published.json()["detail"]


async def test_with_sliced_offers_a_region_refusal_does_not_say_which_rule(till):
    kecamatan = await _kecamatan()
    await _population(till, dict.fromkeys(kecamatan, 12_000))
    home = "17.71.03"  # Teluk Segara, where the test card's child lives
    others = [code for code in kecamatan if code != home]
    first = await till.offer(title="Irisan A", regions=[home, others[0]])
    second = await till.offer(title="Irisan B", regions=others[1:4])
    qr = await till.card()  # lives in 17.71.03.1002

    scanned = {o["offer_id"]: o for o in (await till.scan(qr)).json()["offers"]}

    assert scanned[first["id"]]["eligible"] is True
    refused = scanned[second["id"]]
    assert (refused["eligible"], refused["reason_code"]) == (False, "not_eligible_for_card")
    assert "wilayah" not in refused["message"].lower()
    redeemed = await till.redeem(qr, second["id"])
    assert (redeemed.status_code, redeemed.json()["code"]) == (409, "not_eligible_for_card")


async def test_differencing_a_partners_reports_around_one_redemption_reveals_nothing(till):
    offer = await till.offer()
    url = till.world.url("/reports/redemptions")
    until = (today() + timedelta(days=1)).isoformat()
    reads = [("day", {}), ("month", {}), ("outlet", {}), ("offer", {}), ("age_band", {})]

    async def everything() -> list:
        found = []
        for group, extra in reads:
            response = await till.client.get(
                url, params={"group": group, "until": until, **extra}, headers=till.world.manager
            )
            assert response.status_code == 200, response.text
            found.append(response.json())
        found.append((await till.client.get(till.world.url("/reports/refusals"), headers=till.world.manager)).json())
        return found

    before = await everything()
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
    after = await everything()

    assert before == after  # nothing of an open day, so nothing of this child's redemption
    by_kecamatan = await till.client.get(url, params={"group": "kecamatan"}, headers=till.world.manager)
    assert by_kecamatan.status_code == 422
