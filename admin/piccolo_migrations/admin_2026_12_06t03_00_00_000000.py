"""Counted KIAs carry their kabupaten/kota, and their per-city sums (what province and national coverage read) are
filled from them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Counted KIAs per kabupaten/kota"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)

    async def run():
        for statement in (
            "UPDATE unenrolled_kia SET city_code = substr(kelurahan_code, 1, 5)",
            "INSERT INTO unenrolled_kia_city_monthly (city_code, print_month, birth_year, holders) "
            "SELECT city_code, print_month, birth_year, SUM(holders) FROM unenrolled_kia "
            "GROUP BY city_code, print_month, birth_year",
            "CREATE UNIQUE INDEX unenrolled_kia_city_monthly_key ON unenrolled_kia_city_monthly "
            "(city_code, print_month, birth_year)",
            "CREATE INDEX unenrolled_kia_city_monthly_month ON unenrolled_kia_city_monthly (print_month)",
        ):
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
