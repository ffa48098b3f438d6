"""One test per behaviour of Piccolo's private API that core/database/piccolo_internals.py relies on: a Piccolo
upgrade that changes one fails here, by name, instead of somewhere in a redeem. (The loss of a connection inside a
transaction is tests/verification/test_faults.py's.)"""

from __future__ import annotations

import pytest
from piccolo.engine.postgres import PostgresEngine

from core.database.engine import engine, is_sqlite
from core.database.piccolo_internals import (
    ReconnectingPostgresEngine,
    SharedConnectionSQLiteEngine,
    compile_for_postgres,
    current_connection,
    run_outside_transaction,
    tablename,
)
from core.database.transactions import write_transaction
from core.tables import Region, RegionLevel
from verification.tables import IdempotencyRecord

sqlite_only = pytest.mark.skipif(not is_sqlite(), reason="the SQLite engine's own behaviour")
postgres_only = pytest.mark.skipif(is_sqlite(), reason="the PostgreSQL engine's own behaviour")


def test_a_table_knows_its_name_in_the_database():
    assert tablename(Region) == "region"
    assert tablename(IdempotencyRecord) == "idempotency_record"


def test_a_query_compiles_to_postgres_sql_with_numbered_arguments():
    sql, arguments = compile_for_postgres(
        Region.select(Region.code).where(Region.level == RegionLevel.KECAMATAN).where(Region.code == "17.71.01").first()
    )
    assert "$1" in sql
    assert "$2" in sql
    assert "LIMIT 1" in sql.upper()
    assert arguments == [RegionLevel.KECAMATAN.value, "17.71.01"]
    update_sql, update_arguments = compile_for_postgres(
        IdempotencyRecord.update({IdempotencyRecord.outcome: "{}"}).where(IdempotencyRecord.key == "k")
    )
    assert update_sql.upper().startswith('UPDATE "IDEMPOTENCY_RECORD"')
    assert update_arguments[-1] == "k"


async def test_the_current_transaction_lends_its_driver_connection():
    db = engine()
    assert current_connection(db) is None
    async with write_transaction() as transaction:
        assert current_connection(db) is transaction.connection
        async with write_transaction():  # nested: the same transaction, the same connection
            assert current_connection(db) is transaction.connection
    assert current_connection(db) is None


@sqlite_only
async def test_sqlite_statements_outside_a_transaction_share_one_connection():
    db = engine()
    assert isinstance(db, SharedConnectionSQLiteEngine)
    await Region.select(Region.code).first()
    shared = dict(db._shared)
    assert list(shared) == [db.path]
    rows = await Region.select(Region.code, Region.name).where(Region.code == "17.71").first()
    assert rows == {"code": "17.71", "name": rows["name"]}  # Piccolo's row factory: dicts
    assert db._shared == shared  # the same connection, not a new one per statement
    async with write_transaction() as transaction:  # a transaction still has a connection of its own
        assert transaction.connection is not shared[db.path][0]


@postgres_only
async def test_postgres_statements_outside_a_transaction_go_through_run_in_pool():
    db = engine()
    assert isinstance(db, ReconnectingPostgresEngine)
    calls: list[str] = []
    original = db._run_in_pool

    async def counted(query, args=None):
        calls.append(query)
        return await original(query, args)

    db._run_in_pool = counted  # type: ignore[method-assign]
    try:
        await Region.select(Region.code).where(Region.code == "17.71").first()
        async with write_transaction():
            await Region.select(Region.code).first()  # inside a transaction: its connection, not the pool
    finally:
        del db._run_in_pool
    assert len(calls) == 1


@postgres_only
async def test_postgres_runs_sql_on_a_new_connection_without_a_pool():
    db = engine()
    assert isinstance(db, PostgresEngine)
    rows = await run_outside_transaction(db, "SELECT $1::text AS answer", ["yes"])
    assert [dict(row) for row in rows] == [{"answer": "yes"}]
