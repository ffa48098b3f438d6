"""The till's cache stamp moves with any change to a partner's webhook endpoints: a redemption reads which endpoints
want its event from each worker's memory (partners.service.webhooks), so an endpoint added, switched off or
re-subscribed reaches every worker at its next check of the stamp."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-07T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The till cache stamp follows webhook endpoints"

TABLE = "webhook_endpoint"
BUMP = (
    "INSERT INTO cache_stamp (name, version) VALUES ('till', 1) "
    "ON CONFLICT (name) DO UPDATE SET version = cache_stamp.version + 1"
)
EVENTS = ("INSERT", "UPDATE", "DELETE")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):  # the function comes with the stamp (migration 2026-12-06T22:30)
            await engine.run_ddl(
                f"CREATE TRIGGER {TABLE}_till_stamp AFTER {' OR '.join(EVENTS)} ON {TABLE} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mitrakia_bump_till_stamp()"
            )
            return
        for event in EVENTS:
            await engine.run_ddl(
                f"CREATE TRIGGER {TABLE}_till_stamp_{event.lower()} AFTER {event} ON {TABLE} BEGIN {BUMP}; END"
            )

    async def run_backwards():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(f"DROP TRIGGER IF EXISTS {TABLE}_till_stamp ON {TABLE}")
            return
        for event in EVENTS:
            await engine.run_ddl(f"DROP TRIGGER IF EXISTS {TABLE}_till_stamp_{event.lower()}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
