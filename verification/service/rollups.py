"""The rollups every report reads, and rebuilt from the raw tables on demand (`mitrakia reports rebuild`).

Refusals and enrolments move their rollups in the transaction of the fact they count. A redemption or a void does
not: every redemption of a month moves the same few monthly cells, so doing it in the redeem's transaction would
make redemptions queue on those rows. It writes its moves to the outbox (`rollup_change`) instead, in its own
transaction, and `drain()` applies them in batches: a background task every second in each worker, and every report
before it reads, so that a figure never misses a redemption committed before it was asked. Each outbox row is
deleted in the transaction that applies it: applied exactly once, whoever drains."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import structlog

from core.database import replica
from core.database.engine import engine, is_sqlite
from core.database.statements import bulk_insert, increment, increment_many
from core.database.transactions import write_transaction
from core.offices import city_of
from verification.tables import (
    EnrolmentCityMonthly,
    EnrolmentMonthly,
    PrintCityMonthly,
    PrintMonthly,
    PrintWeekly,
    RedemptionDaily,
    RedemptionMonthly,
    RefusalDaily,
    RefusalMonthly,
    RollupChange,
)

log = structlog.get_logger()

NIL = uuid.UUID(int=0)  # "no offer" in a refusal of the card itself
AGE_BANDS = ((0, 4, "0-4"), (5, 9, "5-9"), (10, 12, "10-12"), (13, 16, "13-16"))
ACTIVATION_WINDOWS = (30, 90)


def age_band(age: int) -> str:
    for low, high, name in AGE_BANDS:
        if low <= age <= high:
            return name
    return "17+"


def month_of(day: date) -> date:
    return day.replace(day=1)


def counted_month(card: dict[str, Any]) -> date:
    """The month a card counts from in coverage: its print month, or a later export's (`Card.counted_from`)."""
    counted_from = card.get("counted_from")
    return month_of(max(card["kia_printed_on"], counted_from) if counted_from else card["kia_printed_on"])


async def holders_left(cards: Iterable[dict[str, Any]], on: date) -> None:
    """Cards whose child left the area (a full export no longer lists them): no longer holders from `on`'s month.
    Their enrolment and print stay counted where they happened."""
    monthly: Counter[tuple[date, str, int]] = Counter()
    for card in cards:
        monthly[(counted_month({**card, "counted_from": max(card.get("counted_from") or on, on)}),
                 card["kelurahan_code"], card["birth_year"])] -= 1  # fmt: skip
    rows = [
        ({"city_code": city_of(kelurahan), "print_month": month, "kelurahan": kelurahan, "birth_year": year},
         {"cards": count})
        for (month, kelurahan, year), count in monthly.items()
    ]  # fmt: skip
    await increment_many(PrintMonthly, ("city_code", "print_month", "kelurahan", "birth_year"), rows)
    await increment_many(PrintCityMonthly, ("city_code", "print_month", "birth_year"), _per_city(rows, "kelurahan"))


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def activation(enrolled_on: date, first_redeemed_on: date | None) -> tuple[int, int]:
    """(within 30 days, within 90 days) as 0/1, for one card."""
    if first_redeemed_on is None:
        return 0, 0
    days = (first_redeemed_on - enrolled_on).days
    return tuple(int(0 <= days <= window) for window in ACTIVATION_WINDOWS)  # type: ignore[return-value]


# --- redemptions --------------------------------------------------------------------------------------------


SHARDS = 8


@dataclass(frozen=True)
class Slice:
    """One dimension of the monthly redemption rollup: its name, whether it belongs to a partner, the first-of-month
    mark that counts its unique children, and the column of a redemption that gives its value."""

    name: str
    partner_scoped: bool
    mark: str
    value_of: str | None


# In the order every transaction touches them, so that two tills never wait on each other's rows in a cycle.
SLICES = (
    Slice("all", False, "first_all", None),
    Slice("kecamatan", False, "first_all", "kecamatan_code"),
    Slice("age_band", False, "first_all", "age_band"),
    Slice("partner", True, "first_partner", None),
    Slice("partner_kecamatan", True, "first_partner", "kecamatan_code"),
    Slice("partner_age_band", True, "first_partner", "age_band"),
    Slice("offer", True, "first_offer", "offer"),
    Slice("outlet", True, "first_outlet", "outlet"),
)
SLICE_BY_NAME = {s.name: s for s in SLICES}
# Led by the child's kabupaten/kota: an office reads its own children's redemptions, wherever they redeemed, and
# since a child lives in one city the unique children of a city's cells are exact, and so are their sums.
MONTHLY_KEY = ("city_code", "month", "slice", "partner", "value", "shard")


