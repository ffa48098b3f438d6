"""A partner's and Dukcapil's redemption figures, from the rollups this layer keeps: redemptions, unique children
per month, discount, refusals by reason; net of voids; small cells suppressed where the viewer asks (partners:
always)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.tables import Region
from partners.tables import Offer, Outlet, Partner
from verification.service.rollups import AGE_BANDS, month_of
from verification.tables import RedemptionDaily, RefusalDaily

SMALL = "<{threshold}"


DIMENSIONS: dict[str, str | None] = {
    "partner": "partner",
    "offer": "offer",
    "outlet": "outlet",
    "kecamatan": "kecamatan",
    "age_band": "age_band",
    "month": None,
}
CHILDREN_COUNTER = {"partner": "children_partner", "offer": "children_offer", "outlet": "children_outlet"}


@dataclass(frozen=True)
class RedemptionFilter:
    date_from: date
    date_until: date
    partner: uuid.UUID | None = None
    offer: uuid.UUID | None = None
    outlet: uuid.UUID | None = None


def _where(table: Any, wanted: RedemptionFilter) -> Any:
    condition = (table.day >= wanted.date_from) & (table.day <= wanted.date_until)
    for name in ("partner", "offer", "outlet"):
        value = getattr(wanted, name)
        if value is not None:
            condition &= getattr(table, name) == value
    return condition


async def redemptions_by(dimension: str, wanted: RedemptionFilter, threshold: int | None) -> list[dict[str, Any]]:
    """Per month and `dimension`: redemptions, unique children (exact per month), discount in rupiah; net of voids.

    Rows for fewer than `threshold` children show `<threshold` instead of their counts (None: no suppression)."""
    rows = await RedemptionDaily.select().where(_where(RedemptionDaily, wanted))
    counter = CHILDREN_COUNTER.get(dimension, "children_all")
    cells: dict[tuple[date, Any], dict[str, int]] = {}
    column = DIMENSIONS[dimension]
    for row in rows:
        key = (month_of(row["day"]), row[column] if column else None)
        cell = cells.setdefault(key, {"redemptions": 0, "children": 0, "discount": 0})
        cell["redemptions"] += row["redemptions"]
        cell["children"] += row[counter]
        cell["discount"] += row["discount_total"]
    labels = await _labels(dimension, {key[1] for key in cells})
    result = []
    for (month, value), cell in sorted(cells.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        if cell["redemptions"] <= 0:
            continue
        small = threshold is not None and cell["children"] < threshold
        line: dict[str, Any] = {"month": month.isoformat()}
        if dimension != "month":
            line[dimension] = str(value) if value is not None else None
            line["label"] = labels.get(value, str(value) if value is not None else "")
        line["redemptions"] = SMALL.format(threshold=threshold) if small else cell["redemptions"]
        line["unique_children"] = SMALL.format(threshold=threshold) if small else cell["children"]
        line["discount_rupiah"] = None if small else cell["discount"]
        result.append(line)
    return result


async def _labels(dimension: str, values: set[Any]) -> dict[Any, str]:
    ids = [v for v in values if isinstance(v, uuid.UUID)]
    if dimension == "partner" and ids:
        return {r["id"]: r["name"] for r in await Partner.select(Partner.id, Partner.name).where(Partner.id.is_in(ids))}
    if dimension == "offer" and ids:
        return {r["id"]: r["title"] for r in await Offer.select(Offer.id, Offer.title).where(Offer.id.is_in(ids))}
    if dimension == "outlet" and ids:
        return {r["id"]: r["name"] for r in await Outlet.select(Outlet.id, Outlet.name).where(Outlet.id.is_in(ids))}
    if dimension == "kecamatan":
        names = {r["code"]: r["name"] for r in await Region.select(Region.code, Region.name).where(
            Region.code.is_in([v for v in values if v]))} if any(values) else {}  # fmt: skip
        return {v: names.get(v, v) for v in values if v}
    if dimension == "age_band":
        return {name: f"{low}–{high} tahun" for low, high, name in AGE_BANDS}
    return {}


async def refusals_by_reason(wanted: RedemptionFilter) -> list[dict[str, Any]]:
    rows = await RefusalDaily.select().where(_where(RefusalDaily, wanted))
    totals: dict[tuple[date, str], int] = {}
    for row in rows:
        key = (month_of(row["day"]), row["reason"])
        totals[key] = totals.get(key, 0) + row["refusals"]
    return [
        {"month": month.isoformat(), "reason_code": reason, "refusals": count}
        for (month, reason), count in sorted(totals.items())
        if count > 0
    ]


async def redemptions_per_day(wanted: RedemptionFilter) -> list[dict[str, Any]]:
    rows = await RedemptionDaily.select().where(_where(RedemptionDaily, wanted))
    days: dict[date, dict[str, int]] = {}
    for row in rows:
        day = days.setdefault(row["day"], {"redemptions": 0, "discount": 0})
        day["redemptions"] += row["redemptions"]
        day["discount"] += row["discount_total"]
    return [
        {"day": d.isoformat(), "redemptions": v["redemptions"], "discount_rupiah": v["discount"]}
        for d, v in sorted(days.items())
    ]
