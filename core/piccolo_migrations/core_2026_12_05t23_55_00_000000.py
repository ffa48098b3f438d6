"""Load every Kemendagri region code of Indonesia (core/data/REGIONS.md); on PostgreSQL, a trigram index for the
name search of forms."""

import csv
import gzip
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Varchar
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

ID = "2026-12-05T23:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Regions of all Indonesia (Kepmendagri 300.2.2-2138/2025 as amended); name search index"

DATA = Path(__file__).resolve().parents[1] / "data"
REGIONS_CSV_GZ = DATA / "regions_indonesia.csv.gz"
PREVIOUS_CSV = DATA / "regions_kota_bengkulu.csv"  # what the 2026-11-27 migration loaded: backwards keeps it


class Region(Table, tablename="region"):
    # Frozen copy of the columns this migration uses.
    code = Varchar(length=13, primary_key=True)


COLUMNS = ("code", "name", "level", "parent_code", "postal_code")
# Frozen copy of the upsert as it is at this migration: existing codes (Kota Bengkulu's) keep their row and take
# the file's name, level, parent and postal code; nothing is deleted.
UPSERT = (
    "INSERT INTO region (code, name, level, parent_code, postal_code) VALUES ({}) "
    "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, "
    "parent_code = excluded.parent_code, postal_code = excluded.postal_code"
)
POSTGRES_SEARCH_INDEX = [
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS region_name_trigram ON region USING gin (lower(name) gin_trgm_ops)",
]


def read_rows(path: Path) -> list[tuple]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return [tuple(row[column] or None for column in COLUMNS) for row in csv.DictReader(handle)]


def driver_connection(engine):
    # The migration runs in one transaction; its driver connection (aiosqlite's or asyncpg's) takes the rows in
    # one executemany or COPY instead of 91,599 statements (the same Piccolo attribute core.database uses).
    return engine.current_transaction.get().connection


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        rows = read_rows(REGIONS_CSV_GZ)
        connection = driver_connection(engine)
        if isinstance(engine, SQLiteEngine):
            await connection.executemany(UPSERT.format(", ".join("?" * len(COLUMNS))), rows)
            return
        await connection.execute(
            "CREATE TEMPORARY TABLE region_load (code varchar(13), name varchar(100), level varchar(12), "
            "parent_code varchar(13), postal_code varchar(5)) ON COMMIT DROP"
        )
        await connection.copy_records_to_table("region_load", records=rows, columns=COLUMNS)
        await connection.execute(UPSERT.replace("VALUES ({})", f"SELECT {', '.join(COLUMNS)} FROM region_load"))
        for statement in POSTGRES_SEARCH_INDEX:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        kept = [row[0] for row in read_rows(PREVIOUS_CSV)]
        await Region.delete().where(Region.code.not_in(kept))
        if not isinstance(engine, SQLiteEngine):
            await engine.run_ddl("DROP INDEX IF EXISTS region_name_trigram")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
