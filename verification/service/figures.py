"""A partner's and Dukcapil's redemption figures, from the rollups this layer keeps: redemptions, unique children
per month, discount, refusals by reason; net of voids; small cells suppressed where the viewer asks (partners:
always)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Sum

from core.auth import CurrentUser
from core.offices import narrowed
from core.settings import Settings
from core.tables import DUKCAPIL_ROLES, Region
from partners.tables import Offer, Outlet, Partner
from verification.service import attempts, rollups
from verification.service.rollups import AGE_BANDS, SLICE_BY_NAME, month_of
from verification.tables import RedemptionDaily, RedemptionMonthly, RefusalDaily, RefusalMonthly

SMALL = "<{threshold}"


def small_cell_threshold(viewer: CurrentUser, settings: Settings, exact: bool = False) -> int | None:
    """Below how many children a cell shows `<n` for this viewer (None: exact figures). Decided here, once: a
    partner never sees small cells, whatever it asks; Dukcapil, the controller of this data, sees them suppressed
    unless it asks for exact figures (its dashboard's charts do, its downloads and API answers by default do not)."""
    if viewer.role in DUKCAPIL_ROLES and exact:
        return None
    return settings.small_cell_threshold


# A report's dimension, and the monthly slice that answers it for the programme or for one partner.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "month": ("all", "partner"),
    "partner": ("partner", "partner"),
    "offer": ("offer", "offer"),
    "outlet": ("outlet", "outlet"),
    "kecamatan": ("kecamatan", "partner_kecamatan"),
    "age_band": ("age_band", "partner_age_band"),
    "partner_age_band": ("partner_age_band", "partner_age_band"),
    "partner_kecamatan": ("partner_kecamatan", "partner_kecamatan"),
    "kota": ("all", "partner"),  # per kabupaten/kota of the children: the tenancy key of every monthly row
}


@dataclass(frozen=True)
class RedemptionFilter:
    """Dates, of which redemption figures take whole calendar months (unique children are counted per month),
    optionally one partner, and the region whose children's redemptions count (a Dukcapil account's reach: its
    kabupaten/kota or province; None: everywhere)."""

    date_from: date
    date_until: date
    partner: uuid.UUID | None = None
    scope: str | None = None


async def redemptions_by(dimension: str, wanted: RedemptionFilter, threshold: int | None) -> list[dict[str, Any]]:
    """Per month and `dimension`: redemptions, unique children (exact per month), discount in rupiah; net of voids.

    Rows for fewer than `threshold` children show `<threshold` instead of their counts (None: no suppression)."""
    await rollups.catch_up()  # every redemption committed before this read counts in it
    slice_name = DIMENSIONS[dimension][0 if wanted.partner is None else 1]
    piece = SLICE_BY_NAME[slice_name]
    table = RedemptionMonthly
    condition = (
        (table.slice == slice_name)
        & (table.month >= month_of(wanted.date_from))
        & (table.month <= month_of(wanted.date_until))
    )
    if wanted.partner is not None:
        # A partner's months are closed months: the month still running changes with each redemption.
        condition &= (table.partner == wanted.partner) & (table.month < month_of(wanted.date_until + timedelta(days=1)))
    value = table.city_code if dimension == "kota" else table.value
    rows = (
        await narrowed(
            table.select(
                table.month,
                table.partner,
                value.as_alias("value"),
                Sum(table.redemptions).as_alias("redemptions"),
                Sum(table.children).as_alias("children"),
                Sum(table.discount_total).as_alias("discount"),
            ),
            table.city_code,
            wanted.scope,
        )
        .where(condition)
        .group_by(table.month, table.partner, value)
    )
    # Partner columns only where rows of several partners can appear (never in a partner's own view).
    shows_partner = piece.partner_scoped and wanted.partner is None and dimension not in {"month", "partner", "kota"}
    shows_value = (piece.value_of is not None or dimension == "kota") and dimension not in {"month", "partner"}
    value_name = dimension.removeprefix("partner_")
    named = shows_partner or dimension == "partner"
    partner_names = await _labels("partner", {row["partner"] for row in rows}) if named else {}
    labels = await _labels(value_name, {_typed(value_name, row["value"]) for row in rows}) if shows_value else {}
    result = []
    for row in sorted(rows, key=lambda r: (r["month"], partner_names.get(r["partner"], ""), _order(r["value"]))):
        redemptions, children = int(row["redemptions"] or 0), int(row["children"] or 0)
        if redemptions <= 0:
            continue
        small = threshold is not None and children < threshold
        line: dict[str, Any] = {"month": _month_text(row["month"])}
        if shows_partner:
            line["partner"] = str(row["partner"])
            line["partner_name"] = partner_names.get(row["partner"], "")
        if shows_value:
            value = _typed(value_name, row["value"])
            line[value_name] = row["value"]
            line["label"] = labels.get(value, row["value"])
        elif dimension == "partner":
            line["label"] = partner_names.get(row["partner"], "")
        line["redemptions"], line["unique_children"], line["discount_rupiah"] = (
            redemptions, children, int(row["discount"] or 0)
        )  # fmt: skip
        line["_small"] = small
        result.append(line)
    if threshold is not None and dimension not in {"month", "partner", "kota"}:
        _suppress_complements(result, "unique_children")
    return [_shown(line, threshold) for line in result]


