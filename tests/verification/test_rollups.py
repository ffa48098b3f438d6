"""The rollups kept current redemption by redemption are exactly what recounting the raw tables gives."""

from __future__ import annotations

from core.auth import CurrentUser
from core.stores import Stores
from core.tables import Role
from tests.verification.cards_helpers import enroll_card
from verification.service import redemptions, rollups
from verification.tables import (
    EnrolmentMonthly,
    PrintMonthly,
    PrintWeekly,
    Redemption,
    RedemptionDaily,
    RefusalDaily,
)

TABLES = (RedemptionDaily, RefusalDaily, EnrolmentMonthly, PrintMonthly, PrintWeekly)


async def snapshot() -> dict[str, list[tuple]]:
    result = {}
    for table in TABLES:
        rows = await table.select()
        counters = [c for c in rows[0] if c != "id"] if rows else []
        keep = []
        for row in rows:
            values = tuple(str(row[c]) for c in counters)
            # A cell whose counters are all back to zero is the same as no cell.
            numbers = [row[c] for c in counters if isinstance(row[c], int)]
            if any(numbers):
                keep.append(values)
        result[table._meta.tablename] = sorted(keep)
    return result


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
    await redemptions.void(__import__("uuid").UUID(first["redemption_id"]), None, cashier, Stores(None))
    await redemptions.void(__import__("uuid").UUID(older_pool["redemption_id"]), None, cashier, Stores(None))

    kept = await snapshot()
    await rollups.rebuild()
    rebuilt = await snapshot()
    assert kept == rebuilt

    cells = await RedemptionDaily.select()
    assert sum(c["redemptions"] for c in cells) == await Redemption.count().where(Redemption.status == "completed")
    assert sum(c["discount_total"] for c in cells) == 10_000
    assert sum(c["children_all"] for c in cells) == 2  # two children redeemed this month, voids notwithstanding
    assert sum(c["children_offer"] for c in cells) == 2
    refusals = {r["reason"]: r["refusals"] for r in await RefusalDaily.select()}
    assert refusals == {"age_below_minimum": 1, "qr_unreadable": 1}
    enrolments = await EnrolmentMonthly.select()
    assert sum(e["enrolled"] for e in enrolments) == 2
    assert sum(e["activated_30"] for e in enrolments) == 2  # both redeemed something, the same day
