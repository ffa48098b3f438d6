"""The database engine chosen by settings (SQLite file or PostgreSQL), its pool, and write transactions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import structlog
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from core.settings import Settings

log = structlog.get_logger()

# SQLite waits this long for a competing writer instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Opening a PostgreSQL connection gives up after this long (asyncpg waits 60 s): a request answers 503 instead.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# Shutdown waits this long for connections still in use, then drops them (asyncpg would wait forever).
POOL_CLOSE_TIMEOUT_SECONDS = 5
# A request waits this long for a free pooled connection, then answers 503 (asyncpg would wait forever).
POOL_ACQUIRE_TIMEOUT_SECONDS = 10


def create_engine(settings: Settings) -> Engine[Any]:
    if settings.is_postgres:
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        return ReconnectingPostgresEngine(config={"dsn": dsn, "timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS})
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SharedConnectionSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)


class ReleasingPostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, giving its connection back to the pool even when the connection died under it.

    Piccolo's own enter and exit return the connection only after a successful BEGIN, and then after a successful
    ROLLBACK or COMMIT. On a connection that PostgreSQL ended (a restart, a failover, pg_terminate_backend) those
    raise, the pool never gets the connection back, shrinks by one each time, and finally hangs every request
    (and the server's shutdown). The caller also saw "cannot call Transaction.rollback()" instead of the cause.
    """

    async def get_connection(self) -> Any:
        if self.engine.pool:
            return await self.engine.pool.acquire(timeout=POOL_ACQUIRE_TIMEOUT_SECONDS)
        return await self.engine.get_new_connection()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._give_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    with suppress(Exception):  # a dead connection took the transaction with it; report the cause
                        await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                await self._give_back()
            finally:
                self.engine.current_transaction.reset(self.context)
        return exception is None

    async def _give_back(self) -> None:
        """Return the connection to the pool; a broken one is discarded there (asyncpg closes it and the pool opens
        a new one on demand). A failure to give back must not turn a committed transaction into an error."""
        try:
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
        except Exception as error:
            log.warning("database.connection_discarded", error=type(error).__name__)


