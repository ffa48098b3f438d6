"""Each existing card belongs to the office of its kelurahan's kabupaten/kota (the code's first five characters)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-05T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Existing cards' office from their kelurahan"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("UPDATE card SET city_code = substr(kelurahan_code, 1, 5) WHERE city_code = ''")

    manager.add_raw(run)
    return manager