def shard_of(outlet: uuid.UUID) -> int:
    return outlet.int % SHARDS


def _slice_key(row: dict[str, Any], piece: Slice) -> dict[str, Any]:
    value = row[piece.value_of] if piece.value_of else ""
    return {
        "city_code": city_of(row["kelurahan_code"]),
        "month": month_of(row["local_date"]),
        "slice": piece.name,
        "partner": row["partner"] if piece.partner_scoped else NIL,
        "value": str(value) if value is not None else "",
        "shard": shard_of(row["outlet"]),
    }


# --- the outbox of redemption moves ---------------------------------------------------------------------------

Move = tuple[str, dict[str, Any], dict[str, int]]  # (table, key, deltas)
OUTBOX_TABLES: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "daily": (RedemptionDaily, ("day", "partner", "offer", "outlet")),
    "monthly": (RedemptionMonthly, MONTHLY_KEY),
    "enrolment": (EnrolmentMonthly, ("city_code", "month", "kelurahan", "channel")),
    "enrolment_city": (EnrolmentCityMonthly, ("city_code", "month", "channel")),
}
_DATES, _UUIDS = {"day", "month"}, {"partner", "offer", "outlet"}
DRAIN_BATCH = 5_000


async def _defer(moves: list[Move]) -> None:
    """Write `moves` to the outbox, in the caller's transaction."""
    encoded = json.dumps([[table, key, deltas] for table, key, deltas in moves], default=str)
    await bulk_insert(RollupChange, ("moves",), [(encoded,)])


def _key(names: tuple[str, ...], key: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        date.fromisoformat(key[n]) if n in _DATES else uuid.UUID(key[n]) if n in _UUIDS else key[n] for n in names
    )


async def drain(batch: int = DRAIN_BATCH, wait: bool = True) -> int:
    """Apply waiting moves, oldest first, at most `batch` outbox rows: their sums cell by cell, one upsert per
    table, and the rows deleted, all in one transaction; cells are touched in one order (no deadlock). Returns how
    many outbox rows it applied. With `wait` (a report about to read, a shutdown), rows another drain is applying
    are waited for, so that when this returns 0 every move committed before it has been applied; without (the
    background task), they are skipped (PostgreSQL: SKIP LOCKED)."""
    if not await RollupChange.exists():  # nothing waits: no write transaction (SQLite's is the database's one lock)
        return 0
    locked = "" if is_sqlite() else " FOR UPDATE" if wait else " FOR UPDATE SKIP LOCKED"
    async with write_transaction():
        rows = await RollupChange.raw(
            f"DELETE FROM rollup_change WHERE id IN (SELECT id FROM rollup_change ORDER BY id LIMIT {int(batch)}"
            f"{locked}) RETURNING moves"
        )
        if not rows:
            return 0
        sums: dict[str, dict[tuple[Any, ...], Counter[str]]] = {name: {} for name in OUTBOX_TABLES}
        for row in rows:
            for table, key, deltas in json.loads(row["moves"]):
                cell = sums[table].setdefault(_key(OUTBOX_TABLES[table][1], key), Counter())
                cell.update(deltas)
        for name, (table, names) in OUTBOX_TABLES.items():
            cells = sorted(sums[name].items())
            if cells:
                counters = sorted({counter for _, deltas in cells for counter in deltas})
                await increment_many(
                    table, names,
                    [(dict(zip(names, key, strict=True)), {c: deltas[c] for c in counters}) for key, deltas in cells],
                )  # fmt: skip
    return len(rows)


async def drain_all(wait: bool = True) -> None:
    """Apply every waiting move (`wait`: including those another drain is applying right now)."""
    while await drain(wait=wait):
        pass


async def catch_up() -> None:
    """Before a report reads: apply what waits, so that it counts every redemption committed before it was asked.
    A database that takes no writes just now (a failover's standby) is read as it is: the report may then miss the
    last second's redemptions, and says nothing wrong about the others."""
    await replica.before_report(drain_all, "reports.rollups_not_caught_up")


