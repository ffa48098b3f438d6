"""The effect report on the demo's Kota Bengkulu: estimated in a worker (202 first, then the answer), scoped to the
viewer's office, the under-5 check beside it, and a plain `not_enough_units` where there are too few units."""

from __future__ import annotations

from admin.demo import DEMO_PASSWORD
from tests.conftest import login

EFFECT = "/api/v1/admin/reports/effect"


async def _answer(client, headers, **params) -> dict:
    first = await client.get(EFFECT, params=params, headers=headers)
    if first.status_code == 202:
        assert first.json() == {"status": "computing"}
        assert first.headers["Retry-After"] == "2"
        first = await client.get(EFFECT, params=params, headers=headers)  # the worker ran after the first answer
    assert first.status_code == 200, first.text
    return first.json()


async def test_the_demo_city_has_an_effect_estimate_with_its_event_study(demo, client):
    dukcapil = await login(client, "dukcapil", DEMO_PASSWORD)
    found = await _answer(client, dukcapil)
    assert found["status"] == "ok", found
    assert found["ci_low"] <= found["estimate"] <= found["ci_high"]
    assert found["treated_units"] >= 3
    assert found["control_units"] >= 2
    assert 0 <= found["pretrend_p_value"] <= 1
    months = [p["months_since_launch"] for p in found["event_study"]]
    assert months == sorted(months)
    assert min(months) < 0 <= max(months)
    assert found["summary"][0].startswith("Sejak penawaran dibuka, kecamatan dengan mitra mencatat rata-rata ")
    reference = next(p for p in found["event_study"] if p["months_since_launch"] == -1)
    assert reference["reference"]
    assert reference["estimate"] == reference["ci_low"] == reference["ci_high"] == 0
    assert [e["kind"] for e in found["events"]] == ["supply_limit", "other_programme"]  # the demo's two
    english = (await client.get(EFFECT, headers={**dukcapil, "Accept-Language": "en"})).json()
    assert english["summary"][0].startswith("Since offers opened, kecamatan with partners recorded on average ")
    # Under-5s get their KIA with the birth certificate: the check beside it, estimated the same way.
    younger = await _answer(client, dukcapil, age_group="under_5")
    assert younger["status"] == "ok"
    assert younger["ci_low"] <= younger["estimate"] <= younger["ci_high"]
    # Another office's kabupaten asked for by name is not there; a province's analyst gets its cities.
    assert (await client.get(EFFECT, params={"region": "17.02"}, headers=dukcapil)).status_code == 404
    national = await login(client, "ditjen", DEMO_PASSWORD)
    wide = await _answer(client, national)
    assert wide["status"] == "not_enough_units"  # two cities take part: too few to compare
    assert wide["treated_units"] + wide["control_units"] <= 2
    assert wide["minimum_units"] == {"treated": 3, "control": 2}
    assert wide["summary"] == [
        f"Belum cukup kabupaten/kota dengan dan tanpa mitra untuk memperkirakan dampak: perlu sedikitnya 3 yang sudah "
        f"punya mitra dan 2 yang belum. Sekarang: {wide['treated_units']} dan {wide['control_units']}."
    ]
    assert "estimate" not in wide
