"""The database engine chosen by settings (SQLite file or PostgreSQL), its pool, and write transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.settings import Settings

# SQLite waits this long for a competing writer instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def create_engine(settings: Settings) -> Engine[Any]:
    if settings.is_postgres:
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        return PostgresEngine(config={"dsn": dsn})
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)


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
