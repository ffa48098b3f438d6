"""What a partner gets back from the programme, on its dashboard: families served (new and returning, by the
partner's own pseudonym of each card), the discount it gave against its redemptions, how many of the children it
served got their KIA after it joined, and how it compares with the median partner of its category in each
kabupaten/kota where it has outlets. Closed months only; every child count below the threshold is hidden."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Min, Sum

from core.offices import city_of
from core.settings import Settings
from core.tables import Region
from partners.tables import Offer, Outlet, Partner, PartnerStatus
from verification.service import rollups
from verification.service.rollups import month_of
from verification.tables import Redemption, RedemptionMonthly, RedemptionStatus

PERIOD_MONTHS = 6  # the closed months the figures cover
MIN_PEERS = 3  # partners of a category in a city, the viewer included, before their median is shown


@dataclass(frozen=True)
class MonthServed:
    month: date
    families: int | None  # None: fewer than the threshold (or its complement), hidden
    new: int | None  # their first redemption at this partner ever
    returning: int | None  # had redeemed here in an earlier month
    redemptions: int | None
    discount: int  # rupiah: the partner's own money, never hidden


@dataclass(frozen=True)
class PeerComparison:
    city_code: str
    city_name: str
    partners: int  # in the category with an active outlet in the city, this one included
    own: int | None  # this partner's children from that city in the last closed month (None: hidden)
    median: int | None  # rounded to a whole child; None: too few partners to show one, or below the threshold


@dataclass(frozen=True)
class PartnerReturns:
    since: date
    until: date
    months: list[MonthServed]
    families: int | None
    new: int | None
    returning: int | None
    redemptions: int
    discount: int
    discount_per_redemption: int | None
    joined: date | None  # the first day one of its offers was published
    after_joining: int | None  # children served in the period whose KIA was printed after that day
    after_joining_share: float | None  # of the children served in the period (None: hidden)
    category: str
    peers: list[PeerComparison]


def closed_months(today: date) -> tuple[date, date]:
    """The first and last day of the PERIOD_MONTHS calendar months that have ended before today's."""
    until = month_of(today) - timedelta(days=1)
    since = month_of(until)
    for _ in range(PERIOD_MONTHS - 1):
        since = month_of(since - timedelta(days=1))
    return since, until


def _shown(count: int, threshold: int) -> int | None:
    return count if count == 0 or count >= threshold else None


def _split(families: int, new: int, threshold: int) -> tuple[int | None, int | None, int | None]:
    """Families, new and returning, with small cells hidden; new + returning = families, so where one part is
    hidden the other is hidden too (it would give the hidden one away)."""
    shown = _shown(families, threshold)
    new_shown, returning_shown = _shown(new, threshold), _shown(families - new, threshold)
    if shown is None or new_shown is None or returning_shown is None:
        return shown, None, None
    return shown, new_shown, returning_shown


