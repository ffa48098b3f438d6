"""Existing registry imports belong to the office of the city the previous version served."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from core.piccolo_migrations.core_2026_12_05t12_00_01_000000 import founding_city, quoted

ID = "2026-12-05T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Existing imports' office"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            f"UPDATE registry_import SET city_code = {quoted(founding_city())} WHERE city_code = ''"
        )

    manager.add_raw(run)
    return manager
