"""Existing data under the new import semantics: counted KIAs count from their print month (what they did before),
and every earlier import spoke for its whole office."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T06:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Counted KIAs count from their print month; earlier imports' scope is their office"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)

    async def run():
        for statement in (
            "UPDATE unenrolled_kia SET counted_from = print_month",
            "UPDATE registry_import SET scope_code = city_code",
            "CREATE INDEX unenrolled_kia_counted ON unenrolled_kia (kelurahan_code, counted_from)",
            # A ledger now: each import adds its differences, so a bucket has a row per import that changed it.
            "DROP INDEX IF EXISTS unenrolled_kia_bucket_key",
            "CREATE INDEX unenrolled_kia_bucket ON unenrolled_kia (kelurahan_code, birth_year, print_month)",
        ):
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
