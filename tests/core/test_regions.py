"""Region codes come from Kemendagri's list of all Indonesia shipped with the project (core/data/REGIONS.md), never
invented; forms and the API find them by search, never by listing 83,762 kelurahan."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest

from core.service import regions
from core.tables import Region

DATA = Path(__file__).resolve().parents[2] / "core" / "data"
NATIONAL = DATA / "regions_indonesia.csv.gz"
KOTA_BENGKULU = DATA / "regions_kota_bengkulu.csv"
# The one name this project spells differently from its source (REGIONS.md, "Corrections").
BUMI_AYU = "17.71.01.1004"
KELURAHAN_PASAR_BARU = "17.71.03.1002"


def shipped(path: Path) -> dict[str, dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") if path.suffix == ".gz" else path.open() as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def test_the_national_file_holds_kota_bengkulu_as_shipped():
    national, bengkulu = shipped(NATIONAL), shipped(KOTA_BENGKULU)
    assert len(bengkulu) == 78
    for code, row in bengkulu.items():
        assert national[code] == row, code
    assert national[BUMI_AYU]["name"] == "Bumi Ayu"


async def test_every_region_of_the_file_is_loaded_exactly():
    national = shipped(NATIONAL)
    loaded = {row["code"]: row for row in await Region.select()}
    assert set(loaded) == set(national)
    for code, row in national.items():
        got = loaded[code]
        assert (got["name"], got["level"], got["parent_code"] or "", got["postal_code"] or "") == (
            row["name"], row["level"], row["parent_code"], row["postal_code"],
        )  # fmt: skip
        assert got["valid_until"] is None
    levels = Counter(row["level"] for row in national.values())
    assert (levels["provinsi"], levels["kabupaten"] + levels["kota"]) == (38, 514)


async def test_all_514_kabupaten_and_kota_are_listed(client):
    kota = (await client.get("/api/v1/regions", params={"level": "kota"})).json()
    kabupaten = (await client.get("/api/v1/regions", params={"level": "kabupaten"})).json()
    provinsi = {row["code"] for row in (await client.get("/api/v1/regions", params={"level": "provinsi"})).json()}

    assert len({row["code"] for row in kota + kabupaten}) == 514
    assert {row["parent_code"] for row in kota + kabupaten} == provinsi
    by_code = {row["code"]: row for row in kota + kabupaten}
    assert by_code["17.71"]["name"] == "Kota Bengkulu"
    assert by_code["17.02"]["name"] == "Kabupaten Rejang Lebong"
    assert by_code["17.02"]["parent_names"] == ["Bengkulu"]


async def test_kota_bengkulu_has_its_9_kecamatan_and_67_kelurahan(client):
    kecamatan = (await client.get("/api/v1/regions", params={"level": "kecamatan", "parent": "17.71"})).json()
    kelurahan = []
    for row in kecamatan:
        kelurahan += (await client.get("/api/v1/regions", params={"level": "kelurahan", "parent": row["code"]})).json()

    assert len(kecamatan) == 9
    assert len(kelurahan) == 67
    assert {
        "code": "17.71.01",
        "name": "Selebar",
        "level": "kecamatan",
        "parent_code": "17.71",
        "postal_code": None,
        "parent_names": ["Kota Bengkulu", "Bengkulu"],
    } in kecamatan


@pytest.mark.parametrize("typed", ["bumi ayu", "BUMI AYU", "Bumi Ay", "umi ayu"])
async def test_a_kelurahan_is_found_by_part_of_its_name(client, typed):
    found = (await client.get("/api/v1/regions", params={"level": "kelurahan", "q": typed})).json()
    match = next(row for row in found if row["code"] == BUMI_AYU)
    assert match["name"] == "Bumi Ayu"
    assert match["parent_names"] == ["Selebar", "Kota Bengkulu", "Bengkulu"]
    assert match["postal_code"] == "38216"
    assert all(typed.lower() in row["name"].lower() and row["level"] == "kelurahan" for row in found)


async def test_a_search_within_a_city_finds_its_kelurahan_among_the_countrys_namesakes(client):
    everywhere = (await client.get("/api/v1/regions", params={"level": "kelurahan", "q": "pasar baru"})).json()
    in_city = (
        await client.get("/api/v1/regions", params={"level": "kelurahan", "q": "pasar baru", "within": "17.71"})
    ).json()
    assert len(everywhere) == 20  # Pasar Baru is the name of many kelurahan and desa
    assert KELURAHAN_PASAR_BARU not in {row["code"] for row in everywhere}
    assert [(row["code"], row["parent_names"]) for row in in_city] == [
        (KELURAHAN_PASAR_BARU, ["Teluk Segara", "Kota Bengkulu", "Bengkulu"])
    ]
    refused = await client.get("/api/v1/regions", params={"level": "kelurahan", "q": "pasar", "within": "17%"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "within"


async def test_names_starting_with_the_search_come_first_then_names_containing_it(client):
    found = (await client.get("/api/v1/regions", params={"level": "kelurahan", "q": "ayu", "limit": 100})).json()
    starts = [row["name"].lower().startswith("ayu") for row in found]
    assert len(found) == 100
    assert True in starts
    assert False in starts
    assert starts == sorted(starts, reverse=True)  # every name starting with "ayu" before the others


async def test_a_search_answers_20_regions_unless_asked_and_never_more_than_100(client):
    wide = {"level": "kelurahan", "q": "sari"}
    assert len((await client.get("/api/v1/regions", params=wide)).json()) == 20
    assert len((await client.get("/api/v1/regions", params={**wide, "limit": 5})).json()) == 5
    too_many = await client.get("/api/v1/regions", params={**wide, "limit": 101})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "limit"


async def test_a_code_is_found_by_its_beginning(client):
    found = (await client.get("/api/v1/regions", params={"q": "17.71.01.", "limit": 100})).json()
    assert {row["code"] for row in found} == {code for code in shipped(NATIONAL) if code.startswith("17.71.01.")}


async def test_wildcards_typed_are_looked_for_as_themselves(client):
    for typed in ("%%", "a_a", "\\%"):
        found = await client.get("/api/v1/regions", params={"level": "kelurahan", "q": typed})
        assert found.status_code == 200
        assert found.json() == []


@pytest.mark.parametrize(
    "params",
    [{"level": "kelurahan"}, {"level": "kecamatan"}, {}, {"level": "kelurahan", "q": "  "}],
)
async def test_kecamatan_or_kelurahan_of_all_indonesia_is_too_broad(client, params):
    response = await client.get("/api/v1/regions", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "region_query_too_broad"
    assert body["title"] == "Permintaan wilayah terlalu luas"
    assert "(parent)" in body["detail"]
    assert "(q)" in body["detail"]

    english = await client.get("/api/v1/regions", params=params, headers={"Accept-Language": "en"})
    assert english.json()["title"] == "Region query too broad"


async def test_unknown_level_is_a_field_problem(client):
    response = await client.get("/api/v1/regions", params={"level": "desa"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "level"


async def test_a_city_groups_its_kelurahan_by_kecamatan_for_forms():
    groups = await regions.kelurahan_by_kecamatan("17.71")
    assert [name for _, name, _ in groups] == sorted(name for _, name, _ in groups)
    assert len(groups) == 9
    assert sum(len(kelurahan) for _, _, kelurahan in groups) == 67
    selebar = next(kelurahan for code, _, kelurahan in groups if code == "17.71.01")
    assert (BUMI_AYU, "Bumi Ayu") in selebar
    assert await regions.kelurahan_by_kecamatan("17.71.01") == []  # a kecamatan is not a city


async def test_parents_are_found_without_loading_the_country():
    regions.forget_cached_regions()
    asked = [row["code"] for row in await regions.list_regions(parent_code="17.71.01")]
    for code in asked * 2:
        assert await regions.parent_of(code) == "17.71.01"
    assert await regions.parent_of("17.02") == "17"
    assert await regions.parent_of("17.71.99.9999") is None
    assert len(regions._PARENTS) == len(asked) + 1  # what was asked, not the 91,599 codes