def redemption_moves(row: dict[str, Any], sign: int, firsts: dict[str, bool]) -> list[Move]:
    """Add (sign=+1) or take away (sign=-1) one redemption: its daily cell and its cell in every monthly slice."""
    daily = {"day": row["local_date"], "partner": row["partner"], "offer": row["offer"], "outlet": row["outlet"]}
    return [
        ("daily", daily, {"redemptions": sign, "discount_total": sign * row["discount_amount"]}),
        *(
            ("monthly", _slice_key(row, piece), {"redemptions": sign, "discount_total": sign * row["discount_amount"],
                                                 "children": sign * int(firsts.get(piece.mark, False))})
            for piece in SLICES
        ),
    ]  # fmt: skip


def first_mark_moves(row: dict[str, Any], mark: str) -> list[Move]:
    """A void handed a first-of-month mark to `row`: one more unique child in the slices that mark counts."""
    return [
        ("monthly", _slice_key(row, piece), {"redemptions": 0, "discount_total": 0, "children": 1})
        for piece in SLICES
        if piece.mark == mark
    ]


async def redemption_changes(moves: list[Move]) -> None:
    """A redemption's or a void's moves, into the outbox (in its transaction)."""
    if moves:
        await _defer(moves)


async def refusal(
    day: date, partner: uuid.UUID, offer: uuid.UUID | None, outlet: uuid.UUID, reason: str, city: str
) -> None:
    """One refusal at an outlet in `city` (the outlet's kabupaten/kota: a refused card may belong to no one)."""
    await increment(
        RefusalDaily,
        {"day": day, "partner": partner, "offer": offer or NIL, "outlet": outlet, "reason": reason},
        {"refusals": 1},
    )
    await increment(
        RefusalMonthly,
        {"city_code": city, "month": month_of(day), "partner": partner, "reason": reason},
        {"refusals": 1},
    )


def activation_moves(
    enrolled_on: date, kelurahan: str, channel: str, before: date | None, after: date | None
) -> list[Move]:
    """A card's first redemption moved (a redemption, or a void of the first one): move its activation marks."""
    old, new = activation(enrolled_on, before), activation(enrolled_on, after)
    if old == new:
        return []
    deltas = {"enrolled": 0, "activated_30": new[0] - old[0], "activated_90": new[1] - old[1]}
    city, month = city_of(kelurahan), month_of(enrolled_on)
    return [
        ("enrolment", {"city_code": city, "month": month, "kelurahan": kelurahan, "channel": channel}, deltas),
        ("enrolment_city", {"city_code": city, "month": month, "channel": channel}, deltas),
    ]


# --- enrolments ---------------------------------------------------------------------------------------------


async def cards_counted(cards: Iterable[dict[str, Any]], sign: int = 1) -> None:
    """Count enrolled cards (or take them away, sign=-1, when a re-import moves them): enrolments per month,
    kelurahan and channel (with their activation marks), prints per month and birth year, prints per week."""
    enrolled: Counter[tuple[date, str, str]] = Counter()
    activated: Counter[tuple[date, str, str, int]] = Counter()
    monthly: Counter[tuple[date, str, int]] = Counter()
    weekly: Counter[tuple[date, str]] = Counter()
    for card in cards:
        key = (month_of(card["enrolled_on"]), card["kelurahan_code"], card["channel"])
        enrolled[key] += sign
        marks = activation(card["enrolled_on"], card.get("first_redeemed_on"))
        for index, mark in enumerate(marks):
            activated[(*key, index)] += sign * mark
        monthly[(counted_month(card), card["kelurahan_code"], card["birth_year"])] += sign
        weekly[(week_of(card["kia_printed_on"]), card["kelurahan_code"])] += sign
    enrolment_rows = [
        (
            {"city_code": city_of(kelurahan), "month": month, "kelurahan": kelurahan, "channel": channel},
            {
                "enrolled": count,
                "activated_30": activated[(month, kelurahan, channel, 0)],
                "activated_90": activated[(month, kelurahan, channel, 1)],
            },
        )
        for (month, kelurahan, channel), count in enrolled.items()
    ]
    await increment_many(EnrolmentMonthly, ("city_code", "month", "kelurahan", "channel"), enrolment_rows)
    await increment_many(
        EnrolmentCityMonthly, ("city_code", "month", "channel"), _per_city(enrolment_rows, "kelurahan")
    )
    print_rows = [
        (
            {"city_code": city_of(kelurahan), "print_month": month, "kelurahan": kelurahan, "birth_year": year},
            {"cards": count},
        )
        for (month, kelurahan, year), count in monthly.items()
    ]
    await increment_many(PrintMonthly, ("city_code", "print_month", "kelurahan", "birth_year"), print_rows)
    await increment_many(
        PrintCityMonthly, ("city_code", "print_month", "birth_year"), _per_city(print_rows, "kelurahan")
    )
    await increment_many(
        PrintWeekly,
        ("city_code", "week_start", "kelurahan"),
        [
            ({"city_code": city_of(kelurahan), "week_start": week, "kelurahan": kelurahan}, {"prints": count})
            for (week, kelurahan), count in weekly.items()
        ],
    )


