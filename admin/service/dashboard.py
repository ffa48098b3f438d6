"""Dukcapil's dashboard at /admin: every figure on it, from `admin.service.reports` (the same functions as the JSON
API), shaped for its charts and tables, and its tables as CSV downloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from admin.service import reports
from core.i18n import Language
from core.service.regions import HOME_CITY
from verification.errors import refusal_titles
from verification.service.rollups import AGE_BANDS, month_of, week_of

CITY = HOME_CITY
SERIES_MONTHS = 36  # the coverage chart: up to three years, from the first month with a population figure
ISSUANCE_WEEKS = 104
LAUNCHES_SHOWN = 12


def chart(labels: list[Any], datasets: list[dict[str, Any]], kind: str = "bar", **extra: Any) -> dict[str, Any]:
    """What a <canvas data-chart> is drawn from (core/static/js/charts.js); a dataset's `label` is a code the page
    names (the `chart` filter)."""
    return {"type": kind, "labels": labels, "datasets": datasets, **extra}


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


async def dashboard_data(
    today: date, kecamatan: str | None, language: Language, threshold: int | None
) -> dict[str, Any]:
    """Every figure of the dashboard, shaped for its charts and tables; cells under `threshold` children suppressed."""
    tree = await reports.region_tree(CITY)
    kecamatan_choices = sorted(
        (code, tree.names[code]) for code in tree.children(CITY) if tree.levels.get(code) == "kecamatan"
    )
    chosen = kecamatan if kecamatan in dict(kecamatan_choices) else None
    start = await series_start(today)
    series = await reports.coverage_series(CITY, start, today)
    coverage_sets: list[dict[str, Any]] = [
        {"label": tree.names[CITY], "data": [p.coverage_percent for p in series]},
        {"label": "target", "data": [p.target_percent for p in series],
         "dashed": True, "color": "#c8553d"},
    ]  # fmt: skip
    if chosen:
        local = await reports.coverage_series(chosen, start, today)
        coverage_sets.insert(1, {"label": tree.names[chosen], "data": [p.coverage_percent for p in local]})

    # Coverage on the days a population figure is dated: month ends are already in the series.
    in_series = {point.as_of: point for point in series}
    reference = [
        in_series.get(day) or await reports.coverage(CITY, day, tree=tree)
        for day in await reports.denominator_dates(CITY, today)
    ]
    breakdown = await reports.coverage(CITY, today, "kecamatan", tree)

    launches = await reports.launches(CITY)
    first_week = await issuance_start(today, launches)
    weeks = await reports.weekly_prints(CITY, first_week, today)
    markers = [
        {"x": week_of(date.fromisoformat(launch["launched_on"])).isoformat(), "text": launch["partner"]}
        for launch in launches
        if launch["launched_on"] >= first_week.isoformat()
    ]

    year = reports.RedemptionFilter(month_of(today - timedelta(days=334)), today)  # this month and the 11 before
    by_partner = _sum_by(await reports.redemptions_by("partner", year, threshold), "label")
    by_partner_age = await reports.redemptions_by("partner_age_band", year, threshold)
    partner_names = sorted(by_partner, key=lambda name: -by_partner[name]["redemptions"])
    age_sets: list[dict[str, Any]] = [
        {"label": band, "stack": "usia",
         "data": [sum(_number(r["redemptions"]) for r in by_partner_age
                      if r["partner_name"] == name and r["age_band"] == band) for name in partner_names]}
        for low, high, band in AGE_BANDS
    ]  # fmt: skip

    channel_rows = await reports.channels(month_of(today - timedelta(days=334)), today)
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
        "latest": series[-1] if series else None,
        "reference": reference,
        "breakdown": breakdown,
        "kecamatan_choices": kecamatan_choices,
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
        "uplift": await reports.uplift_all(today, language, CITY, LAUNCHES_SHOWN),
        "activation": await reports.activation(month_of(today - timedelta(days=334)), today, today),
        "quiet": await reports.quiet_partners(today),
        "refusals": sorted(refusals.items(), key=lambda item: -item[1]),
        "reasons": refusal_titles(language),
        "age_bands": AGE_BANDS,
    }


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


async def issuance_start(today: date, launches: list[dict[str, Any]] | None = None) -> date:
    """Where the weekly issuance chart starts: two years back, or earlier if needed to show the 8 weeks before
    every launch of the last three years."""
    start = week_of(today) - timedelta(weeks=ISSUANCE_WEEKS)
    limit = week_of(today) - timedelta(weeks=3 * 52)
    for launch in launches if launches is not None else await reports.launches(CITY):
        before = week_of(date.fromisoformat(launch["launched_on"])) - timedelta(weeks=reports.UPLIFT_WEEKS)
        if limit <= before < start:
            start = before
    return start


async def series_start(today: date) -> date:
    """Coverage needs a population figure dated on or before the month: start at the first one (at most three
    years back)."""
    earliest = month_of(today).replace(year=today.year - SERIES_MONTHS // 12)
    dates = await reports.denominator_dates(CITY, today)
    return max(month_of(dates[0]), earliest) if dates else month_of(today)


async def _weekly(today: date) -> list[Any]:
    return await reports.weekly_prints(CITY, await issuance_start(today), today)


async def _monthly(today: date) -> list[Any]:
    return await reports.coverage_series(CITY, await series_start(today), today)


async def _kecamatan_rows(today: date) -> list[Any]:
    return (await reports.coverage(CITY, today, "kecamatan")).kecamatan


async def download(name: str, today: date, language: Language, threshold: int | None) -> list[Any] | None:
    """The rows of one of the dashboard's tables as a CSV takes them (`cakupan-kecamatan`…); None: no such table."""
    first_month = month_of(today - timedelta(days=334))
    year = reports.RedemptionFilter(first_month, today)
    makers: dict[str, Callable[[], Awaitable[Any]]] = {
        "cakupan-kecamatan": lambda: _kecamatan_rows(today),
        "cakupan-bulanan": lambda: _monthly(today),
        "penerbitan-mingguan": lambda: _weekly(today),
        "dampak-peluncuran": lambda: reports.uplift_all(today, language, CITY),
        "penukaran-mitra": lambda: reports.redemptions_by("partner", year, threshold),
        "penukaran-mitra-usia": lambda: reports.redemptions_by("partner_age_band", year, threshold),
        "aktivasi": lambda: reports.activation(first_month, today, today),
        "saluran": lambda: reports.channels(first_month, today),
        "penolakan": lambda: reports.refusals_by_reason(year),
        "mitra-sepi": lambda: reports.quiet_partners(today),
    }
    return await makers[name]() if name in makers else None
