"""Which statements read from the streaming replica (MITRAKIA_DATABASE_REPLICA_URL): a report's, and nothing else.

The replica is Piccolo's own `extra_nodes["replica"]` on the PostgreSQL engine. A report does not pass `node=` to
each of its dozens of queries (many are helpers the till shares); it runs inside `reports()` instead, and every
SELECT it makes outside a transaction goes to the replica. Everything else reads the primary: a limit, a budget, a
key or a card's status is never read from a copy that may be behind (docs/scaling.md). A statement the replica
refuses as a write, or a replica that cannot be reached, runs on the primary: a report may be slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

import structlog
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.database.outages import database_unreachable

log = structlog.get_logger()

REPLICA = "replica"  # the name of the node in the engine's extra_nodes

_READING_REPORT: ContextVar[bool] = ContextVar("reading_report", default=False)


@contextmanager
def _reading_report(value: bool) -> Iterator[None]:
    token = _READING_REPORT.set(value)
    try:
        yield
    finally:
        _READING_REPORT.reset(token)


def reports() -> AbstractContextManager[None]:
    """A report's reads: its SELECTs outside a transaction may go to the replica."""
    return _reading_report(True)


def primary() -> AbstractContextManager[None]:
    """Inside a report, work that must see the primary (applying the rollup outbox before the report reads)."""
    return _reading_report(False)


async def before_report(write: Callable[[], Awaitable[object]], skipped_event: str | None = None) -> None:
    """What a report waits for before it reads (rows buffered or queued, written now), on the primary whatever the
    report then reads from. A database that takes no writes just now (a failover's standby) is read as it is: what
    was not written waits for the next round (`skipped_event`, if given, is logged)."""
    try:
        with primary():
            await write()
    except Exception as error:
        if not database_unreachable(error):
            raise
        if skipped_event:
            log.warning(skipped_event, error=type(error).__name__)


def wanted(sql: str) -> bool:
    """Whether this statement, run outside a transaction now, may read the replica (a `WITH` that writes is
    refused there, and then runs on the primary)."""
    return _READING_REPORT.get() and sql.lstrip()[:6].upper().startswith(("SELECT", "WITH"))


class ReportReads(ASGIMiddleware):
    """On a report controller: its handlers' reads go to the replica. Guards and the staff login run before, on
    the primary (a withdrawn role is never read from a copy that has not seen it yet)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        with reports():
            await next_app(scope, receive, send)