def _per_city(
    rows: list[tuple[dict[str, Any], dict[str, int]]], dropped: str
) -> list[tuple[dict[str, Any], dict[str, int]]]:
    """Kelurahan rows summed into their kabupaten/kota's row (the key without `dropped`)."""
    sums: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, int]]] = {}
    for key, deltas in rows:
        city_key = {name: value for name, value in key.items() if name != dropped}
        _, total = sums.setdefault(tuple(city_key.values()), (city_key, dict.fromkeys(deltas, 0)))
        for name, delta in deltas.items():
            total[name] += delta
    return list(sums.values())


# --- rebuild from the raw tables ----------------------------------------------------------------------------

# The first day the till's log still holds (none: every day is recounted; a day after the log is empty nothing).
KEPT_FROM = "SELECT COALESCE(MIN(local_date), '9999-12-31') FROM verification_attempt"
CITY = "substr({col}, 1, 5)"  # a region code's kabupaten/kota (core.offices.city_of)
_MONTH = {"sqlite": "date({col}, 'start of month')", "postgres": "date_trunc('month', {col})::date"}
_WEEK = {"sqlite": "date({col}, '-' || ((strftime('%w', {col}) + 6) % 7) || ' days')",
         "postgres": "date_trunc('week', {col})::date"}  # fmt: skip


_COUNTED_FROM = (
    "(CASE WHEN counted_from IS NOT NULL AND counted_from > kia_printed_on THEN counted_from ELSE kia_printed_on END)"
)
_COUNTED_UNTIL = f"(CASE WHEN counted_until > {_COUNTED_FROM} THEN counted_until ELSE {_COUNTED_FROM} END)"


