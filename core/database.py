"""The database engine chosen by settings (SQLite file or PostgreSQL), its pool, and write transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from core.settings import Settings

# SQLite waits this long for a competing writer instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def create_engine(settings: Settings) -> Engine[Any]:
    if settings.is_postgres:
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        return PostgresEngine(config={"dsn": dsn})
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SharedConnectionSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)


def engine() -> Engine[Any]:
    """The engine configured in piccolo_conf (the one every table uses)."""
    found = engine_finder()
    if found is None:
        raise RuntimeError("piccolo_conf.DB is not configured")
    return found


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def write_transaction() -> Any:
    """A transaction that takes the write lock at its start on SQLite (`BEGIN IMMEDIATE`).

    SQLite's default deferred transactions upgrade to a write lock late and then fail with "database is locked"
    under concurrent writers; PostgreSQL uses row locks taken inside the transaction instead.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def prepare_sqlite(db: SQLiteEngine) -> None:
    """WAL lets readers proceed while one writer commits; the setting is stored in the database file."""
    await db.run_ddl("PRAGMA journal_mode=WAL")


async def ping(within_seconds: float = 2.0) -> None:
    """Raise if the database does not answer `SELECT 1` in time."""
    async with asyncio.timeout(within_seconds):
        await engine().run_ddl("SELECT 1", in_pool=True)


@asynccontextmanager
async def database_lifespan(settings: Settings) -> AsyncIterator[None]:
    """Open the PostgreSQL pool for the app's lifetime (unless one is already open); prepare SQLite."""
    db = engine()
    opened_pool = False
    if isinstance(db, PostgresEngine):
        if db.pool is None:
            await db.start_connection_pool(min_size=1, max_size=settings.db_pool_size)
            opened_pool = True
    elif isinstance(db, SQLiteEngine):
        await prepare_sqlite(db)
    try:
        yield
    finally:
        if opened_pool and isinstance(db, PostgresEngine):
            await db.close_connection_pool()
        if isinstance(db, SharedConnectionSQLiteEngine):
            await db.close_shared()


class SharedConnectionSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping one connection per file for statements outside transactions.

    The stock engine opens a connection (and its thread) for every such statement, about 2 ms each; a request
    makes several. Transactions still get a connection of their own, so `BEGIN IMMEDIATE` works as before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared: dict[str, tuple[Any, asyncio.Lock]] = {}
        self._opening = asyncio.Lock()

    async def _shared_connection(self) -> tuple[Any, asyncio.Lock]:
        path = self.path
        if path not in self._shared:
            async with self._opening:
                if path not in self._shared:
                    import aiosqlite
                    from piccolo.engine.sqlite import dict_factory

                    pending = aiosqlite.connect(**self.connection_kwargs)
                    pending._thread.daemon = True  # an unclosed connection must not keep the process alive
                    connection = await pending
                    connection.row_factory = dict_factory  # type: ignore[assignment]
                    await connection.execute("PRAGMA foreign_keys = 1")
                    self._shared[path] = (connection, asyncio.Lock())
        return self._shared[path]

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        connection, lock = await self._shared_connection()
        async with lock, connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def close_shared(self) -> None:
        shared, self._shared = self._shared, {}
        for connection, _ in shared.values():
            await connection.close()


def _placeholders(db: Any, count: int) -> list[str]:
    """The driver's own parameter marks, for statements run on its connection directly (executemany)."""
    return ["?"] * count if isinstance(db, SQLiteEngine) else [f"${index}" for index in range(1, count + 1)]


async def bulk_insert(table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows in the current transaction with one prepared statement (executemany).

    For imports of tens of thousands of rows: building a Piccolo object per row costs more than the database
    does. Values go through the driver's adapters (Piccolo registers SQLite's), so they are stored exactly as
    Piccolo stores them; JSON values must be passed already encoded.
    """
    if not rows:
        return
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk_insert runs inside write_transaction()")
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join(_placeholders(db, len(columns)))
    sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'  # noqa: S608 - names from our tables
    await transaction.connection.executemany(sql, [tuple(row) for row in rows])


def for_update(query: Any) -> Any:
    """`SELECT … FOR UPDATE` on PostgreSQL. On SQLite the write transaction (`BEGIN IMMEDIATE`) already holds the
    database's single write lock, and row locks do not exist."""
    return query if is_sqlite() else query.lock_rows()


def is_unique_violation(error: BaseException) -> bool:
    """A unique constraint refused an insert (asyncpg's UniqueViolationError or sqlite3's IntegrityError)."""
    import sqlite3

    from asyncpg.exceptions import UniqueViolationError

    if isinstance(error, UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


async def set_lock_timeout(seconds: float) -> None:
    """Within the current PostgreSQL transaction, give up waiting for a lock after `seconds`."""
    if not is_sqlite():
        await engine().run_ddl(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")


def _upsert_sql(table: type[Table], keys: Sequence[str], counters: Sequence[str], marks: Sequence[str]) -> str:
    tablename = table._meta.tablename
    names = ", ".join(f'"{name}"' for name in (*keys, *counters))
    conflict = ", ".join(f'"{name}"' for name in keys)
    updates = ", ".join(f'"{name}" = "{tablename}"."{name}" + excluded."{name}"' for name in counters)
    return (
        f'INSERT INTO "{tablename}" ({names}) VALUES ({", ".join(marks)}) '  # noqa: S608 - names from our own tables
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


async def increment(table: type[Table], key: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add `deltas` to the counters of the row with `key` (creating it): one upsert, in the current transaction.

    The key's columns must carry a unique index. Used by the rollups, which move with every redemption.
    """
    from piccolo.querystring import QueryString

    sql = _upsert_sql(table, list(key), list(deltas), ["{}"] * (len(key) + len(deltas)))
    await engine().run_querystring(QueryString(sql, *key.values(), *deltas.values()))


async def increment_many(
    table: type[Table], keys: Sequence[str], rows: Sequence[tuple[dict[str, Any], dict[str, int]]]
) -> None:
    """`increment` for many rows at once: one prepared upsert run with executemany in the current transaction.

    Every row names the same key and counter columns, and no key repeats (sum them first): PostgreSQL refuses
    to touch one row twice in one command.
    """
    if not rows:
        return
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("increment_many runs inside write_transaction()")
    counters = list(rows[0][1])
    marks = _placeholders(db, len(keys) + len(counters))
    values = [tuple(key[name] for name in keys) + tuple(deltas[name] for name in counters) for key, deltas in rows]
    await transaction.connection.executemany(_upsert_sql(table, keys, counters, marks), values)
