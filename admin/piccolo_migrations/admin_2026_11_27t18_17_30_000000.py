"""One count per kelurahan, birth year and print month (a unique index: SQLite cannot add constraints later)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T18:17:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique buckets of unenrolled KIA counts"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX unenrolled_kia_bucket_key ON unenrolled_kia (kelurahan_code, birth_year, print_month)"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unenrolled_kia_bucket_key")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
