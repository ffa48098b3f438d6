"""Dukcapil's dashboard at /admin: every figure on it, from `admin.service.reports` (the same functions as the JSON
API), shaped for its charts and tables, and its tables as CSV downloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from admin.errors import UnknownRegion
from admin.service import effect, report_events, reports
from admin.service.wide_coverage import month_ends
from core.auth import CurrentUser
from core.i18n import Language, Text
from core.localtime import short_date, short_month
from core.offices import CITY_CODE_LENGTH
from core.service.regions import region_names
from core.stores import Stores
from verification.errors import refusal_titles
from verification.service.rollups import AGE_BANDS, month_of, week_of

NATIONAL = "Indonesia"
SERIES_MONTHS = 36  # the coverage chart: up to three years, from the first month with a population figure
ISSUANCE_WEEKS = 104
LAUNCHES_SHOWN = 12
EVENT_AXIS = Text("Bulan sejak peluncuran (0 = bulan peluncuran)", "Months since launch (0 = the launch month)")
EVENT_VALUE = Text("KIA baru per 1.000 anak", "New KIAs per 1,000 children")


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
        *_target_sets(series),
    ]
    if chosen:
        local = await reports.coverage_series(chosen, start, today)
        coverage_sets.insert(1, {"label": dict(choices)[chosen], "data": [p.coverage_percent for p in local]})

    # Coverage on the days a population figure is dated: month ends are already in the series.
    in_series = {point.as_of: point for point in series}
    reference = [
        in_series.get(day) or await reports.coverage(region, day)
        for day in await reports.denominator_dates(region, today)
    ]

    launches, weeks, uplift = [], [], []
    markers: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    events = await report_events.events_for(region)
    if not view.wide:
        launches = await reports.launches(region)
        first_week = await issuance_start(today, launches)
        weeks = await reports.weekly_prints(region, first_week, today)
        markers, tags = _markers(weeks, launches, events)
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
        "coverage_chart": chart([short_month(p.as_of, language) for p in series], coverage_sets, "line", percent=True),
        "carried_target": next((p for p in reversed(series) if p.target_carried), None),
        "target_bars": _target_bars(breakdown),
        "issuance_chart": chart(
            [short_date(date.fromisoformat(w["week_start"]), language) for w in weeks],
            [{"label": "prints", "data": [w["prints"] for w in weeks]}],
            markers=markers,
        ),
        "tags": tags,
        "partner_age_chart": chart(partner_names, age_sets, stacked=True),
        "by_partner": [(name, by_partner[name]) for name in partner_names],
        "channel_chart": chart(
            [short_month(date.fromisoformat(m[:10]), language) for m in months], channel_sets, stacked=True
        ),
        "uplift": uplift,
        "activation": await reports.activation(month_of(today - timedelta(days=334)), today, today, region),
        "quiet": await reports.quiet_partners(today, region),
        "refusals": sorted(refusals.items(), key=lambda item: -item[1]),
        "reasons": refusal_titles(language),
        "age_bands": AGE_BANDS,
    }


def _target_sets(series: list[reports.Coverage]) -> list[dict[str, Any]]:
    """The target line of the coverage chart: solid where the year's own target is set, and, from the last month
    with one, dotted where an earlier year's is carried (this year's not set yet), so the line never stops."""
    own = [p.target_percent if not p.target_carried else None for p in series]
    carried = [p.target_percent if p.target_carried else None for p in series]
    for n in range(1, len(series)):  # join the two where one takes over from the other
        if carried[n] is not None and carried[n - 1] is None and own[n - 1] is not None:
            carried[n - 1] = own[n - 1]
    sets: list[dict[str, Any]] = [{"label": "target", "data": own, "dashed": True, "color": "#c8553d", "flat": True}]
    if any(value is not None for value in carried):
        sets.append({"label": "target_carried", "data": carried, "dashed": True, "color": "#8a4b00", "flat": True})
    return sets


BAR_ROW = 30  # pixels per kecamatan in the bars against the target


def _target_bars(breakdown: reports.Coverage) -> dict[str, Any]:
    """Coverage of each region below as a bar against the target line: below the target red, at or above it green;
    the lowest first, as a mayor reads it."""
    rows = sorted((r for r in breakdown.kecamatan if r.coverage_percent is not None),
                  key=lambda r: (r.coverage_percent or 0, r.region_name))  # fmt: skip
    target = breakdown.target_percent
    colors = ["#c8553d" if target is not None and r.coverage_percent is not None and r.coverage_percent < target
              else "#2a9d8f" for r in rows]  # fmt: skip
    top = max([float(r.coverage_percent or 0) for r in rows] + [float(target or 0)], default=0)
    return chart(
        [r.region_name for r in rows],
        [{"label": "coverage", "data": [r.coverage_percent for r in rows], "colors": colors}],
        horizontal=True, percent=True, legend=False, height=BAR_ROW * len(rows) + 70,
        valueMax=min(100, (int(top) // 10 + 1) * 10),
        target={"value": target, "carried": breakdown.target_carried},
    )  # fmt: skip


def _markers(
    weeks: list[dict[str, Any]], launches: list[dict[str, Any]], events: list[Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Tags on the weekly issuance chart (1, 2… for launches, A, B… for other events) at the index of their week,
    and the list that says what each is: names never drawn on the chart, where they would overlap."""
    index = {w["week_start"]: n for n, w in enumerate(weeks)}
    markers: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for launch in launches:
        at = index.get(week_of(date.fromisoformat(launch["launched_on"])).isoformat())
        if at is not None:
            tag = str(len([t for t in tags if t["kind"] == "launch"]) + 1)
            markers.append({"x": at, "text": tag})
            tags.append({"kind": "launch", "tag": tag, "text": launch["partner"],
                         "on": date.fromisoformat(launch["launched_on"]), "until": None})  # fmt: skip
    for event in events:
        at = index.get(week_of(event.starts_on).isoformat())
        if at is not None:
            tag = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[len([t for t in tags if t["kind"] == "event"]) % 26]
            markers.append({"x": at, "text": tag, "color": "#4d5660"})
            tags.append({"kind": "event", "tag": tag, "text": event.title, "on": event.starts_on,
                         "until": event.ends_on, "event_kind": event.kind})  # fmt: skip
    return markers, tags


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


