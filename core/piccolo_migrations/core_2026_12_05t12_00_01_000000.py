"""Give the data of the previous version, which served one city, to that city's office: its Dukcapil accounts work
there and its audit events are that office's. The city is the one kabupaten/kota of the region file that version
loaded (core/data/regions_kota_bengkulu.csv), so no code is written here by hand."""

import csv
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-05T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "The founding city's office owns the previous version's accounts and audit events"

FOUNDING_REGIONS = Path(__file__).resolve().parents[1] / "data" / "regions_kota_bengkulu.csv"


def founding_city() -> str:
    """The kabupaten/kota the single-city version served."""
    with FOUNDING_REGIONS.open(encoding="utf-8", newline="") as handle:
        (city,) = [row["code"] for row in csv.DictReader(handle) if row["level"] in ("kota", "kabupaten")]
    return city


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        city = founding_city()
        await engine.run_ddl(
            "UPDATE staff_user SET region_code = {} WHERE role IN ('dukcapil_admin', 'dukcapil_analyst') "
            "AND region_code IS NULL".format(quoted(city))
        )
        # audit_event refuses UPDATE (append-only triggers); this one-time assignment of existing rows lifts them
        # for the statement's length, inside the migration's transaction.
        if isinstance(engine, SQLiteEngine):
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_update")
            await engine.run_ddl(f"UPDATE audit_event SET city_code = {quoted(city)} WHERE city_code IS NULL")
            await engine.run_ddl(
                "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
        else:
            await engine.run_ddl("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
            await engine.run_ddl(f"UPDATE audit_event SET city_code = {quoted(city)} WHERE city_code IS NULL")
            await engine.run_ddl("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")

    manager.add_raw(run)
    return manager


def quoted(code: str) -> str:
    """A region code as an SQL literal: digits and dots only, checked, never data from outside."""
    if not code.replace(".", "").isdigit():
        raise ValueError(f"not a region code: {code!r}")
    return f"'{code}'"