async def partner_returns(partner_id: uuid.UUID, settings: Settings) -> PartnerReturns:
    threshold = settings.small_cell_threshold
    since, until = closed_months(settings.today())
    completed = (Redemption.partner == partner_id) & (Redemption.status == RedemptionStatus.COMPLETED)
    rows = await Redemption.select(
        Redemption.holder_ref, Redemption.local_date, Redemption.discount_amount,
        Redemption.card.kia_printed_on.as_alias("kia_printed_on"),
    ).where(completed & (Redemption.local_date >= since) & (Redemption.local_date <= until))  # fmt: skip
    first_here = {
        row["holder_ref"]: _as_date(row["first"])
        for row in await Redemption.select(Redemption.holder_ref, Min(Redemption.local_date).as_alias("first"))
        .where(completed & (Redemption.local_date <= until))
        .group_by(Redemption.holder_ref)
    }
    joined = await _joined(partner_id)
    by_month: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        by_month.setdefault(month_of(row["local_date"]), []).append(row)
    months = []
    month = since
    while month <= until:
        here = by_month.get(month, [])
        holders = {row["holder_ref"] for row in here}
        new = sum(1 for ref in holders if month_of(first_here[ref]) == month)
        families, new_shown, returning = _split(len(holders), new, threshold)
        discount = sum(row["discount_amount"] for row in here)
        redemptions = len(here) if families is not None else None  # a count of fewer children's visits is theirs
        months.append(MonthServed(month, families, new_shown, returning, redemptions, discount))
        month = month_of(month + timedelta(days=32))
    holders = {row["holder_ref"] for row in rows}
    new_in_period = sum(1 for ref in holders if first_here[ref] >= since)
    families, new_shown, returning = _split(len(holders), new_in_period, threshold)
    kia_of = {row["holder_ref"]: row["kia_printed_on"] for row in rows}
    after = sum(1 for ref in holders if joined is not None and kia_of[ref] is not None and kia_of[ref] >= joined)
    after_shown = _shown(after, threshold) if families is not None else None
    before_shown = _shown(len(holders) - after, threshold)
    share = after / len(holders) if holders and after_shown is not None and before_shown is not None else None
    discount = sum(row["discount_amount"] for row in rows)
    category = await Partner.select(Partner.category).where(Partner.id == partner_id).first()
    return PartnerReturns(
        since=since,
        until=until,
        months=months,
        families=families,
        new=new_shown,
        returning=returning,
        redemptions=len(rows),
        discount=discount,
        discount_per_redemption=discount // len(rows) if rows else None,
        joined=joined,
        after_joining=after_shown if share is not None else None,
        after_joining_share=share,
        category=category["category"] if category else "",
        peers=await _peers(partner_id, category["category"] if category else "", month_of(until), threshold),
    )


def _as_date(value: date | str) -> date:
    """A MIN() over a date column: a date on PostgreSQL, its text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(value[:10])


async def _joined(partner_id: uuid.UUID) -> date | None:
    first = await (
        Offer.select(Offer.first_published_at)
        .where(Offer.partner == partner_id, Offer.first_published_at.is_not_null())
        .order_by(Offer.first_published_at)
        .first()
    )
    return first["first_published_at"].date() if first else None


async def _peers(partner_id: uuid.UUID, category: str, month: date, threshold: int) -> list[PeerComparison]:
    """For each kabupaten/kota where the partner has an active outlet: the approved partners of its category with
    an active outlet there, and the median of their children from that city in the month (exact per month in the
    rollup). A median of fewer than MIN_PEERS partners is not shown: with two, it would give the other's figure."""
    await rollups.catch_up()
    outlets = await Outlet.select(Outlet.partner, Outlet.kelurahan_code).where(
        Outlet.active.eq(True), Outlet.partner.category == category, Outlet.partner.status == PartnerStatus.APPROVED
    )
    partners_in: dict[str, set[uuid.UUID]] = {}
    for outlet in outlets:
        partners_in.setdefault(city_of(outlet["kelurahan_code"]), set()).add(outlet["partner"])
    cities = sorted(city for city, partners in partners_in.items() if partner_id in partners)
    if not cities:
        return []
    table = RedemptionMonthly
    counts = await table.select(table.partner, table.city_code, Sum(table.children).as_alias("children")).where(
        (table.slice == "partner") & (table.month == month) & table.city_code.is_in(cities)
    ).group_by(table.partner, table.city_code)  # fmt: skip
    children = {(row["partner"], row["city_code"]): int(row["children"] or 0) for row in counts}
    regions = await Region.select(Region.code, Region.name).where(Region.code.is_in(cities))
    names = {region["code"]: region["name"] for region in regions}
    found = []
    for city in cities:
        group = partners_in[city]
        values = [children.get((partner, city), 0) for partner in group]
        median = round(statistics.median(values)) if len(group) >= MIN_PEERS else None
        found.append(PeerComparison(
            city_code=city,
            city_name=names.get(city, city),
            partners=len(group),
            own=_shown(children.get((partner_id, city), 0), threshold),
            median=median if median is not None and (median == 0 or median >= threshold) else None,
        ))  # fmt: skip
    return found
