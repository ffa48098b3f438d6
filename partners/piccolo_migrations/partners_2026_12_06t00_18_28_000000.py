"""The single-city version's partners were approved (or not) by the office of the city it served: each gets that
office's standing (status, reason, agreement number) and its decisions that office's name. Unique (partner, office)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from core.piccolo_migrations.core_2026_12_05t12_00_01_000000 import founding_city, quoted

ID = "2026-12-06T00:18:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "Existing partners' standing with the founding city's office"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="partners", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        city = quoted(founding_city())
        await engine.run_ddl(
            "CREATE UNIQUE INDEX partner_office_partner_city_key ON partner_office (partner, city_code)"
        )
        await engine.run_ddl(
            "INSERT INTO partner_office (partner, city_code, status, status_reason, agreement_number, created_at, "
            f"updated_at) SELECT id, {city}, status, status_reason, agreement_number, created_at, updated_at "
            "FROM partner"
        )
        await engine.run_ddl(f"UPDATE partner_status_change SET city_code = {city} WHERE city_code IS NULL")

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS partner_office_partner_city_key")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
