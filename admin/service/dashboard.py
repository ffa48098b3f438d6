"""Dukcapil's dashboard at /admin: every figure on it, from `admin.service.reports` (the same functions as the JSON
API), shaped for its charts and tables, and its tables as CSV downloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from admin.errors import UnknownRegion
from admin.service import reports
from admin.service.wide_coverage import month_ends
from core.auth import CurrentUser
from core.i18n import Language
from core.offices import CITY_CODE_LENGTH
from core.service.regions import region_names
from verification.errors import refusal_titles
from verification.service.rollups import AGE_BANDS, month_of, week_of

NATIONAL = "Indonesia"
SERIES_MONTHS = 36  # the coverage chart: up to three years, from the first month with a population figure
ISSUANCE_WEEKS = 104
LAUNCHES_SHOWN = 12


def chart(labels: list[Any], datasets: list[dict[str, Any]], kind: str = "bar", **extra: Any) -> dict[str, Any]:
    """What a <canvas data-chart> is drawn from (core/static/js/charts.js); a dataset's `label` is a code the page
    names (the `chart` filter)."""
    return {"type": kind, "labels": labels, "datasets": datasets, **extra}


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class View:
    """Which region the dashboard shows (None: the whole country), its name, and the regions above it within the
    viewer's reach (to climb back to)."""

    region: str | None
    name: str
    up: list[tuple[str, str]]

    @property
    def wide(self) -> bool:
        return reports.is_wide(self.region)

    own: bool = True  # the viewer's own scope: its links need no `wilayah`

    def query(self) -> str:
        return "" if self.own or not self.region else f"?wilayah={self.region}"


async def view_of(viewer: CurrentUser, region: str | None) -> View:
    """The viewer's own scope, or a region within it (another office's answers 404)."""
    region = reports.viewed_region(viewer, region)
    if region is None:
        return View(None, NATIONAL, [])
    own = region == viewer.region
    names = await region_names({region, *(region[:length] for length in (2, 5) if len(region) > length)})
    if region not in names:
        raise UnknownRegion()
    top = viewer.region or ""
    up = [("", NATIONAL)] if viewer.region is None else []
    up += [(code, names[code]) for code in sorted(names) if code != region and len(code) >= len(top)]
    return View(region, names[region], up, own)


async def dashboard_data(
    today: date, view: View, compare: str | None, language: Language, threshold: int | None
) -> dict[str, Any]:
    """Every figure of the dashboard of one region, shaped for its charts and tables; cells under `threshold`
    children suppressed. A kabupaten/kota shows its kecamatan, launches and uplift; a province or the whole country
    its kabupaten/kota or provinces, read from the per-city rollups."""
    region = view.region
    start = await series_start(today, region)
    if view.wide:  # one read of every city's rollups gives the series and, on its last day, the breakdown
        series = await reports.wide_series(region, month_ends(start, today), _breakdown_of(view))
        breakdown = series[-1]
    else:
        series = await reports.coverage_series(region, start, today)
        breakdown = await reports.coverage(region, today, _breakdown_of(view))
    choices = sorted((row.region, row.region_name) for row in breakdown.kecamatan)
    chosen = compare if compare in dict(choices) else None
    coverage_sets: list[dict[str, Any]] = [
        {"label": view.name, "data": [p.coverage_percent for p in series]},
        {"label": "target", "data": [p.target_percent for p in series],
         "dashed": True, "color": "#c8553d"},
    ]  # fmt: skip
    if chosen:
        local = await reports.coverage_series(chosen, start, today)
        coverage_sets.insert(1, {"label": dict(choices)[chosen], "data": [p.coverage_percent for p in local]})

    # Coverage on the days a population figure is dated: month ends are already in the series.
    in_series = {point.as_of: point for point in series}
    reference = [
        in_series.get(day) or await reports.coverage(region, day)
        for day in await reports.denominator_dates(region, today)
    ]

    launches, weeks, markers, uplift = [], [], [], []
    if not view.wide:
        launches = await reports.launches(region)
        first_week = await issuance_start(today, launches)
        weeks = await reports.weekly_prints(region, first_week, today)
        markers = [
            {"x": week_of(date.fromisoformat(launch["launched_on"])).isoformat(), "text": launch["partner"]}
            for launch in launches
            if launch["launched_on"] >= first_week.isoformat()
        ]
        if region is not None and len(region) == CITY_CODE_LENGTH:
            uplift = await reports.uplift_all(today, language, region, LAUNCHES_SHOWN)

    year = reports.RedemptionFilter(month_of(today - timedelta(days=334)), today, scope=region)  # 12 months
    by_partner = _sum_by(await reports.redemptions_by("partner", year, threshold), "label")
    by_partner_age = await reports.redemptions_by("partner_age_band", year, threshold)
    partner_names = sorted(by_partner, key=lambda name: -by_partner[name]["redemptions"])
    age_sets: list[dict[str, Any]] = [
        {"label": band, "stack": "usia",
         "data": [sum(_number(r["redemptions"]) for r in by_partner_age
                      if r["partner_name"] == name and r["age_band"] == band) for name in partner_names]}
        for low, high, band in AGE_BANDS
    ]  # fmt: skip

    channel_rows = await reports.channels(month_of(today - timedelta(days=334)), today, region)
    months = sorted({row["month"] for row in channel_rows})
    channel_sets: list[dict[str, Any]] = [
        {"label": channel, "stack": "saluran",
         "data": [sum(r["enrolled"] for r in channel_rows if r["month"] == m and r["channel"] == channel)
                  for m in months]}
        for channel in sorted({row["channel"] for row in channel_rows})
    ]  # fmt: skip
    refusals: dict[str, int] = {}
    for row in await reports.refusals_by_reason(year):
        refusals[row["reason_code"]] = refusals.get(row["reason_code"], 0) + row["refusals"]
    return {
        "today": today,
        "view": view,
        "level": _breakdown_of(view),
        "latest": series[-1] if series else None,
        "reference": reference,
        "breakdown": breakdown,
        "kecamatan_choices": choices,
        "chosen": chosen,
        "coverage_chart": chart([p.as_of.isoformat()[:7] for p in series], coverage_sets, "line", percent=True),
        "issuance_chart": chart(
            [w["week_start"] for w in weeks],
            [{"label": "prints", "data": [w["prints"] for w in weeks]}],
            markers=markers,
        ),
        "partner_age_chart": chart(partner_names, age_sets, stacked=True),
        "by_partner": [(name, by_partner[name]) for name in partner_names],
        "channel_chart": chart([m[:7] for m in months], channel_sets, stacked=True),
        "uplift": uplift,
        "activation": await reports.activation(month_of(today - timedelta(days=334)), today, today, region),
        "quiet": await reports.quiet_partners(today, region),
        "refusals": sorted(refusals.items(), key=lambda item: -item[1]),
        "reasons": refusal_titles(language),
        "age_bands": AGE_BANDS,
    }


