"""Triggers that move the till's cache stamp (core.service.stamped) in the same transaction as any change to what
workers keep in memory for the till: partners and their standing with each office, outlets, who works where, API
keys (revocation, scopes), offers and where they apply, signing keys. A change made anywhere (the app, the CLI, SQL
by hand) reaches every worker and node at its next check of the stamp."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-06T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Triggers moving the till cache stamp"

STAMP = "till"
# table -> the columns whose update matters (None: any), and whether inserts matter (a new API key does not: a key
# the cache has never seen is read from the database).
WATCHED: dict[str, tuple[tuple[str, ...] | None, bool]] = {
    "partner": (None, True),
    "partner_office": (None, True),
    "outlet": (None, True),
    "partner_member": (None, True),
    "offer": (None, True),
    "offer_outlet": (None, True),
    "partner_api_key": (("revoked_at", "scopes", "outlet", "partner", "key_hash"), False),
    "signing_key": (None, True),
}
BUMP = (
    f"INSERT INTO cache_stamp (name, version) VALUES ('{STAMP}', 1) "
    "ON CONFLICT (name) DO UPDATE SET version = cache_stamp.version + 1"
)


def _statements(postgres: bool) -> list[str]:
    statements = [f"INSERT INTO cache_stamp (name, version) VALUES ('{STAMP}', 0) ON CONFLICT (name) DO NOTHING"]
    if postgres:
        statements.append(
            "CREATE OR REPLACE FUNCTION mitrakia_bump_till_stamp() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    for table, (columns, inserts) in WATCHED.items():
        events = ["UPDATE" + (f" OF {', '.join(columns)}" if columns else ""), "DELETE"]
        if inserts:
            events.append("INSERT")
        if postgres:  # one bump per statement, however many rows it changes
            statements.append(
                f"CREATE TRIGGER {table}_till_stamp AFTER {' OR '.join(events)} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mitrakia_bump_till_stamp()"
            )
        else:  # SQLite has row triggers only, one event each
            for event in events:
                name = f"{table}_till_stamp_{event.split()[0].lower()}"
                statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")
    return statements


def _drops(postgres: bool) -> list[str]:
    drops = []
    for table, (_, inserts) in WATCHED.items():
        if postgres:
            drops.append(f"DROP TRIGGER IF EXISTS {table}_till_stamp ON {table}")
        else:
            for event in ("update", "delete", *(("insert",) if inserts else ())):
                drops.append(f"DROP TRIGGER IF EXISTS {table}_till_stamp_{event}")
    if postgres:
        drops.append("DROP FUNCTION IF EXISTS mitrakia_bump_till_stamp()")
    return drops


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="verification", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in _statements(isinstance(engine, PostgresEngine)):
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        for statement in _drops(isinstance(engine, PostgresEngine)):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