def _suppress_complements(lines: list[dict[str, Any]], size: str) -> None:
    """Secondary suppression: a month's cells add up to its total, which is shown elsewhere (the month's row, the
    dashboard's sum), so one hidden cell among shown ones could be computed by subtraction. Where a month has
    exactly one hidden cell, its smallest shown cell is hidden too."""
    months: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        months.setdefault(line.get("month") or line["day"][:7], []).append(line)
    for cells in months.values():
        hidden = [line for line in cells if line["_small"]]
        shown = [line for line in cells if not line["_small"]]
        if len(hidden) == 1 and shown:
            min(shown, key=lambda line: line[size])["_small"] = True


def _shown(line: dict[str, Any], threshold: int | None) -> dict[str, Any]:
    small = line.pop("_small")
    if small:
        for key in ("redemptions", "unique_children"):
            if key in line:
                line[key] = SMALL.format(threshold=threshold)
        line["discount_rupiah"] = None
    return line


BAND_ORDER = {name: index for index, (_, _, name) in enumerate(AGE_BANDS)}


def _order(value: str) -> tuple[int, str]:
    """Age bands youngest first; everything else by its text."""
    return (BAND_ORDER.get(value, len(BAND_ORDER)), value)


def _typed(dimension: str, value: str) -> Any:
    return uuid.UUID(value) if dimension in {"offer", "outlet"} and value else value


def _month_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


async def _labels(dimension: str, values: set[Any]) -> dict[Any, str]:
    ids = [v for v in values if isinstance(v, uuid.UUID)]
    if dimension == "partner" and ids:
        return {r["id"]: r["name"] for r in await Partner.select(Partner.id, Partner.name).where(Partner.id.is_in(ids))}
    if dimension == "offer" and ids:
        return {r["id"]: r["title"] for r in await Offer.select(Offer.id, Offer.title).where(Offer.id.is_in(ids))}
    if dimension == "outlet" and ids:
        return {r["id"]: r["name"] for r in await Outlet.select(Outlet.id, Outlet.name).where(Outlet.id.is_in(ids))}
    if dimension in {"kecamatan", "kota"}:
        names = {r["code"]: r["name"] for r in await Region.select(Region.code, Region.name).where(
            Region.code.is_in([v for v in values if v]))} if any(values) else {}  # fmt: skip
        return {v: names.get(v, v) for v in values if v}
    if dimension == "age_band":
        return {name: f"{low}–{high} tahun" for low, high, name in AGE_BANDS}
    return {}


async def refusals_by_reason(wanted: RedemptionFilter, by_outlet: bool = False) -> list[dict[str, Any]]:
    """Refusals per month and reason (and outlet, for one partner's view)."""
    await attempts.catch_up()  # this worker's buffered refusals count in it (other workers' within a second)
    totals: dict[tuple[str, str, str], int] = {}
    if wanted.partner is None:
        rows = await narrowed(RefusalMonthly.select(
            RefusalMonthly.month, RefusalMonthly.reason, Sum(RefusalMonthly.refusals).as_alias("refusals")
        ), RefusalMonthly.city_code, wanted.scope).where(
            (RefusalMonthly.month >= month_of(wanted.date_from)) & (RefusalMonthly.month <= wanted.date_until)
        ).group_by(RefusalMonthly.month, RefusalMonthly.reason)  # fmt: skip
        for row in rows:
            totals[(_month_text(row["month"]), row["reason"], "")] = int(row["refusals"] or 0)
    else:
        daily = RefusalDaily
        rows = await daily.select(
            daily.day, daily.reason, daily.outlet, Sum(daily.refusals).as_alias("refusals")
        ).where(
            (daily.partner == wanted.partner) & (daily.day >= wanted.date_from) & (daily.day <= wanted.date_until)
        ).group_by(daily.day, daily.reason, daily.outlet)  # fmt: skip
        for row in rows:
            key = (month_of(row["day"]).isoformat(), row["reason"], str(row["outlet"]) if by_outlet else "")
            totals[key] = totals.get(key, 0) + int(row["refusals"] or 0)
    outlets = await _labels("outlet", {uuid.UUID(k[2]) for k in totals if k[2]}) if by_outlet else {}
    result = []
    for (month, reason, outlet), count in sorted(totals.items()):
        if count <= 0:
            continue
        line: dict[str, Any] = {"month": month, "reason_code": reason}
        if by_outlet:
            line["outlet"] = outlet
            line["outlet_name"] = outlets.get(uuid.UUID(outlet), "")
        line["refusals"] = count
        result.append(line)
    return result


