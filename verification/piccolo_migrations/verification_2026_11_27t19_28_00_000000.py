"""Unique keys of the rollups (unique indexes: SQLite cannot add table constraints later) and the indexes the
first-of-month marks are found by."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T19:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Rollup keys"

INDEXES = {
    "rollup_redemption_daily_key": "UNIQUE INDEX rollup_redemption_daily_key ON rollup_redemption_daily "
    "(partner, day, offer, outlet)",
    "rollup_redemption_daily_day": "INDEX rollup_redemption_daily_day ON rollup_redemption_daily (day)",
    "rollup_redemption_monthly_key": "UNIQUE INDEX rollup_redemption_monthly_key ON rollup_redemption_monthly "
    "(slice, month, partner, value, shard)",
    "rollup_redemption_monthly_partner": "INDEX rollup_redemption_monthly_partner ON rollup_redemption_monthly "
    "(partner, slice, month)",
    "rollup_refusal_daily_key": "UNIQUE INDEX rollup_refusal_daily_key ON rollup_refusal_daily "
    "(partner, day, offer, outlet, reason)",
    "rollup_refusal_monthly_key": "UNIQUE INDEX rollup_refusal_monthly_key ON rollup_refusal_monthly "
    "(month, partner, reason)",
    "rollup_enrolment_monthly_key": "UNIQUE INDEX rollup_enrolment_monthly_key ON rollup_enrolment_monthly "
    "(month, kelurahan, channel)",
    "rollup_print_monthly_key": "UNIQUE INDEX rollup_print_monthly_key ON rollup_print_monthly "
    "(print_month, kelurahan, birth_year)",
    "rollup_print_weekly_key": "UNIQUE INDEX rollup_print_weekly_key ON rollup_print_weekly (week_start, kelurahan)",
    "redemption_card_date": "INDEX redemption_card_date ON redemption (card, local_date)",
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
