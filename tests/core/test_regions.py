"""Region codes come from Kemendagri's list shipped with the project, never invented."""

from __future__ import annotations

import csv
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "core" / "data" / "regions_kota_bengkulu.csv"


async def test_kota_bengkulu_has_its_9_kecamatan_and_67_kelurahan(client):
    kecamatan = (await client.get("/api/v1/regions", params={"level": "kecamatan", "parent": "17.71"})).json()
    kelurahan = (await client.get("/api/v1/regions", params={"level": "kelurahan"})).json()

    assert len(kecamatan) == 9
    assert len(kelurahan) == 67
    assert {k["parent_code"] for k in kelurahan} == {k["code"] for k in kecamatan}
    assert {
        "code": "17.71.01",
        "name": "Selebar",
        "level": "kecamatan",
        "parent_code": "17.71",
        "postal_code": None,
    } in (kecamatan)


async def test_every_shipped_row_is_loaded_exactly(client):
    with SHIPPED.open(encoding="utf-8") as handle:
        shipped = {row["code"]: row for row in csv.DictReader(handle)}
    loaded = {row["code"]: row for row in (await client.get("/api/v1/regions")).json()}
    assert set(loaded) == set(shipped)
    for code, row in shipped.items():
        assert loaded[code]["name"] == row["name"]
        assert loaded[code]["level"] == row["level"]
        assert (loaded[code]["parent_code"] or "") == row["parent_code"]
        assert (loaded[code]["postal_code"] or "") == row["postal_code"]


async def test_unknown_level_is_a_field_problem(client):
    response = await client.get("/api/v1/regions", params={"level": "desa"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "level"
