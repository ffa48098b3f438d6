"""The rollups kept current redemption by redemption are exactly what recounting the raw tables gives."""

from __future__ import annotations

from core.auth import CurrentUser
from core.stores import Stores
from core.tables import Role
from tests.verification.cards_helpers import enroll_card
from verification.service import attempts, rollups, void
from verification.tables import (
    EnrolmentCityMonthly,
    EnrolmentMonthly,
    PrintCityMonthly,
    PrintMonthly,
    PrintWeekly,
    Redemption,
    RedemptionDaily,
    RedemptionMonthly,
    RefusalDaily,
    RefusalMonthly,
)

TABLES = (RedemptionDaily, RedemptionMonthly, RefusalDaily, RefusalMonthly, EnrolmentMonthly, PrintMonthly, PrintWeekly,
          PrintCityMonthly, EnrolmentCityMonthly)  # fmt: skip
COUNTERS = {"redemptions", "discount_total", "children", "refusals", "enrolled", "activated_30", "activated_90",
            "cards", "prints"}  # fmt: skip


async def snapshot() -> dict[str, list[tuple]]:
    """Every rollup as {key: counters}, summed over shards (where a row lives is not part of what it says), as a
    report reads them: after this worker's buffered refusals are written and the outbox of redemption moves applied."""
    await attempts.flush()
    await rollups.drain_all()
    result = {}
    for table in TABLES:
        cells: dict[tuple, list[int]] = {}
        for row in await table.select():
            key = tuple(str(row[c]) for c in row if c not in COUNTERS | {"id", "shard"})
            numbers = [row[c] for c in row if c in COUNTERS]
            cell = cells.setdefault(key, [0] * len(numbers))
            cells[key] = [a + b for a, b in zip(cell, numbers, strict=True)]
        # A cell whose counters are all back to zero is the same as no cell.
        result[table._meta.tablename] = sorted((key, tuple(n)) for key, n in cells.items() if any(n))
    return result


async def children_in(slice_name: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    await rollups.drain_all()
    for row in await RedemptionMonthly.select().where(RedemptionMonthly.slice == slice_name):
        totals[row["value"]] = totals.get(row["value"], 0) + row["children"]
    return totals


async def test_incremental_rollups_equal_a_rebuild_from_raw_tables(till):
    books = await till.offer("books", limits=[], benefit={"type": "fixed_amount", "amount": 5_000})
    pool = await till.offer("pool", limits=[], age_min=10, benefit={"type": "free_entry", "value": 15_000})
    young = await enroll_card(till.settings, age_years=6)
    older = await enroll_card(till.settings, age_years=12)
    young_qr, older_qr = await till.qr(young), await till.qr(older)

    first = (await till.redeem(young_qr, books["id"], purchase=20_000)).json()
    await till.redeem(young_qr, books["id"], purchase=30_000)
    await till.redeem(older_qr, books["id"], purchase=40_000)
    older_pool = (await till.redeem(older_qr, pool["id"], purchase=0)).json()
    await till.redeem(young_qr, pool["id"], purchase=0)  # refused: too young
    await till.scan("not a card")  # refused at scan

    me = (await till.client.get("/api/v1/auth/me", headers=till.world.cashier)).json()
    cashier = CurrentUser(id=__import__("uuid").UUID(me["id"]), username=me["username"], role=Role.CASHIER,
                          display_name="Kasir")  # fmt: skip
    await void.void(__import__("uuid").UUID(first["redemption_id"]), None, cashier, Stores(None))
    await void.void(__import__("uuid").UUID(older_pool["redemption_id"]), None, cashier, Stores(None))

    kept = await snapshot()
    await rollups.rebuild()
    rebuilt = await snapshot()
    assert kept == rebuilt

    cells = await RedemptionDaily.select()
    assert sum(c["redemptions"] for c in cells) == await Redemption.count().where(Redemption.status == "completed")
    assert sum(c["discount_total"] for c in cells) == 10_000
    # Two children redeemed this month (the young one twice), voids notwithstanding: one of each age band, both at
    # the books offer, none left at the pool (its only redemption was voided).
    assert await children_in("all") == {"": 2}
    assert await children_in("age_band") == {"5-9": 1, "10-12": 1}
    offers = await children_in("offer")
    assert (offers[books["id"]], offers.get(pool["id"], 0)) == (2, 0)
    refusals = {r["reason"]: r["refusals"] for r in await RefusalDaily.select()}
    assert refusals == {"age_below_minimum": 1, "qr_unreadable": 1}
    enrolments = await EnrolmentMonthly.select()
    assert sum(e["enrolled"] for e in enrolments) == 2
    assert sum(e["activated_30"] for e in enrolments) == 2  # both redeemed something, the same day