def _breakdown_of(view: View) -> str:
    """The rows below a region on its dashboard: a city's kecamatan, a province's kabupaten/kota, the country's
    provinces."""
    if view.region is None:
        return "provinsi"
    return "kota" if view.wide else "kecamatan"


def _sum_by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, int]]:
    """Months added up per `key`: redemptions and discount add; unique children per month do not, so the
    12-month column is the sum of monthly unique children ("anak-bulan"), named so on the page."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        total = totals.setdefault(row[key], {"redemptions": 0, "child_months": 0, "discount": 0})
        total["redemptions"] += _number(row["redemptions"])
        total["child_months"] += _number(row["unique_children"])
        total["discount"] += _number(row["discount_rupiah"])
    return totals


async def issuance_start(today: date, launches: list[dict[str, Any]]) -> date:
    """Where the weekly issuance chart starts: two years back, or earlier if needed to show the 8 weeks before
    every launch of the last three years."""
    start = week_of(today) - timedelta(weeks=ISSUANCE_WEEKS)
    limit = week_of(today) - timedelta(weeks=3 * 52)
    for launch in launches:
        before = week_of(date.fromisoformat(launch["launched_on"])) - timedelta(weeks=reports.UPLIFT_WEEKS)
        if limit <= before < start:
            start = before
    return start


async def series_start(today: date, region: str | None) -> date:
    """Coverage needs a population figure dated on or before the month: start at the first one (at most three
    years back)."""
    earliest = month_of(today).replace(year=today.year - SERIES_MONTHS // 12)
    dates = await reports.denominator_dates(region, today)
    return max(month_of(dates[0]), earliest) if dates else month_of(today)


async def download(name: str, today: date, view: View, language: Language, threshold: int | None) -> list[Any] | None:
    """The rows of one of the dashboard's tables as a CSV takes them (`cakupan-kecamatan`…); None: no such table."""
    region = view.region
    first_month = month_of(today - timedelta(days=334))
    year = reports.RedemptionFilter(first_month, today, scope=region)

    async def weekly() -> list[Any]:
        if view.wide:
            return []
        return await reports.weekly_prints(region, await issuance_start(today, await reports.launches(region)), today)

    async def uplift() -> list[Any]:
        return [] if view.wide or region is None else await reports.uplift_all(today, language, region)

    async def below() -> list[Any]:
        return (await reports.coverage(region, today, _breakdown_of(view))).kecamatan

    async def monthly() -> list[Any]:
        return await reports.coverage_series(region, await series_start(today, region), today)

    makers: dict[str, Callable[[], Awaitable[Any]]] = {
        "cakupan-kecamatan": below,  # a kabupaten/kota's breakdown, named by its level
        "cakupan-kota": below,
        "cakupan-provinsi": below,
        "cakupan-bulanan": monthly,
        "penerbitan-mingguan": weekly,
        "dampak-peluncuran": uplift,
        "penukaran-mitra": lambda: reports.redemptions_by("partner", year, threshold),
        "penukaran-mitra-usia": lambda: reports.redemptions_by("partner_age_band", year, threshold),
        "aktivasi": lambda: reports.activation(first_month, today, today, region),
        "saluran": lambda: reports.channels(first_month, today, region),
        "penolakan": lambda: reports.refusals_by_reason(year),
        "mitra-sepi": lambda: reports.quiet_partners(today, region),
    }
    return await makers[name]() if name in makers else None
