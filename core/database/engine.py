"""The database engine chosen by settings (a SQLite file, or PostgreSQL by URL), found once, and its lifetime:
the PostgreSQL pool for the app's life, SQLite's journal mode, a ping, and whether it takes writes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from core.database.outages import sqlite_read_only
from core.database.piccolo_internals import ReconnectingPostgresEngine, SharedConnectionSQLiteEngine
from core.database.replica import REPLICA
from core.settings import Settings

log = structlog.get_logger()

# SQLite waits this long for a competing writer instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Opening a PostgreSQL connection gives up after this long (asyncpg waits 60 s): a request answers 503 instead.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# Shutdown waits this long for connections still in use, then drops them (asyncpg would wait forever).
POOL_CLOSE_TIMEOUT_SECONDS = 5


def create_engine(settings: Settings) -> Engine[Any]:
    if settings.is_postgres:
        replica = settings.database_replica_url
        return ReconnectingPostgresEngine(
            config=_postgres_config(settings.database_url),
            extra_nodes={REPLICA: ReconnectingPostgresEngine(config=_postgres_config(replica))} if replica else None,
        )
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SharedConnectionSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)


def _postgres_config(url: str) -> dict[str, Any]:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return {"dsn": dsn, "timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}


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


async def prepare_sqlite(db: SQLiteEngine) -> None:
    """WAL lets readers proceed while one writer commits; the setting is stored in the database file."""
    await db.run_ddl("PRAGMA journal_mode=WAL")


async def ping(within_seconds: float = 2.0, node: Engine[Any] | None = None) -> None:
    """Raise if the database (or another `node` of it) does not answer `SELECT 1` in time."""
    async with asyncio.timeout(within_seconds):
        await (node or engine()).run_ddl("SELECT 1", in_pool=True)


async def replica_answers(within_seconds: float = 2.0) -> bool | None:
    """Whether the reports' replica answers `SELECT 1` in time; None when there is none."""
    db = engine()
    node = db.extra_nodes.get(REPLICA) if isinstance(db, PostgresEngine) else None
    if node is None:
        return None
    try:
        await ping(within_seconds, node)
    except Exception as error:  # any driver error means "not answering"
        log.warning("ops.ready.replica_unavailable", error=type(error).__name__)
        return False
    return True


async def accepts_writes(within_seconds: float = 2.0) -> bool:
    """Whether the database would take a write now; raises if it does not answer in time.

    PostgreSQL: not a hot standby nor read-only by default (`transaction_read_only`). SQLite: a write is tried on a
    new connection, as a transaction opens one, and rolled back. `BEGIN IMMEDIATE` alone is no test: SQLite grants
    it on a file it opened read-only (in WAL and rollback-journal mode alike), and refuses only the first write;
    the file's mode bits say nothing to a process running as root. Rewriting `user_version` with its own value is
    a write that needs no table; another writer holding the lock means the file is being written, so it counts as
    writable rather than waiting for it."""
    db = engine()
    async with asyncio.timeout(within_seconds):
        if not isinstance(db, SQLiteEngine):
            rows = await db.run_ddl("SHOW transaction_read_only", in_pool=True)
            return bool(rows[0]["transaction_read_only"] == "off")
        connection = await db.get_connection()
        try:
            await connection.execute(f"PRAGMA busy_timeout = {int(within_seconds * 500)}")
            await connection.execute("BEGIN")
            async with connection.execute("PRAGMA user_version") as cursor:
                (row,) = await cursor.fetchall()
            await connection.execute(f"PRAGMA user_version = {int(row['user_version'])}")
        except sqlite3.OperationalError as error:
            if sqlite_read_only(error):
                return False
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        finally:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            await connection.close()
    return True


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
            replica = db.extra_nodes.get(REPLICA)
            if replica is not None and replica.pool is None:
                # min_size 0: a replica that is down at start delays nothing (its reports read the primary).
                await replica.start_connection_pool(min_size=0, max_size=settings.db_pool_size, reset=keep_session)
    elif isinstance(db, SQLiteEngine):
        await prepare_sqlite(db)
    try:
        yield
    finally:
        if opened_pool and isinstance(db, PostgresEngine):
            for node in db.extra_nodes.values():
                if node.pool is not None:
                    node.pool.terminate()  # reports only: nothing to finish
                    node.pool = None
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
