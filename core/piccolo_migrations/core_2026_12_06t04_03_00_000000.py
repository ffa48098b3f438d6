"""Chain the events already in the audit log: each gets the SHA-256 of its predecessor's hash and its own fields,
in id order, so that `mitrakia audit verify` checks the whole log. The append-only triggers are lifted for this one
assignment, inside the migration's transaction.

The hashing is written out here, as the service does it at this version, so that this migration does the same thing
however that module changes later."""

import hashlib
import json
from datetime import UTC, datetime

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

ID = "2026-12-06T04:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Chain the existing audit events"

GENESIS = "0" * 64
CHAINED = ("occurred_at", "city_code", "actor_id", "actor_username", "actor_role", "action", "object_type",
           "object_id", "before", "after", "request_id")  # fmt: skip


def _canonical(name, value):
    if value is None:
        return None
    if name == "occurred_at":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if name in {"before", "after"}:
        return json.loads(value) if isinstance(value, str) else value
    return str(value)


def chained(prev_hash, event):
    payload = json.dumps(
        {name: _canonical(name, event.get(name)) for name in CHAINED},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        columns = ", ".join(CHAINED)  # this module's constant
        rows = await engine.run_ddl(f"SELECT id, {columns} FROM audit_event ORDER BY id")  # noqa: S608
        if not rows:
            return
        sqlite = isinstance(engine, SQLiteEngine)
        if sqlite:
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_update")
        else:
            await engine.run_ddl("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
        prev = GENESIS
        for row in rows:
            digest = chained(prev, row)
            await engine.run_querystring(
                QueryString("UPDATE audit_event SET prev_hash = {}, hash = {} WHERE id = {}", prev, digest, row["id"])
            )
            prev = digest
        if sqlite:
            await engine.run_ddl(
                "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
        else:
            await engine.run_ddl("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")

    manager.add_raw(run)
    return manager