async def _daily(wanted: RedemptionFilter) -> list[dict[str, Any]]:
    """Redemptions and discount per day, oldest first (for one partner: the daily rollup is read per partner)."""
    await rollups.catch_up()  # every redemption committed before this read counts in it
    daily = RedemptionDaily
    condition = (daily.day >= wanted.date_from) & (daily.day <= wanted.date_until)
    if wanted.partner is not None:
        condition &= daily.partner == wanted.partner
    rows = await daily.select(
        daily.day, Sum(daily.redemptions).as_alias("redemptions"), Sum(daily.discount_total).as_alias("discount")
    ).where(condition).group_by(daily.day)  # fmt: skip
    return [
        {"day": r["day"], "redemptions": int(r["redemptions"] or 0), "discount": int(r["discount"] or 0)}
        for r in sorted(rows, key=lambda r: r["day"])
        if int(r["redemptions"] or 0) > 0
    ]


async def redemptions_per_day(wanted: RedemptionFilter, threshold: int | None = None) -> list[dict[str, Any]]:
    return _per_day(await _daily(wanted), threshold)


def _per_day(days: list[dict[str, Any]], threshold: int | None) -> list[dict[str, Any]]:
    """Redemptions and discount per day. A day of fewer than `threshold` redemptions shows `<threshold` and no
    discount, and so does its month's complement (a partner's days: the issue's '4 redemptions, Rp63.700' beside a
    month shown as '<5')."""
    lines = [
        {"day": _month_text(d["day"]), "redemptions": d["redemptions"], "discount_rupiah": d["discount"],
         "_small": threshold is not None and d["redemptions"] < threshold}
        for d in days
    ]  # fmt: skip
    if threshold is not None:
        _suppress_complements(lines, "redemptions")
    return [_shown(line, threshold) for line in lines]


def _totals(days: list[dict[str, Any]], threshold: int | None) -> dict[str, Any]:
    """Redemptions and discount over the whole window: exact unless fewer than `threshold` (a sum of the hidden
    days is at least two of them, as `_suppress_complements` leaves no month with one)."""
    redemptions, discount = sum(d["redemptions"] for d in days), sum(d["discount"] for d in days)
    if threshold is not None and 0 < redemptions < threshold:
        return {"redemptions": SMALL.format(threshold=threshold), "discount_rupiah": None}
    return {"redemptions": redemptions, "discount_rupiah": discount}


def last_closed_day(settings: Settings) -> date:
    """A partner's figures end with yesterday: a day still open would change after each redemption, and comparing
    two readings would tell what one child's redemption added."""
    return settings.today() - timedelta(days=1)


PARTNER_DAYS = 90


async def partner_figures(partner_id: uuid.UUID, viewer: CurrentUser, settings: Settings) -> dict[str, Any]:
    """A partner's own dashboard: the 90 closed days up to yesterday (whole months for the monthly figures), small
    cells and their complements suppressed as `small_cell_threshold` decides for the viewer."""
    until = last_closed_day(settings)
    wanted = RedemptionFilter(until - timedelta(days=PARTNER_DAYS), until, partner_id)
    threshold = small_cell_threshold(viewer, settings)
    days = await _daily(wanted)  # one read for the days and their total
    return {
        "today": until,
        "until": until,
        "totals": _totals(days, threshold),
        "per_day": _per_day(days, threshold),
        "per_month": await redemptions_by("month", wanted, threshold),
        "per_outlet": await redemptions_by("outlet", wanted, threshold),
        "per_offer": await redemptions_by("offer", wanted, threshold),
        "per_age_band": await redemptions_by("age_band", wanted, threshold),
        "refusals": await refusals_by_reason(wanted, by_outlet=True),
    }
