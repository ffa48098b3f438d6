"""A database that is gone or cannot be written, told apart from a query that failed: the first answers 503 (retry
shortly), the second is a bug (500)."""

from __future__ import annotations

import sqlite3


def database_unreachable(error: BaseException) -> bool:
    """The database went away (its connection ended or was refused, the server is shutting down or full) or cannot
    take writes right now (a read-only SQLite file, a PostgreSQL hot standby or read-only default), as opposed to a
    query that failed: the request may succeed when retried, so it answers 503, not 500."""
    from asyncpg import exceptions as pg

    gone = (
        pg.PostgresConnectionError,  # 08xxx, including "connection was closed in the middle of operation"
        pg.AdminShutdownError,
        pg.CrashShutdownError,
        pg.CannotConnectNowError,
        pg.TooManyConnectionsError,
        # 25006 "cannot execute … in a read-only transaction": a standby after a failover, or a primary set
        # read-only (default_transaction_read_only). Nothing was written; the operator fixes it, not the client.
        pg.ReadOnlySQLTransactionError,
        ConnectionError,  # refused or reset while connecting
        TimeoutError,  # connecting, or waiting for a pooled connection, took too long (core.database.engine)
    )
    seen: BaseException | None = error
    for _ in range(4):  # the error itself or what it was raised from
        if seen is None:
            return False
        if isinstance(seen, gone) or sqlite_read_only(seen):
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


def sqlite_read_only(error: BaseException) -> bool:
    """SQLite's "attempt to write a readonly database" (SQLITE_READONLY and its extended codes): the file, its
    directory or its file system cannot be written by this process, or the file was replaced under it."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.OperationalError) and code is not None and code & 0xFF == sqlite3.SQLITE_READONLY