async def effect_view(
    view: View, today: date, stores: Stores, language: Language
) -> tuple[dict[str, Any] | None, list[tuple[Any, ...]]]:  # fmt: skip
    """The effect estimate as the dashboard shows it (5–17 years, with under-5s as the check), or None while it is
    being computed; and the computations still to start (the page runs them after answering)."""
    answers: dict[str, dict[str, Any] | None] = {}
    missing = []
    for group in effect.AGE_GROUPS:
        key, answers[group] = await effect.cached(view.region, today, group, stores)
        if answers[group] is None:
            missing.append((view.region, today, group, key, stores))
    main, young = answers["5_17"], answers["under_5"]
    if main is None or young is None:
        return None, missing
    return {
        "main": main,
        "young": young,
        "summary": effect.describe(main, language),
        "chart": _event_chart(main, language) if main["status"] == "ok" else None,
        "events": await report_events.events_for(view.region),
    }, []


def _event_chart(answer: dict[str, Any], language: Language) -> dict[str, Any]:
    """The event study: the estimate by month since launch with its 95% band, against no effect."""
    points = answer["event_study"]
    return chart(
        [("+" if p["months_since_launch"] > 0 else "") + str(p["months_since_launch"]).replace("-", "−")
         for p in points],
        [
            {"label": "low", "data": [p["ci_low"] for p in points], "band": "lower", "hideLegend": True},
            {"label": "band", "data": [p["ci_high"] for p in points], "band": "upper"},
            {"label": "estimate", "data": [p["estimate"] for p in points], "color": "#0b5d8c"},
            {"label": "zero", "data": [0 for _ in points], "dashed": True, "color": "#4d5660", "flat": True},
        ],
        "line",
        categoryTitle=EVENT_AXIS.render(language), valueTitle=EVENT_VALUE.render(language),
    )  # fmt: skip
