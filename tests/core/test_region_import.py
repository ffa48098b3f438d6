"""`mitrakia regions import`: a later Kemendagri file updates the tree; codes are retired, never deleted, so the
outlets and cards that hold them keep working; the same file twice changes nothing; a wrong file changes nothing."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.database.engine import engine
from core.errors import Invalid, TooManyRegionsRetired
from core.service import regions
from core.service.audit import EventFilter, list_events
from core.service.region_import import SHIPPED_FILE, import_regions
from core.tables import Region
from tests.conftest import TEST_DATABASE_URL, TEST_SECRET
from tests.helpers import KELURAHAN_PANORAMA, KELURAHAN_PASAR_BARU, approved_partner, dukcapil_headers, outlet_body

EFFECTIVE = date(2025, 7, 1)  # a decree in force already
MITRAKIA = str(Path(sys.executable).parent / "mitrakia")


def shipped_rows() -> list[dict[str, str]]:
    with gzip.open(SHIPPED_FILE, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def as_file(rows: list[dict[str, str]], gz: bool = True) -> bytes:
    columns = list(rows[0])
    for row in rows:
        columns += [key for key in row if key not in columns]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return gzip.compress(text.getvalue().encode()) if gz else text.getvalue().encode()


async def region(code: str) -> dict:
    row = await Region.select().where(Region.code == code).first()
    assert row is not None
    return row


async def imports_recorded() -> list[dict]:
    return await list_events(EventFilter(action="regions.import"), None, limit=10)


async def test_the_shipped_file_again_changes_nothing():
    result = await import_regions(SHIPPED_FILE.read_bytes(), SHIPPED_FILE.name, EFFECTIVE)
    assert (result.inserted, result.renamed, result.updated, result.retired, result.reinstated) == (0, 0, 0, 0, 0)
    assert result.unchanged == result.in_file == len(shipped_rows())
    assert await imports_recorded() == []  # nothing changed, nothing to record


async def test_a_renamed_kelurahan_takes_its_new_name_once(client, regions_restored):
    rows = shipped_rows()
    renamed = next(row for row in rows if row["code"] == KELURAHAN_PANORAMA)
    renamed["name"] = "Panorama Baru"

    first = await import_regions(as_file(rows), "kepmendagri-2027.csv.gz", EFFECTIVE)
    again = await import_regions(as_file(rows), "kepmendagri-2027.csv.gz", EFFECTIVE)

    assert (first.renamed, first.inserted, first.retired, first.unchanged) == (1, 0, 0, len(rows) - 1)
    assert (again.renamed, again.changed, again.unchanged) == (0, False, len(rows))
    found = (await client.get("/api/v1/regions", params={"level": "kelurahan", "q": "panorama baru"})).json()
    assert [row["code"] for row in found] == [KELURAHAN_PANORAMA]
    (event,) = await imports_recorded()  # the second run changed nothing
    assert event["object_id"] == "kepmendagri-2027.csv.gz"
    assert event["after"]["renamed"] == 1
    assert event["after"]["effective"] == "2025-07-01"


async def test_a_retired_kelurahan_stays_for_the_outlet_that_holds_it(client, create_staff, regions_restored):
    world = await approved_partner(client, await dukcapil_headers(client, create_staff))
    outlet = (await client.get(world.url(f"/outlets/{world.outlet_id}"), headers=world.manager)).json()
    assert (outlet["kelurahan_code"], outlet["kelurahan_name"]) == (KELURAHAN_PASAR_BARU, "Pasar Baru")
    rows = [row for row in shipped_rows() if row["code"] != KELURAHAN_PASAR_BARU]

    result = await import_regions(as_file(rows), "tanpa-pasar-baru.csv.gz", EFFECTIVE)

    assert (result.retired, result.inserted, result.renamed) == (1, 0, 0)
    kept = await region(KELURAHAN_PASAR_BARU)
    assert (kept["name"], kept["valid_until"], kept["replaced_by"]) == ("Pasar Baru", EFFECTIVE, None)
    # The outlet still shows its kelurahan and may keep it when edited; no new outlet may choose it.
    assert (await client.get(world.url(f"/outlets/{world.outlet_id}"), headers=world.manager)).json() == outlet
    edited = await client.put(
        world.url(f"/outlets/{world.outlet_id}"), json=outlet_body("Pelangi Pasar Baru Lama"), headers=world.manager
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["kelurahan_name"] == "Pasar Baru"
    refused = await client.post(world.url("/outlets"), json=outlet_body("Cabang Baru"), headers=world.manager)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "unknown_kelurahan"
    in_force = (await client.get("/api/v1/regions", params={"level": "kelurahan", "parent": "17.71.03"})).json()
    assert KELURAHAN_PASAR_BARU not in {row["code"] for row in in_force}
    assert in_force  # its neighbours stay

    again = await import_regions(as_file(rows), "tanpa-pasar-baru.csv.gz", EFFECTIVE)
    assert (again.changed, again.retired) == (False, 0)
    back = await import_regions(SHIPPED_FILE.read_bytes(), SHIPPED_FILE.name, date(2025, 12, 1))
    assert back.reinstated == 1
    assert (await region(KELURAHAN_PASAR_BARU))["valid_until"] is None


async def test_a_code_retired_from_a_later_day_is_in_force_until_then(client, create_staff, regions_restored):
    world = await approved_partner(client, await dukcapil_headers(client, create_staff))
    rows = [row for row in shipped_rows() if row["code"] != KELURAHAN_PANORAMA]
    later = regions.today() + timedelta(days=30)

    await import_regions(as_file(rows), "mulai-bulan-depan.csv.gz", later)

    assert (await region(KELURAHAN_PANORAMA))["valid_until"] == later
    opened = await client.post(world.url("/outlets"), json=outlet_body("Cabang Panorama", KELURAHAN_PANORAMA),
                               headers=world.manager)  # fmt: skip
    assert opened.status_code == 201, opened.text


async def test_a_file_may_name_the_code_that_replaces_a_retired_one(regions_restored):
    rows = shipped_rows()
    merged = next(row for row in rows if row["code"] == "17.71.01.1006")
    merged["replaced_by"] = "17.71.01.1005"

    result = await import_regions(as_file(rows), "penggabungan.csv", EFFECTIVE)

    assert result.retired == 1
    retired = await region("17.71.01.1006")
    assert (retired["valid_until"], retired["replaced_by"]) == (EFFECTIVE, "17.71.01.1005")


async def test_a_new_code_is_inserted_in_force_from_the_effective_day(regions_restored):
    await Region.delete().where(Region.code == KELURAHAN_PANORAMA)  # a database from before the decree
    result = await import_regions(SHIPPED_FILE.read_bytes(), SHIPPED_FILE.name, EFFECTIVE)
    assert (result.inserted, result.unchanged) == (1, result.in_file - 1)
    added = await region(KELURAHAN_PANORAMA)
    assert (added["name"], added["parent_code"], added["valid_from"]) == ("Panorama", "17.71.09", EFFECTIVE)


async def test_retiring_more_than_one_percent_needs_to_be_asked_for(regions_restored):
    rows = shipped_rows()
    kept = rows[: int(len(rows) * 0.98)]  # a truncated file: the last 2% (Papua's regions) missing

    with pytest.raises(TooManyRegionsRetired) as refused:
        await import_regions(as_file(kept), "terpotong.csv.gz", EFFECTIVE)
    assert refused.value.params["retired"] == len(rows) - len(kept)
    assert await Region.count().where(Region.valid_until.is_not_null()) == 0
    assert await imports_recorded() == []

    allowed = await import_regions(as_file(kept), "terpotong.csv.gz", EFFECTIVE, allow_many_retired=True)
    assert allowed.retired == len(rows) - len(kept)
    assert await Region.count() == len(rows)  # retired, not deleted


@pytest.mark.parametrize(
    ("content", "field", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "file", "not_csv"),
        (b"kode,nama\n17,Bengkulu\n", "file", "missing_columns"),
        (b"code,name,level,parent_code,postal_code\n", "file", "no_regions"),
        (b"code,name,level,parent_code,postal_code\n17,Bengkulu,provinsi,,\n17.7,Kota,kota,17,\n", "row 3.code",
         "invalid_code"),
        (b"code,name,level,parent_code,postal_code\n17,Bengkulu,provinsi,,\n17.71,Kota Bengkulu,kecamatan,17,\n",
         "row 3.level", "level_mismatch"),
        (b"code,name,level,parent_code,postal_code\n17,Bengkulu,provinsi,,\n17.71,Kota Bengkulu,kota,18,\n",
         "row 3.parent_code", "unknown_parent"),
        (b"code,name,level,parent_code,postal_code\n17,Bengkulu,provinsi,,\n17,Bengkulu,provinsi,,\n",
         "row 3.code", "duplicate_code"),
        (b"code,name,level,parent_code,postal_code\n17,Bengkulu,provinsi,,\n17.71,Kota Bengkulu,kota,17,3821\n",
         "row 3.postal_code", "invalid_postal_code"),
    ],
)  # fmt: skip
async def test_a_wrong_file_is_refused_whole_with_its_problems(content, field, code):
    with pytest.raises(Invalid) as refused:
        await import_regions(content, "salah.csv", EFFECTIVE)
    assert (refused.value.problems[0].field, refused.value.problems[0].code) == (field, code)
    assert await Region.count().where(Region.valid_until.is_not_null()) == 0


def run_import(*args: str) -> subprocess.CompletedProcess[str]:
    db = engine()
    url = TEST_DATABASE_URL or f"sqlite:///{db.path}"  # type: ignore[attr-defined]
    env = {"MITRAKIA_DATABASE_URL": url, "MITRAKIA_SECRET_KEY": TEST_SECRET, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [MITRAKIA, "regions", "import", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_the_command_prints_its_counts_and_fails_on_a_wrong_file(tmp_path):
    same = run_import("--effective", "2025-07-01")
    assert same.returncode == 0, same.stderr
    assert "0 inserted, 0 renamed, 0 updated, 0 retired" in same.stdout
    assert "nothing to change" in same.stdout

    wrong = tmp_path / "wilayah.csv"
    wrong.write_text("kode,nama\n17,Bengkulu\n")
    refused = run_import(str(wrong))
    assert refused.returncode != 0
    assert "wilayah.csv: file: Required columns: code,name,level,parent_code,postal_code." in refused.stderr

    truncated = tmp_path / "terpotong.csv.gz"
    truncated.write_bytes(as_file(shipped_rows()[:80_000]))
    guarded = run_import(str(truncated))
    assert guarded.returncode != 0
    assert "--allow-many-retired" in guarded.stderr
    assert await Region.count().where(Region.valid_until.is_not_null()) == 0
