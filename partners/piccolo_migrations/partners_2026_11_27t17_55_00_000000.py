"""Unique indexes across two columns (created as indexes: SQLite cannot add table constraints to a table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T17:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique (offer, outlet) and (offer, revision)"

INDEXES = {
    "offer_outlet_offer_outlet_key": "offer_outlet (offer, outlet)",
    "offer_revision_offer_revision_key": "offer_revision (offer, revision)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="partners", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE UNIQUE INDEX {name} ON {target}")

    async def run_backwards():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
