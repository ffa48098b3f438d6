"""Every use of Piccolo's private or undocumented API, in one module: the engines' connection handling, the current
transaction's driver connection, and a query compiled to PostgreSQL's SQL. tests/core/test_piccolo_internals.py
holds a test for each behaviour relied on here, so a Piccolo upgrade that changes one fails there, by name."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import structlog
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from core.database import replica
from core.database.outages import database_unreachable

log = structlog.get_logger()

# A request waits this long for a free pooled connection, then answers 503 (asyncpg would wait forever).
POOL_ACQUIRE_TIMEOUT_SECONDS = 10


class ReleasingPostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, giving its connection back to the pool even when the connection died under it.

    Piccolo's own enter and exit return the connection only after a successful BEGIN, and then after a successful
    ROLLBACK or COMMIT. On a connection that PostgreSQL ended (a restart, a failover, pg_terminate_backend) those
    raise, the pool never gets the connection back, shrinks by one each time, and finally hangs every request
    (and the server's shutdown). The caller also saw "cannot call Transaction.rollback()" instead of the cause.
    Relies on: `_parent`, `_committed`, `_rolled_back`, `context`, `begin()`, `engine.current_transaction`.
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
    """PostgreSQL whose transactions survive the loss of their connection: the pool opens a new one next time; a
    report's reads go to the replica node, if there is one (core.database.replica).
    Relies on: `_run_in_pool` being the path of every statement outside a transaction."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return ReleasingPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        node = self.extra_nodes.get(replica.REPLICA)
        if isinstance(node, ReconnectingPostgresEngine) and node.pool is not None and replica.wanted(query):
            try:
                if await self._replica_current(node):
                    return await node._fetch(query, args)
            except Exception as error:
                if not (database_unreachable(error) or _recovery_conflict(error)):
                    raise
                # Down, starting, the statement writes (a standby refuses it) or replay cancelled it: the primary
                # answers instead.
                log.warning("database.replica_skipped", error=type(error).__name__)
        return await self._fetch(query, args)

    async def _replica_current(self, node: ReconnectingPostgresEngine) -> bool:
        """Whether the replica has replayed the primary as of the report's last write (core.database.replica),
        waiting up to REPLICA_WAIT_SECONDS; asked once per write, remembered for the report's other reads."""
        report = replica.current_report()
        if report is None:
            return True
        if report.replica_current is not None:
            return report.replica_current
        report.replica_current = False  # until shown otherwise: the report reads the primary
        try:
            [row] = await self._fetch("SELECT pg_current_wal_lsn() AS lsn", None)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + replica.REPLICA_WAIT_SECONDS
            while True:
                # NULL: the node replays nothing (not a standby), so it is as current as it gets.
                [replayed] = await node._fetch(
                    "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) AS current", [row["lsn"]]
                )
                if replayed["current"] or loop.time() >= deadline:
                    break
                await asyncio.sleep(0.02)
        except Exception as error:  # a primary in recovery (a failover), a replica down: the primary answers
            log.warning("database.replica_unchecked", error=type(error).__name__)
            return False
        report.replica_current = bool(replayed["current"])
        if not report.replica_current:
            log.warning("database.replica_behind", waited_seconds=replica.REPLICA_WAIT_SECONDS)
        return report.replica_current

    async def _fetch(self, query: str, args: Sequence[Any] | None) -> Any:
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        async with self.pool.acquire(timeout=POOL_ACQUIRE_TIMEOUT_SECONDS) as connection:
            return await connection.fetch(query, *(args or []))


def _recovery_conflict(error: Exception) -> bool:
    """A standby cancels a long read that holds back the replay of the primary's changes (40001)."""
    from asyncpg.exceptions import SerializationError

    return isinstance(error, SerializationError)


class SharedConnectionSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping one connection per file for statements outside transactions.

    The stock engine opens a connection (and its thread) for every such statement, about 2 ms each; a request
    makes several. Transactions still get a connection of their own, so `BEGIN IMMEDIATE` works as before.
    Relies on: `_run_in_new_connection` being the path of every statement outside a transaction, `connection_kwargs`
    and `dict_factory`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared: dict[str, tuple[Any, asyncio.Lock]] = {}
        self._opening = asyncio.Lock()

    async def get_connection(self) -> Any:
        """A transaction's own connection, as Piccolo opens it, on a daemon thread: a transaction whose task is
        cancelled while its connection opens (a background drain stopped at shutdown) leaves a connection no one
        closes, and a non-daemon thread would keep the process from ever exiting."""
        import aiosqlite
        from piccolo.engine.sqlite import dict_factory

        pending = aiosqlite.connect(**self.connection_kwargs)
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def _shared_connection(self) -> tuple[Any, asyncio.Lock]:
        path = self.path
        if path not in self._shared:
            async with self._opening:
                if path not in self._shared:
                    connection = await self.get_connection()  # on a daemon thread, like every connection here
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


def current_connection(db: Engine[Any]) -> Any | None:
    """The driver connection (asyncpg's or aiosqlite's) of the transaction open in this task, if any."""
    transaction = db.current_transaction.get()
    return transaction.connection if transaction is not None else None


def tablename(table: type[Table]) -> str:
    return table._meta.tablename


def compile_for_postgres(query: Any) -> tuple[str, list[Any]]:
    """A Piccolo query (select, update, insert; `.first()` included) as PostgreSQL's SQL and its arguments."""
    querystring = getattr(query, "query", query).querystrings[0]
    sql, arguments = querystring.compile_string(engine_type="postgres")
    return sql, list(arguments)


async def run_outside_transaction(db: Engine[Any], sql: str, arguments: Sequence[Any]) -> list[Any]:
    """Run SQL with the engine's own path for statements outside a transaction (no pool: a new connection)."""
    return await db._run_in_new_connection(sql, list(arguments))  # type: ignore[attr-defined]
