"""Load the Kemendagri region codes shipped in core/data; make audit_event append-only at the database level."""

import csv
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Varchar
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

ID = "2026-11-27T17:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Regions of Kota Bengkulu; append-only audit log"

REGIONS_CSV = Path(__file__).resolve().parents[1] / "data" / "regions_kota_bengkulu.csv"


class Region(Table, tablename="region"):
    # Frozen copy of the table as it is at this migration.
    code = Varchar(length=13, primary_key=True)
    name = Varchar(length=100)
    level = Varchar(length=12)
    parent_code = Varchar(length=13, null=True)
    postal_code = Varchar(length=5, null=True)


SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def read_regions() -> list[Region]:
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        return [
            Region(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_code=row["parent_code"] or None,
                postal_code=row["postal_code"] or None,
            )
            for row in csv.DictReader(handle)
        ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        await Region.insert(*read_regions())
        statements = SQLITE_TRIGGERS if isinstance(engine, SQLiteEngine) else POSTGRES_TRIGGERS
        for statement in statements:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        if isinstance(engine, SQLiteEngine):
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_update")
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_delete")
        else:
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
            await engine.run_ddl("DROP FUNCTION IF EXISTS audit_event_append_only()")
        await Region.delete(force=True)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
