"""The attempt log: one row per outcome of every scan, redeem and void (eligible, refused and why, flagged, redeemed,
voided), and each refusal counted in its rollup."""

from __future__ import annotations

import uuid

from core.database.engine import is_sqlite
from core.database.statements import bulk_insert
from core.database.transactions import write_transaction
from core.localtime import utc_now
from verification.service import rollups
from verification.service.till import Till
from verification.tables import Attempt

COLUMNS = ("occurred_at", "local_date", "kind", "outcome", "reason_code", "partner", "outlet", "offer", "card",
           "staff_user", "api_key", "device_id", "redemption", "manual_code")  # fmt: skip


async def record_attempts(
    till: Till,
    kind: str,
    outcomes: list[tuple[str, str | None, uuid.UUID | None]],
    card_id: uuid.UUID | None = None,
    redemption_id: uuid.UUID | None = None,
) -> None:
    """Append (outcome, reason code, offer) rows for one scan, redeem or void; count refusals in their rollup."""
    now = utc_now()
    day = till.local_date(now)
    rows = [
        (now, day, kind, outcome, reason, till.partner_id, till.outlet_id, offer, card_id, till.staff_user_id,
         till.api_key_id, till.device_id, redemption_id, till.manual_code)
        for outcome, reason, offer in outcomes
    ]  # fmt: skip
    refusals = [(reason, offer) for outcome, reason, offer in outcomes if outcome in {"refused", "flagged"} and reason]
    if not refusals and not is_sqlite():  # the rows alone: one atomic statement, no BEGIN and COMMIT round trips
        await bulk_insert(Attempt, COLUMNS, rows)
        return
    async with write_transaction():
        await bulk_insert(Attempt, COLUMNS, rows)
        for reason, offer in refusals:
            await rollups.refusal(day, till.partner_id, offer, till.outlet_id, reason, till.city_code)
