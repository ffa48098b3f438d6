"""Unique campaign codes, one visit row per campaign and day, one attribution per card: by indexes, since SQLite
cannot add a unique column to a table."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T06:44:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique campaign codes, visit days and attributed cards"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)

    async def run():
        for statement in (
            "CREATE UNIQUE INDEX campaign_code_key ON campaign (code)",
            "CREATE UNIQUE INDEX campaign_visit_day_key ON campaign_visit (campaign, day)",
            "CREATE UNIQUE INDEX campaign_enrolment_card_key ON campaign_enrolment (card)",
        ):
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
