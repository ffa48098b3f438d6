"""Which statements read from the streaming replica (MITRAKIA_DATABASE_REPLICA_URL): a report's, and nothing else.

The replica is Piccolo's own `extra_nodes["replica"]` on the PostgreSQL engine. A report does not pass `node=` to
each of its dozens of queries (many are helpers the till shares); it runs inside `reports()` instead, and every
SELECT it makes outside a transaction goes to the replica. Everything else reads the primary: a limit, a budget, a
key or a card's status is never read from a copy that may be behind (docs/scaling.md). A statement the replica
refuses as a write, or a replica that cannot be reached, runs on the primary: a report may be slower, never wrong.

A report first writes what waits (`before_report`: the rollup outbox, buffered refusals) on the primary; its reads
then go to the replica only once the replica has replayed those writes (`ReconnectingPostgresEngine` compares the
primary's WAL position with the replica's, waiting up to REPLICA_WAIT_SECONDS): otherwise it would miss a
redemption committed before it was asked. A replica further behind than that: the report reads the primary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import structlog
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.database.outages import database_unreachable

log = structlog.get_logger()

REPLICA = "replica"  # the name of the node in the engine's extra_nodes

# How long a report waits for the replica to replay what the report itself just wrote, before reading the primary.
REPLICA_WAIT_SECONDS = 1.0


@dataclass
class OneReport:
    """One report's reads: whether the replica has replayed the primary as of the report's last write (None: not
    asked since; the next replica read asks first)."""

    replica_current: bool | None = None


_READING_REPORT: ContextVar[OneReport | None] = ContextVar("reading_report", default=None)


@contextmanager
def _reading_report(value: OneReport | None) -> Iterator[None]:
    token = _READING_REPORT.set(value)
    try:
        yield
    finally:
        _READING_REPORT.reset(token)


def reports() -> AbstractContextManager[None]:
    """A report's reads: its SELECTs outside a transaction may go to the replica."""
    return _reading_report(OneReport())


def primary() -> AbstractContextManager[None]:
    """Inside a report, work that must see the primary (applying the rollup outbox before the report reads)."""
    return _reading_report(None)


def current_report() -> OneReport | None:
    """The report being read now, if any."""
    return _READING_REPORT.get()


async def before_report(write: Callable[[], Awaitable[object]], skipped_event: str | None = None) -> None:
    """What a report waits for before it reads (rows buffered or queued, written now), on the primary whatever the
    report then reads from. A database that takes no writes just now (a failover's standby) is read as it is: what
    was not written waits for the next round (`skipped_event`, if given, is logged). The report's next read from
    the replica first checks that the replica has replayed these writes."""
    report = _READING_REPORT.get()
    if report is not None:
        report.replica_current = None
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
    return _READING_REPORT.get() is not None and sql.lstrip()[:6].upper().startswith(("SELECT", "WITH"))


class ReportReads(ASGIMiddleware):
    """On a report controller: its handlers' reads go to the replica. Guards and the staff login run before, on
    the primary (a withdrawn role is never read from a copy that has not seen it yet)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        with reports():
            await next_app(scope, receive, send)
