"""A database that is gone, told apart from a query that failed: the first answers 503 (retry shortly), the second
is a bug (500)."""

from __future__ import annotations


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
        TimeoutError,  # connecting, or waiting for a pooled connection, took too long (core.database.engine)
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
