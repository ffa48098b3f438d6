"""What each serving worker does beside its requests: apply the rollup outbox (rollups.drain) and write the buffered
attempt log (attempts.flush), about once a second, and both once more on a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from core.service import stamped
from core.settings import Settings
from verification.service import attempts, rollups

log = structlog.get_logger()

INTERVAL_SECONDS = 1.0  # a redemption reaches the dashboards' rollups within about this (reports drain first anyway)


async def _every_second() -> None:
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        try:
            await attempts.flush()
            await rollups.drain_all(wait=False)  # what another worker is applying is its to finish
        except Exception:  # a database hiccup: the rows wait for the next round, nothing is lost
            log.exception("verification.background_failed")


@contextlib.asynccontextmanager
async def till_background(settings: Settings) -> AsyncIterator[None]:
    """For the app's lifetime: attempts are buffered, the outbox drained; on the way out, everything written. Sets
    how often this worker checks the till cache stamp (core.service.stamped)."""
    stamped.configure(settings.till_cache_check_seconds)
    attempts.start_buffering()
    task = asyncio.create_task(_every_second())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await attempts.stop_buffering()  # writes what is buffered, then writes each attempt at once again
            await rollups.drain_all()
        except Exception:  # the database went first: the outbox keeps the moves for the next start
            log.exception("verification.background_final_flush_failed")
