"""The keys made before key numbers existed are numbered 1, 2, 3 … in the order they were created; key numbers and
status slots are unique (an index: SQLite cannot add a UNIQUE column to a table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T03:57:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "Existing signing keys numbered in order of creation; key numbers and status slots unique"

NUMBER_EXISTING_KEYS = """
UPDATE signing_key SET number = (
    SELECT COUNT(*) FROM signing_key AS earlier
    WHERE earlier.created_at < signing_key.created_at
       OR (earlier.created_at = signing_key.created_at AND earlier.kid <= signing_key.kid)
)
WHERE number IS NULL
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        await engine.run_ddl(NUMBER_EXISTING_KEYS)
        await engine.run_ddl("CREATE UNIQUE INDEX signing_key_number_key ON signing_key (number)")
        await engine.run_ddl("CREATE UNIQUE INDEX card_credential_status_slot_key ON card_credential (status_slot)")

    manager.add_raw(run)
    return manager
