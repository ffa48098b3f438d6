"""A database that answers but cannot be written (a read-only SQLite file; a PostgreSQL standby or read-only
default): writes answer 503 `database_unavailable` with Retry-After, nothing changes, and /ready says `read_only`
so the load balancer takes the node out. Once the database takes writes again, the till's retry succeeds."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from piccolo.engine.sqlite import SQLiteEngine

from core.database.engine import engine
from tests.conftest import TEST_DATABASE_URL
from verification.service import attempts as attempt_log
from verification.tables import Attempt, Redemption

PROBLEM = "application/problem+json"


@asynccontextmanager
async def read_only_database() -> AsyncIterator[None]:
    """This test's database, read-only to every connection opened inside the block, restored after it."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        async with _read_only_file(Path(db.path)):
            await db.close_shared()  # type: ignore[attr-defined] - it was opened writable: reopen it read-only
            try:
                yield
            finally:
                await db.close_shared()  # type: ignore[attr-defined]
        return
    # Every new session of this database only (others on the server are untouched); pooled ones are replaced.
    admin = await asyncpg.connect(TEST_DATABASE_URL)
    name = await admin.fetchval("SELECT current_database()")
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        await db.pool.expire_connections()
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        await db.pool.expire_connections()
        await admin.close()


@asynccontextmanager
async def _read_only_file(path: Path) -> AsyncIterator[None]:
    """Mode 0444; as root, whom mode bits do not stop, also the immutable attribute (skipped where it cannot be
    set)."""
    root = os.geteuid() == 0
    path.chmod(0o444)
    try:
        if root and not await _chattr("+i", path):
            pytest.skip("running as root, and the immutable attribute cannot be set here")
        yield
    finally:
        if root:
            await _chattr("-i", path)
        path.chmod(0o644)


async def _chattr(flag: str, path: Path) -> bool:
    program = shutil.which("chattr")
    if program is None:
        return False
    process = await asyncio.create_subprocess_exec(program, flag, str(path), stderr=asyncio.subprocess.DEVNULL)
    return await process.wait() == 0


async def test_writes_to_a_read_only_database_answer_503_and_ready_says_read_only(till):
    client = till.client
    offer = await till.offer()
    qr = await till.card()
    assert (await client.get("/ready")).json()["checks"]["database"] == "ok"
    await attempt_log.flush()
    redemptions, attempts = await Redemption.count(), await Attempt.count()

    async with read_only_database():
        for path in ("/ready", "/ready?degraded_ok=true"):
            ready = await client.get(path)
            assert (ready.status_code, ready.headers["content-type"]) == (503, PROBLEM), ready.text
            assert ready.json()["code"] == "not_ready"
            assert ready.json()["checks"]["database"] == "read_only"
            assert "database" in ready.json()["detail"]
        redeemed = await till.redeem(qr, offer["id"], key="till-1-receipt-1")
        english = await till.redeem(qr, offer["id"], **{"Accept-Language": "en"})
        for response in (redeemed, english):
            assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM), response.text
            assert response.json()["code"] == "database_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        assert english.json()["title"] == "Database unavailable"
        # A scan only reads: the cashier still sees what the card gets. Its attempt row waits in the worker's buffer
        # (verification.service.attempts), which the database refuses for now.
        scanned = await till.scan(qr)
        assert scanned.status_code == 200, scanned.text
        assert [offer["eligible"] for offer in scanned.json()["offers"]] == [True]
        assert (await client.get("/health")).status_code == 200
        # Reading the figures needs no write: the partner's attempt review still answers (its buffer and the
        # rollups' outbox wait for the database to take writes again).
        review = await client.get(till.world.url("/reports/attempts/summary"), headers=till.world.manager)
        assert review.status_code == 200, review.text

    await attempt_log.flush()  # the database takes writes again: the scan's row is written, nothing else
    assert (await Redemption.count(), await Attempt.count()) == (redemptions, attempts + 1)
    assert (await client.get("/ready")).status_code == 200
    retried = await till.redeem(qr, offer["id"], key="till-1-receipt-1")
    assert retried.status_code == 201, retried.text
