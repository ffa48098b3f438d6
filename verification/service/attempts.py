"""The attempt log: one row per outcome of every scan, redeem and void (eligible, refused and why, flagged, redeemed,
voided), and each refusal counted in its rollup.

While the app serves (verification.service.background), a scan's rows are not written in its request: they wait in
this worker's buffer, written in one transaction about once a second, when the buffer holds BATCH rows, and on a
clean shutdown. A worker that crashes loses at most that second of attempts (the attempt log is a review aid; the
redemptions themselves are written in their own transaction). The buffer is bounded: past MAX_BUFFERED rows a
request writes it itself. A redeem's and a void's rows are written in their transaction, with the redemption they
name (`at_once=True`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

from core.database import replica
from core.database.engine import is_sqlite
from core.database.statements import bulk_insert
from core.database.transactions import write_transaction
from core.localtime import utc_now
from verification.service import rollups
from verification.service.till import Till
from verification.tables import Attempt

COLUMNS = ("occurred_at", "local_date", "kind", "outcome", "reason_code", "partner", "outlet", "offer", "card",
           "staff_user", "api_key", "device_id", "redemption", "manual_code")  # fmt: skip


BATCH, MAX_BUFFERED = 500, 20_000
Row = tuple[Any, ...]
Refusal = tuple[date, uuid.UUID, uuid.UUID | None, uuid.UUID, str, str]  # day, partner, offer, outlet, reason, city


class _Buffer:
    def __init__(self) -> None:
        self.active = False
        self.rows: list[Row] = []
        self.refusals: list[Refusal] = []
        self.flushing: asyncio.Task[None] | None = None  # a flush a full batch started (kept: the loop holds weakly)


_BUFFER = _Buffer()


def start_buffering() -> None:
    _BUFFER.active = True


async def stop_buffering() -> None:
    _BUFFER.active = False
    await flush()


async def flush() -> None:
    """Write what this worker has buffered (a reader of the attempt log calls it first, to see its own attempts)."""
    rows, refusals = _BUFFER.rows, _BUFFER.refusals
    if not rows:
        return
    _BUFFER.rows, _BUFFER.refusals = [], []
    try:
        await _write(rows, refusals)
    except Exception:  # the database refused (down, read-only): keep them for the next flush, within the bound
        _BUFFER.rows[:0], _BUFFER.refusals[:0] = rows[-MAX_BUFFERED:], refusals[-MAX_BUFFERED:]
        raise


async def catch_up() -> None:
    """Before the attempt log is read: this worker's buffered rows written first. A database that takes no writes
    just now is read as it is (the rows stay buffered for the next flush)."""
    await replica.before_report(flush)


async def _flush_soon() -> None:
    try:
        await flush()
    finally:
        _BUFFER.flushing = None


async def _write(rows: list[Row], refusals: list[Refusal]) -> None:
    if not refusals and not is_sqlite():  # the rows alone: one atomic statement, no BEGIN and COMMIT round trips
        await bulk_insert(Attempt, COLUMNS, rows)
        return
    async with write_transaction():
        await bulk_insert(Attempt, COLUMNS, rows)
        for refusal in refusals:
            await rollups.refusal(*refusal)


async def record_attempts(
    till: Till,
    kind: str,
    outcomes: list[tuple[str, str | None, uuid.UUID | None]],
    card_id: uuid.UUID | None = None,
    redemption_id: uuid.UUID | None = None,
    at_once: bool = False,
) -> None:
    """Append (outcome, reason code, offer) rows for one scan, redeem or void; count refusals in their rollup.
    Buffered while the app serves, unless `at_once` (in the caller's transaction, when there is one)."""
    now = utc_now()
    day = till.local_date(now)
    rows = [
        (now, day, kind, outcome, reason, till.partner_id, till.outlet_id, offer, card_id, till.staff_user_id,
         till.api_key_id, till.device_id, redemption_id, till.manual_code)
        for outcome, reason, offer in outcomes
    ]  # fmt: skip
    refusals: list[Refusal] = [
        (day, till.partner_id, offer, till.outlet_id, reason, till.city_code)
        for outcome, reason, offer in outcomes
        if outcome in {"refused", "flagged"} and reason
    ]
    if at_once or not _BUFFER.active:
        await _write(rows, refusals)
        return
    _BUFFER.rows += rows
    _BUFFER.refusals += refusals
    if len(_BUFFER.rows) >= MAX_BUFFERED:  # the flush task fell behind: this request writes the buffer itself
        await flush()
    elif len(_BUFFER.rows) >= BATCH and not _BUFFER.flushing:
        _BUFFER.flushing = asyncio.get_running_loop().create_task(_flush_soon())
