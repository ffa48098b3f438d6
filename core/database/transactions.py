"""Write transactions and the locks inside them: SQLite's write lock taken at BEGIN, PostgreSQL's row locks with a
bounded wait, and the unique index as the judge of a race."""

from __future__ import annotations

from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.database.engine import engine, is_sqlite


def write_transaction() -> Any:
    """A transaction that takes the write lock at its start on SQLite (`BEGIN IMMEDIATE`).

    SQLite's default deferred transactions upgrade to a write lock late and then fail with "database is locked"
    under concurrent writers; PostgreSQL uses row locks taken inside the transaction instead.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def for_update(query: Any) -> Any:
    """`SELECT … FOR UPDATE` on PostgreSQL. On SQLite the write transaction (`BEGIN IMMEDIATE`) already holds the
    database's single write lock, and row locks do not exist."""
    return query if is_sqlite() else query.lock_rows()


def for_key_share(query: Any) -> Any:
    """`SELECT … FOR KEY SHARE` on PostgreSQL: the row cannot be locked `FOR UPDATE` (nor deleted) by another
    transaction until this one ends, while any number of transactions share it and ordinary updates go on. SQLite:
    as `for_update`."""
    return query if is_sqlite() else query.lock_rows("KEY SHARE")


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