async def rebuild() -> None:
    """Recompute every rollup from the raw tables (after a bulk load, or to repair). The outbox is emptied in the
    same transaction, on the same snapshot (PostgreSQL: repeatable read): a redemption either is in the raw tables
    this reads and its moves are dropped, or is not and its moves wait for the next drain."""
    dialect = "sqlite" if is_sqlite() else "postgres"

    def month(col: str) -> str:
        return _MONTH[dialect].format(col=col)

    def week(col: str) -> str:
        return _WEEK[dialect].format(col=col)

    true = "1" if dialect == "sqlite" else "true"

    def marks(flag: str) -> str:
        return f"SUM(CASE WHEN {flag} = {true} THEN 1 ELSE 0 END)"

    def within(days: int) -> str:
        limit = _plus("enrolled_on", days, dialect)
        return f"SUM(CASE WHEN first_redeemed_on IS NOT NULL AND first_redeemed_on <= {limit} THEN 1 ELSE 0 END)"

    # Built only from this module's constants and column names: nothing from outside reaches these statements.
    statements = [
        "DELETE FROM rollup_redemption_daily",
        "INSERT INTO rollup_redemption_daily (day, partner, offer, outlet, redemptions, discount_total) "
        "SELECT local_date, partner, offer, outlet, COUNT(*), SUM(discount_amount) "
        "FROM redemption WHERE status = 'completed' GROUP BY local_date, partner, offer, outlet",
        "DELETE FROM rollup_redemption_monthly",
        *[_monthly_slice(piece, month("local_date"), marks(piece.mark), dialect) for piece in SLICES],
        # Attempts past their retention period are deleted (admin.service.retention); the days they covered keep
        # their refusal counts: only the days from the oldest attempt kept on are recounted.
        f"DELETE FROM rollup_refusal_daily WHERE day >= ({KEPT_FROM})",
        "INSERT INTO rollup_refusal_daily (day, partner, offer, outlet, reason, refusals) "
        f"SELECT local_date, partner, COALESCE(offer, '{NIL}'), outlet, reason_code, COUNT(*) "
        "FROM verification_attempt WHERE outcome IN ('refused', 'flagged') "
        "AND partner IS NOT NULL AND outlet IS NOT NULL AND local_date IS NOT NULL "
        f"GROUP BY local_date, partner, COALESCE(offer, '{NIL}'), outlet, reason_code",
        "DELETE FROM rollup_refusal_monthly",
        "INSERT INTO rollup_refusal_monthly (city_code, month, partner, reason, refusals) "
        f"SELECT {CITY.format(col='o.kelurahan_code')}, {month('r.day')}, r.partner, r.reason, SUM(r.refusals) "
        "FROM rollup_refusal_daily r JOIN outlet o ON o.id = r.outlet GROUP BY 1, 2, r.partner, r.reason",
        "DELETE FROM rollup_enrolment_monthly",
        "INSERT INTO rollup_enrolment_monthly "
        "(city_code, month, kelurahan, channel, enrolled, activated_30, activated_90) "
        f"SELECT {CITY.format(col='kelurahan_code')}, {month('enrolled_on')}, kelurahan_code, channel, COUNT(*), "
        f"{within(30)}, {within(90)} FROM card GROUP BY 1, 2, kelurahan_code, channel",
        "DELETE FROM rollup_enrolment_city_monthly",
        "INSERT INTO rollup_enrolment_city_monthly (city_code, month, channel, enrolled, activated_30, activated_90) "
        "SELECT city_code, month, channel, SUM(enrolled), SUM(activated_30), SUM(activated_90) "
        "FROM rollup_enrolment_monthly GROUP BY city_code, month, channel",
        "DELETE FROM rollup_print_monthly",
        # A card counts from its print month or a later export's (counted_from), and a card whose child moved
        # away stops counting at the month it was marked (counted_until). A card moved within the office counts
        # where it is now: the live rollup also kept where it was before the move.
        "INSERT INTO rollup_print_monthly (city_code, print_month, kelurahan, birth_year, cards) "
        f"SELECT {CITY.format(col='kelurahan_code')}, month, kelurahan_code, birth_year, SUM(n) FROM ("
        f"SELECT kelurahan_code, birth_year, {month(_COUNTED_FROM)} AS month, 1 AS n FROM card UNION ALL "
        f"SELECT kelurahan_code, birth_year, {month(_COUNTED_UNTIL)} AS month, -1 AS n FROM card "
        "WHERE counted_until IS NOT NULL) AS counted GROUP BY 1, month, kelurahan_code, birth_year",
        "DELETE FROM rollup_print_city_monthly",
        "INSERT INTO rollup_print_city_monthly (city_code, print_month, birth_year, cards) "
        "SELECT city_code, print_month, birth_year, SUM(cards) FROM rollup_print_monthly "
        "GROUP BY city_code, print_month, birth_year",
        "DELETE FROM rollup_print_weekly",
        "INSERT INTO rollup_print_weekly (city_code, week_start, kelurahan, prints) "
        f"SELECT {CITY.format(col='kelurahan_code')}, {week('kia_printed_on')}, kelurahan_code, COUNT(*) "
        "FROM card GROUP BY 1, 2, kelurahan_code",
    ]
    if dialect == "postgres":  # the outbox and the raw tables read on one snapshot
        statements.insert(0, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    statements.insert(1 if dialect == "postgres" else 0, "DELETE FROM rollup_change")
    async with write_transaction():
        for statement in statements:
            await engine().run_ddl(statement)


def _monthly_slice(piece: Slice, month: str, children: str, dialect: str) -> str:
    """The rebuild of one monthly slice. Rebuilt rows all go to shard 0: only the sum over shards means anything."""
    nil = f"'{NIL}'" if dialect == "sqlite" else f"'{NIL}'::uuid"
    partner = "partner" if piece.partner_scoped else nil
    text = "TEXT" if dialect == "sqlite" else "text"
    value = f"CAST({piece.value_of} AS {text})" if piece.value_of else "''"
    return (
        "INSERT INTO rollup_redemption_monthly "
        "(city_code, month, slice, partner, value, shard, redemptions, discount_total, children) "
        f"SELECT {CITY.format(col='kelurahan_code')}, {month}, '{piece.name}', {partner}, {value}, 0, COUNT(*), "
        f"SUM(discount_amount), {children} FROM redemption WHERE status = 'completed' GROUP BY 1, 2, 4, 5"
    )


def _plus(column: str, days: int, dialect: str) -> str:
    return f"date({column}, '+{days} days')" if dialect == "sqlite" else f"({column} + {days})"