class ReconnectingPostgresEngine(PostgresEngine):
    """PostgreSQL whose transactions survive the loss of their connection: the pool opens a new one next time."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return ReleasingPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        async with self.pool.acquire(timeout=POOL_ACQUIRE_TIMEOUT_SECONDS) as connection:
            return await connection.fetch(query, *(args or []))


def database_unreachable(error: BaseException) -> bool:
    """The database went away (its connection ended or was refused, the server is shutting down or full), as
    opposed to a query that failed: the request may succeed when retried, so it answers 503, not 500."""
    from asyncpg import exceptions as pg

    gone = (
        pg.PostgresConnectionError,  # 08xxx, including "connection was closed in the middle of operation"
        pg.AdminShutdownError,
        pg.CrashShutdownError,
        pg.CannotConnectNowError,
        pg.TooManyConnectionsError,
        ConnectionError,  # refused or reset while connecting
        TimeoutError,  # connecting, or waiting for a pooled connection, took too long (the constants above)
    )
    seen: BaseException | None = error
    for _ in range(4):  # the error itself or what it was raised from
        if seen is None:
            return False
        if isinstance(seen, gone):
            return True
        message = str(seen)
        # asyncpg's words for a connection found closed, or one whose FATAL "terminating connection" notice
        # arrived before the socket closed (its protocol is then stuck consuming an error).
        if isinstance(seen, pg.InterfaceError) and "connection is closed" in message:
            return True
        if isinstance(seen, pg.InternalClientError) and "another operation (2) is in progress" in message:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_ENGINE: list[Engine[Any]] = []


def engine() -> Engine[Any]:
    """The engine configured in piccolo_conf (the one every table uses), found once: Piccolo's finder imports the
    configuration module on every call (4% of a redeem's CPU, measured in bench/load)."""
    if not _ENGINE:
        found = engine_finder()
        if found is None:
            raise RuntimeError("piccolo_conf.DB is not configured")
        _ENGINE.append(found)
    return _ENGINE[0]


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


async def keep_session(_connection: Any) -> None:
    """The pool's reset on release, without asyncpg's default `RESET ALL; UNLISTEN *; CLOSE ALL; …` round trip.

    asyncpg still rolls back an open transaction itself before calling this. The app keeps no session state to
    undo: no LISTEN, no advisory or session locks, no cursors, and settings only with `SET LOCAL` (gone at the end
    of their transaction). Outside a transaction every statement borrows a connection, so the default reset was
    one extra round trip per statement: about a tenth of a scan's time (bench/load).
    """


@asynccontextmanager
async def database_lifespan(settings: Settings) -> AsyncIterator[None]:
    """Open the PostgreSQL pool for the app's lifetime (unless one is already open); prepare SQLite."""
    db = engine()
    opened_pool = False
    if isinstance(db, PostgresEngine):
        if db.pool is None:
            await db.start_connection_pool(min_size=1, max_size=settings.db_pool_size, reset=keep_session)
            opened_pool = True
    elif isinstance(db, SQLiteEngine):
        await prepare_sqlite(db)
    try:
        yield
    finally:
        if opened_pool and isinstance(db, PostgresEngine):
            try:
                async with asyncio.timeout(POOL_CLOSE_TIMEOUT_SECONDS):
                    await db.close_connection_pool()
            except TimeoutError:
                log.warning("database.pool_close_timeout", seconds=POOL_CLOSE_TIMEOUT_SECONDS)
                if db.pool is not None:
                    db.pool.terminate()
                    db.pool = None
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

    On PostgreSQL it may also run on its own (asyncpg's executemany is atomic): a few rows that need no other
    write with them, such as a scan's attempt log, without the round trips of BEGIN and COMMIT.
    """
    if not rows:
        return
    db = engine()
    transaction = db.current_transaction.get()
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join(_placeholders(db, len(columns)))
    sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'  # noqa: S608 - names from our tables
    values = [tuple(row) for row in rows]
    if transaction is not None:
        await transaction.connection.executemany(sql, values)
    elif isinstance(db, PostgresEngine) and db.pool is not None:
        async with db.pool.acquire() as connection:
            await connection.executemany(sql, values)
    else:
        raise RuntimeError("bulk_insert runs inside write_transaction() (on SQLite always)")


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


class _Value(str):
    """Stands for the `position`-th value (or an element of it) while `CompiledQuery` compiles a query. A string, so
    that Piccolo passes it through untouched even where it would encode a value (a JSON column's)."""

    position: int
    item: int | None

    def __new__(cls, position: int, item: int | None = None) -> _Value:
        value = super().__new__(cls, f"<value {position}.{item}>")
        value.position, value.item = position, item
        return value


class CompiledQuery:
    """A Piccolo query (select, update, insert) built and compiled to PostgreSQL's SQL once per shape, then sent
    with each call's values.

    Building a query costs Piccolo 0.2 to 0.8 ms of CPU (measured in bench/load), more than PostgreSQL takes to
    answer the till's small queries, and a scan or redeem sends several. `build` takes the values and returns the
    query; it must use them only as values (lists for `is_in`, None for a branch not taken), never compute with
    them, and an insert must name every column (a default would be computed once, at compile time). A JSON
    column's value is passed already encoded. The SQL is cached per shape (each list's length, each None). The
    rows are what Piccolo returns: dicts, the JSON columns named in `json_columns` decoded, only the first (or
    None) with `first=True`. On SQLite the query is built and run by Piccolo every time, as anywhere else.
    """

    def __init__(self, build: Callable[..., Any], *, first: bool = False, json_columns: Sequence[str] = ()) -> None:
        self._build = build
        self._first = first
        self._json_columns = tuple(json_columns)
        self._compiled: dict[tuple[Any, ...], tuple[str, list[tuple[bool, Any]]]] = {}

    def _compile(self, values: tuple[Any, ...]) -> tuple[str, list[tuple[bool, Any]]]:
        stand_ins = [
            None if value is None
            else [_Value(index, item) for item in range(len(value))] if isinstance(value, list | tuple)
            else _Value(index)
            for index, value in enumerate(values)
        ]  # fmt: skip
        query = self._build(*stand_ins)
        querystring = getattr(query, "query", query).querystrings[0]
        sql, arguments = querystring.compile_string(engine_type="postgres")
        return sql, [(isinstance(a, _Value), (a.position, a.item) if isinstance(a, _Value) else a) for a in arguments]

    async def __call__(self, *values: Any) -> Any:
        db = engine()
        if not isinstance(db, PostgresEngine):
            return await self._build(*values)
        shape = tuple(None if v is None else len(v) if isinstance(v, list | tuple) else 0 for v in values)
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(values)
        sql, slots = compiled
        arguments = [
            (values[slot[0]] if slot[1] is None else values[slot[0]][slot[1]]) if is_value else slot
            for is_value, slot in slots
        ]
        transaction = db.current_transaction.get()
        if transaction is not None:
            records = await transaction.connection.fetch(sql, *arguments)
        elif db.pool is not None:
            async with db.pool.acquire() as connection:
                records = await connection.fetch(sql, *arguments)
        else:
            records = await db._run_in_new_connection(sql, arguments)
        rows = [dict(record.items()) for record in records]
        for row in rows:
            for name in self._json_columns:
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
        if self._first:
            return rows[0] if rows else None
        return rows
