"""One answer per Idempotency-Key and partner (a unique index: SQLite cannot add table constraints later)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T18:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique (scope, key) for idempotency records; redemptions by card and offer"

INDEXES = {
    "idempotency_record_scope_key": "UNIQUE INDEX idempotency_record_scope_key ON idempotency_record (scope, key)",
    "redemption_card_offer_date": "INDEX redemption_card_offer_date ON redemption (card, offer, local_date)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        for statement in INDEXES.values():
            await engine_finder().run_ddl(f"CREATE {statement}")

    async def run_backwards():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
