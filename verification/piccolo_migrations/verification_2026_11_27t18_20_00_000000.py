"""One credential per card version (a unique index: SQLite cannot add table constraints later)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique (card, cv) for credentials"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX card_credential_card_cv_key ON card_credential (card, cv)")

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS card_credential_card_cv_key")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
