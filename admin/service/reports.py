"""Dukcapil's figures: KIA coverage against the target, redemptions and refusals, and whether the incentives work
(activation, channels, uplift around offer launches). Every figure reads the rollups, never the raw tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Sum

from admin.errors import UnknownBreakdown, UnknownRegion, UpliftNeedsACity
from admin.service import wide_coverage as wide
from admin.service.population import Target, denominator_rows, pick_denominator, pick_target, targets_until
from admin.service.wide_coverage import UNDER_17, as_date, month_end, month_ends
from admin.tables import CoverageCorrection, UnenrolledKia
from core.auth import CurrentUser
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.offices import CITY_CODE_LENGTH, PROVINCE_CODE_LENGTH, city_of, covers, narrowed
from core.service.regions import tree_rows
from core.tables import Region, RegionLevel
from partners.errors import OfferNotFound
from partners.tables import Offer, Outlet, Partner, PartnerOffice, PartnerStatus
from verification.service import figures, rollups
from verification.service.rollups import month_of, week_of
from verification.tables import (
    EnrolmentCityMonthly,
    EnrolmentMonthly,
    PrintMonthly,
    PrintWeekly,
    RedemptionDaily,
    RedemptionMonthly,
)

HUNDRED = Decimal(100)
SMALL = "<{threshold}"
UPLIFT_WEEKS = 8
# A coverage series: twenty years of month ends at most.
LONGEST_SERIES_MONTHS = 240
SERIES_TOO_LONG = Text(
    "Deret cakupan paling panjang {months} bulan: pilih tanggal awal yang lebih baru atau tanggal akhir yang lebih "
    "awal.",
    "A coverage series covers at most {months} months: choose a later first day or an earlier last day.",
)
_JAKARTA = ZoneInfo("Asia/Jakarta")
UPLIFT_CAVEAT = Text(
    "Perbandingan ini (selisih-dari-selisih) hanya menunjukkan apakah penerbitan KIA naik lebih cepat di kecamatan "
    "yang punya outlet mitra. Dorongan lain — syarat KIA saat pendaftaran sekolah, jemput bola Dukcapil, libur "
    "sekolah — dapat ikut memengaruhinya, dan hitungan mingguan hanya memuat KIA yang sudah terdaftar di program.",
    "This difference-in-differences only shows whether KIA issuance rose faster in kecamatan with a partner outlet. "
    "Other drives — schools requiring a KIA at enrolment, Dukcapil outreach, school holidays — can confound it, and "
    "the weekly counts include only KIAs enrolled in the programme.",
)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- regions --------------------------------------------------------------------------------------------------


@dataclass
class RegionTree:
    names: dict[str, str]
    levels: dict[str, str]
    parents: dict[str, str | None]

    def kelurahan_under(self, code: str) -> list[str]:
        """Kelurahan below a region by the parent links (codes are not contiguous: kelurahan have moved)."""
        if self.levels.get(code) == RegionLevel.KELURAHAN:
            return [code]
        return [k for k, level in self.levels.items() if level == RegionLevel.KELURAHAN and self.is_under(k, code)]

    def is_under(self, code: str, ancestor: str) -> bool:
        current: str | None = code
        while current is not None:
            if current == ancestor:
                return True
            current = self.parents.get(current)
        return False

    def chain(self, code: str) -> list[str]:
        result: list[str] = []
        current: str | None = code
        while current is not None:
            result.append(current)
            current = self.parents.get(current)
        return result

    def children(self, code: str) -> list[str]:
        return sorted(k for k, parent in self.parents.items() if parent == code)


def viewed_region(viewer: CurrentUser, region: str | None) -> str | None:
    """The region a report is about: the one asked for if it lies within the viewer's reach (another office's
    answers 404, as an unknown one), else the viewer's own office, province, or (None) the whole country."""
    region = region or viewer.region
    if region is not None and not covers(viewer.region, region):
        raise UnknownRegion()
    return region


def is_wide(region: str | None) -> bool:
    """A province or the whole country: read from the per-kabupaten/kota rollups."""
    return region is None or len(region) < CITY_CODE_LENGTH


async def regions_within(scope: str | None) -> list[tuple[str, str]]:
    """(code, name) of the regions a Dukcapil account enters figures for, broadest first: an office's kabupaten/kota
    down to its kelurahan; a province's or the nation's regions down to kabupaten/kota (a choice of thousands of
    kelurahan is no choice)."""
    query = narrowed(Region.select(Region.code, Region.name), Region.code, scope)
    if scope is None or len(scope) < CITY_CODE_LENGTH:
        query = query.where(Region.level.is_in([RegionLevel.PROVINSI, RegionLevel.KABUPATEN, RegionLevel.KOTA]))
    rows = await query
    return [(r["code"], r["name"]) for r in sorted(rows, key=lambda r: (len(r["code"].split(".")), r["code"]))]


async def region_tree(root: str) -> RegionTree:
    """The tree of one region: it, the regions below it and those above it (not all of Indonesia's 91,599)."""
    rows = await tree_rows(root)
    return RegionTree(
        names={r["code"]: r["name"] for r in rows},
        levels={r["code"]: r["level"] for r in rows},
        parents={r["code"]: r["parent_code"] for r in rows},
    )


# --- coverage -----------------------------------------------------------------------------------------------


@dataclass
class Coverage:
    region: str
    region_name: str
    as_of: date
    holders: int
    enrolled_holders: int
    unenrolled_holders: int
    programme_enrolments: int
    eligible_children: int | None
    denominator_as_of: date | None
    coverage_percent: Decimal | None
    target_percent: Decimal | None
    gap_percent: Decimal | None
    # The rows below the region (kecamatan, kelurahan, kabupaten/kota or provinsi, as asked), furthest from target
    # first. Named for the first breakdown this report had.
    kecamatan: list[Coverage] = field(default_factory=list)
    # A province's or the nation's: its kabupaten/kota, and how many of them have a population figure (coverage
    # counts only those). None for a kabupaten/kota and the regions within it.
    cities: int | None = None
    cities_with_population: int | None = None
    # Of `holders`, those of the kabupaten/kota with a population figure: the numerator of a wider coverage.
    counted_holders: int | None = None
    # An explicit correction (a registry import with a reason, audited) changed this figure after it was first shown.
    corrected: bool = False
    # The year `target_percent` was set for: an earlier one than `as_of`'s when this year's is not set (carried).
    target_year: int | None = None

    @property
    def target_carried(self) -> bool:
        return self.target_year is not None and self.target_year != self.as_of.year

    @property
    def numerator(self) -> int:
        """The holders the coverage percent is computed from (all of them where no percent can be)."""
        if self.counted_holders is None or self.eligible_children is None:
            return self.holders
        return self.counted_holders


@dataclass
class _Counts:
    """Per kelurahan: enrolled cards printed, counted KIAs without consent, programme enrolments."""

    enrolled: dict[str, int] = field(default_factory=dict)
    unenrolled: dict[str, int] = field(default_factory=dict)
    enrolments: dict[str, int] = field(default_factory=dict)

    def total(self, kelurahan: list[str]) -> tuple[int, int, int]:
        return (
            sum(self.enrolled.get(k, 0) for k in kelurahan),
            sum(self.unenrolled.get(k, 0) for k in kelurahan),
            sum(self.enrolments.get(k, 0) for k in kelurahan),
        )


async def _counts_on(kelurahan: list[str], day: date) -> _Counts:
    """Holders on `day`: printed KIAs of children under 17. Only birth years are known for the counted KIAs
    without consent (and the rollup keeps only years for all), so a child counts while born after the year of
    `day` minus 17."""
    oldest = day.year - UNDER_17
    counts = _Counts()
    if not kelurahan:
        return counts
    printed = await (
        PrintMonthly.select(PrintMonthly.kelurahan, Sum(PrintMonthly.cards).as_alias("n"))
        .where(PrintMonthly.kelurahan.is_in(kelurahan) & (PrintMonthly.print_month <= day)
               & (PrintMonthly.birth_year > oldest))
        .group_by(PrintMonthly.kelurahan)
    )  # fmt: skip
    counted = await (
        UnenrolledKia.select(UnenrolledKia.kelurahan_code, Sum(UnenrolledKia.holders).as_alias("n"))
        .where(UnenrolledKia.kelurahan_code.is_in(kelurahan) & (UnenrolledKia.counted_from <= day)
               & (UnenrolledKia.birth_year > oldest))
        .group_by(UnenrolledKia.kelurahan_code)
    )  # fmt: skip
    enrolled = await (
        EnrolmentMonthly.select(EnrolmentMonthly.kelurahan, Sum(EnrolmentMonthly.enrolled).as_alias("n"))
        .where(EnrolmentMonthly.kelurahan.is_in(kelurahan) & (EnrolmentMonthly.month <= day))
        .group_by(EnrolmentMonthly.kelurahan)
    )
    counts.enrolled = {r["kelurahan"]: int(r["n"] or 0) for r in printed}
    counts.unenrolled = {r["kelurahan_code"]: int(r["n"] or 0) for r in counted}
    counts.enrolments = {r["kelurahan"]: int(r["n"] or 0) for r in enrolled}
    return counts


def _coverage_row(
    tree: RegionTree, region: str, day: date, totals: tuple[int, int, int],
    denominators: list[dict[str, Any]], targets: list[dict[str, Any]],
) -> Coverage:  # fmt: skip
    enrolled, unenrolled, enrolments = totals
    holders = enrolled + unenrolled
    denominator = pick_denominator(denominators, region, day)
    target = pick_target(targets, tree.chain(region), day.year)
    value = percent(holders, denominator[0]) if denominator else None
    return Coverage(
        region=region,
        region_name=tree.names[region],
        as_of=day,
        holders=holders,
        enrolled_holders=enrolled,
        unenrolled_holders=unenrolled,
        programme_enrolments=enrolments,
        eligible_children=denominator[0] if denominator else None,
        denominator_as_of=denominator[1] if denominator else None,
        coverage_percent=value,
        **_against(target, value),
    )


def _against(target: Target | None, value: Decimal | None) -> dict[str, Any]:
    """A coverage's target fields: the target, the year it was set for, and the gap to it."""
    return {
        "target_percent": target.percent if target else None,
        "target_year": target.year if target else None,
        "gap_percent": (target.percent - value) if (target is not None and value is not None) else None,
    }


async def corrections_within(region: str | None) -> list[tuple[str, date]]:
    """The corrections (their area and first changed month) of figures that concern the region: made within it,
    or for an area that contains it."""
    query = CoverageCorrection.select(CoverageCorrection.scope_code, CoverageCorrection.from_month)
    if region is not None:
        query = query.where(CoverageCorrection.city_code.like(f"{region[:CITY_CODE_LENGTH]}%"))
    return [
        (row["scope_code"], as_date(row["from_month"]))
        for row in await query
        if region is None or covers(region, row["scope_code"]) or covers(row["scope_code"], region)
    ]


def mark_corrected(rows: list[Coverage], corrections: list[tuple[str, date]]) -> None:
    """Flag each figure that a correction reached: its region overlaps the corrected area, on or after the month."""
    for row in rows:
        row.corrected = any(
            month <= row.as_of and (not row.region or covers(row.region, scope) or covers(scope, row.region))
            for scope, month in corrections
        )


def _furthest_first(rows: list[Coverage]) -> list[Coverage]:
    """Furthest from target first; without a target for the year (none set yet), lowest coverage first; regions
    with neither holders nor a population figure (not in the programme yet) last."""
    return sorted(
        rows,
        key=lambda row: (
            not row.holders and row.eligible_children is None,
            row.gap_percent is None,
            -(row.gap_percent or 0),
            row.coverage_percent or 0,
            row.region,
        ),
    )


async def coverage(
    region: str | None, day: date, breakdown: str | None = None, tree: RegionTree | None = None
) -> Coverage:
    """Coverage of a region (None: the whole country) on a day, and of each region of the breakdown below it when
    asked (sorted by the gap to target, largest first). A handful of queries, whatever the size of the breakdown."""
    if is_wide(region):
        return (await wide_series(region, [day], breakdown))[-1]
    assert region is not None
    if breakdown not in {None, "kecamatan", "kelurahan"}:
        raise UnknownBreakdown()
    tree = tree or await region_tree(region)
    if region not in tree.names:
        raise UnknownRegion()
    below: list[str] = []
    if breakdown in {"kecamatan", "kelurahan"}:
        level = RegionLevel.KECAMATAN if breakdown == "kecamatan" else RegionLevel.KELURAHAN
        below = sorted(code for code, lvl in tree.levels.items() if lvl == level and tree.is_under(code, region))
    kelurahan = tree.kelurahan_under(region)
    counts = await _counts_on(kelurahan, day)
    denominators = await denominator_rows([region, *below], day)
    targets = await targets_until(day.year)
    result = _coverage_row(tree, region, day, counts.total(kelurahan), denominators, targets)
    rows = [
        _coverage_row(tree, code, day, counts.total(tree.kelurahan_under(code)), denominators, targets)
        for code in below
    ]
    result.kecamatan = _furthest_first(rows)
    mark_corrected([result, *rows], await corrections_within(region))
    return result


async def wide_series(region: str | None, days: list[date], breakdown: str | None = None) -> list[Coverage]:
    """Coverage of a province or the whole country on each of `days` (with, on the last, the breakdown asked for:
    its kabupaten/kota, or for the country its provinces), summed from every kabupaten/kota's rollups."""
    if breakdown not in {None, "kota", "provinsi"} or (breakdown == "provinsi" and region is not None):
        raise UnknownBreakdown()
    cities = await wide.cities_within(region)
    if region is not None and region not in cities.province_names:
        raise UnknownRegion()
    cells = await wide.city_days(region, days)
    targets = await targets_until(max(day.year for day in days)) if days else []
    name = cities.province_names[region] if region else wide.NATIONAL_NAME

    def row(code: str | None, label: str, members: list[str], day: date, chain: list[str]) -> Coverage:
        total = wide.tally(cells, members, day)
        value = percent(total.holders_with_figure, total.children)
        target = pick_target(targets, chain, day.year)
        return Coverage(
            region=code or "",
            region_name=label,
            as_of=day,
            holders=total.enrolled + total.counted,
            enrolled_holders=total.enrolled,
            unenrolled_holders=total.counted,
            programme_enrolments=total.enrolments,
            eligible_children=total.children or None,
            denominator_as_of=total.oldest_figure,
            coverage_percent=value,
            **_against(target, value),
            cities=total.cities,
            cities_with_population=total.cities_with_figure,
            counted_holders=total.holders_with_figure,
        )

    every = sorted(cities.names)
    series = [row(region, name, every, day, [region] if region else []) for day in days]
    corrections = await corrections_within(region)
    last = days[-1]
    if breakdown == "kota":
        series[-1].kecamatan = _furthest_first(
            [row(code, cities.names[code], [code], last, [code, cities.province_of[code]]) for code in every]
        )
    elif breakdown == "provinsi":
        by_province: dict[str, list[str]] = {}
        for code in every:
            by_province.setdefault(cities.province_of[code], []).append(code)
        series[-1].kecamatan = _furthest_first(
            [row(code, cities.province_names.get(code, code), members, last, [code])
             for code, members in sorted(by_province.items())]
        )  # fmt: skip
    mark_corrected([*series, *series[-1].kecamatan], corrections)
    return series


async def denominator_dates(region: str | None, until: date) -> list[date]:
    """The dates the region has a population figure for, up to `until`: the points coverage is exact at (for a
    province or the country: those of its kabupaten/kota)."""
    if region is None or is_wide(region):
        return sorted({row["as_of"] for row in await wide.denominator_rows_within(region, until)})
    return sorted({row["as_of"] for row in await denominator_rows([region], until)})


async def coverage_series(region: str | None, first_month: date, last_day: date) -> list[Coverage]:
    """Coverage at each month end (the last point is `last_day` itself) of a region (None: the whole country): a
    few grouped reads of the rollups, summed up month by month here."""
    months = (last_day.year - first_month.year) * 12 + last_day.month - first_month.month + 1
    if months > LONGEST_SERIES_MONTHS:
        raise Invalid([FieldProblem("from", "series_too_long", SERIES_TOO_LONG, {"months": LONGEST_SERIES_MONTHS})])
    if is_wide(region):
        return await wide_series(region, month_ends(first_month, last_day)) if first_month <= last_day else []
    assert region is not None
    tree = await region_tree(region)
    if region not in tree.names:
        raise UnknownRegion()
    days = month_ends(first_month, last_day)
    kelurahan = tree.kelurahan_under(region)
    if not kelurahan or not days:
        return []
    printed = await (
        PrintMonthly.select(PrintMonthly.print_month, PrintMonthly.birth_year, Sum(PrintMonthly.cards).as_alias("n"))
        .where(PrintMonthly.kelurahan.is_in(kelurahan) & (PrintMonthly.print_month <= last_day))
        .group_by(PrintMonthly.print_month, PrintMonthly.birth_year)
    )
    counted = await (
        UnenrolledKia.select(
            UnenrolledKia.counted_from, UnenrolledKia.birth_year, Sum(UnenrolledKia.holders).as_alias("n")
        )
        .where(UnenrolledKia.kelurahan_code.is_in(kelurahan) & (UnenrolledKia.counted_from <= last_day))
        .group_by(UnenrolledKia.counted_from, UnenrolledKia.birth_year)
    )
    enrolled = await (
        EnrolmentMonthly.select(EnrolmentMonthly.month, Sum(EnrolmentMonthly.enrolled).as_alias("n"))
        .where(EnrolmentMonthly.kelurahan.is_in(kelurahan) & (EnrolmentMonthly.month <= last_day))
        .group_by(EnrolmentMonthly.month)
    )
    denominators = await denominator_rows([region], last_day)
    targets = await targets_until(max(day.year for day in days)) if days else []
    printed_on = _running_totals(printed, "print_month", days)
    counted_on = _running_totals(counted, "counted_from", days)
    enrolled_on = _running_totals(enrolled, "month", days)
    series = [
        _coverage_row(
            tree,
            region,
            day,
            (printed_on(day, day.year - UNDER_17), counted_on(day, day.year - UNDER_17), enrolled_on(day, None)),
            denominators,
            targets,
        )
        for day in days
    ]
    mark_corrected(series, await corrections_within(region))
    return series


def _running_totals(
    rows: list[dict[str, Any]], month_column: str, days: list[date]
) -> Callable[[date, int | None], int]:
    """For rows of (month, [birth_year,] n): the total up to each of `days` (ascending), of children born after a
    year (None: all), computed in one pass over the months."""
    by_month: dict[date, dict[int, int]] = {}
    for row in rows:
        cell = by_month.setdefault(as_date(row[month_column]), {})
        year = int(row.get("birth_year") or 0)
        cell[year] = cell.get(year, 0) + int(row["n"] or 0)
    months = sorted(by_month)
    running: dict[int, int] = {}
    totals: dict[tuple[date, int | None], int] = {}
    index = 0
    for day in days:
        while index < len(months) and months[index] <= day:
            for year, n in by_month[months[index]].items():
                running[year] = running.get(year, 0) + n
            index += 1
        for oldest in {day.year - UNDER_17, None}:
            totals[(day, oldest)] = sum(n for year, n in running.items() if oldest is None or year > oldest)

    def total(day: date, oldest: int | None) -> int:
        return totals[(day, oldest)]

    return total


# --- redemptions and refusals: the verification layer owns those figures -------------------------------------

RedemptionFilter = figures.RedemptionFilter
redemptions_by = figures.redemptions_by
refusals_by_reason = figures.refusals_by_reason
redemptions_per_day = figures.redemptions_per_day


# --- does it work? ------------------------------------------------------------------------------------------


async def activation(
    first_month: date, last_month: date, today: date, scope: str | None = None
) -> list[dict[str, Any]]:
    """Of the cards enrolled in each month (within the scope's kabupaten/kota), the share with a redemption within
    30 and within 90 days."""
    await rollups.catch_up()  # every redemption committed before this read counts in it
    table = EnrolmentCityMonthly
    rows = await (
        narrowed(table.select(table.month, Sum(table.enrolled).as_alias("enrolled"),
                              Sum(table.activated_30).as_alias("a30"), Sum(table.activated_90).as_alias("a90")),
                 table.city_code, scope)
        .where((table.month >= month_of(first_month)) & (table.month <= last_month))
        .group_by(table.month)
    )  # fmt: skip
    months = {
        as_date(row["month"]): (int(row["enrolled"] or 0), int(row["a30"] or 0), int(row["a90"] or 0)) for row in rows
    }
    return [
        {
            "month": month.isoformat(),
            "enrolled": enrolled,
            "activated_30": a30,
            "activated_90": a90,
            "share_30_percent": percent(a30, enrolled),
            "share_90_percent": percent(a90, enrolled),
            # The last cards of a month get their full 30 (or 90) days only that long after the month ends.
            "complete_30": month_end(month) + timedelta(days=30) <= today,
            "complete_90": month_end(month) + timedelta(days=90) <= today,
        }
        for month, (enrolled, a30, a90) in sorted(months.items())
    ]


async def channels(first_month: date, last_month: date, scope: str | None = None) -> list[dict[str, Any]]:
    """Enrolments per month and channel within the scope's kabupaten/kota."""
    await rollups.catch_up()  # every redemption committed before this read counts in it
    table = EnrolmentCityMonthly
    rows = await (
        narrowed(
            table.select(table.month, table.channel, Sum(table.enrolled).as_alias("enrolled")), table.city_code, scope
        )
        .where((table.month >= month_of(first_month)) & (table.month <= last_month))
        .group_by(table.month, table.channel)
    )
    totals = {(as_date(row["month"]), row["channel"]): int(row["enrolled"] or 0) for row in rows}
    return [{"month": m.isoformat(), "channel": c, "enrolled": n} for (m, c), n in sorted(totals.items()) if n]


async def weekly_prints(region: str | None, first: date, last: date) -> list[dict[str, Any]]:
    """KIA prints (enrolled cards) per week in a region (None: the whole country)."""
    table = PrintWeekly
    query = table.select(table.week_start, Sum(table.prints).as_alias("prints"))
    if is_wide(region):
        query = narrowed(query, table.city_code, region)
    else:
        assert region is not None
        tree = await region_tree(region)
        if region not in tree.names:
            raise UnknownRegion()
        kelurahan = tree.kelurahan_under(region)
        if not kelurahan:
            return []
        query = query.where((table.city_code == city_of(region)) & table.kelurahan.is_in(kelurahan))
    rows = await query.where((table.week_start >= first) & (table.week_start <= last)).group_by(table.week_start)
    weeks = {as_date(row["week_start"]): int(row["prints"] or 0) for row in rows}
    return [{"week_start": w.isoformat(), "prints": n} for w, n in sorted(weeks.items())]


async def _partners_with_outlets_in(region: str | None) -> set[uuid.UUID] | None:
    """The partners with an outlet within a region (None: no limit, for the whole country)."""
    if region is None:
        return None
    rows = await narrowed(Outlet.select(Outlet.partner), Outlet.kelurahan_code, region)
    return {row["partner"] for row in rows}


async def _published_offers() -> list[dict[str, Any]]:
    return list(
        await Offer.select(Offer.id, Offer.title, Offer.partner, Offer.partner.name.as_alias("partner_name"),
                           Offer.first_published_at, Offer.rules)
        .where(Offer.first_published_at.is_not_null())
        .order_by(Offer.first_published_at)
        .output(load_json=True)
    )  # fmt: skip


def _runs_in(offer: dict[str, Any], region: str | None) -> bool:
    """Whether an offer runs in the region: it lists no kabupaten/kota (it runs wherever its partner is), or one
    that lies within the region or contains it."""
    cities = (offer.get("rules") or {}).get("cities") or []
    return region is None or not cities or any(covers(region, c) or covers(c, region) for c in cities)


def _launches_of(
    offers: list[dict[str, Any]], partners: set[uuid.UUID] | None, region: str | None = None
) -> dict[tuple[uuid.UUID, date], list[dict[str, Any]]]:
    """Offers grouped into launches: a partner's offers first published in one week (of partners in `partners`,
    and offers that run in `region`)."""
    events: dict[tuple[uuid.UUID, date], list[dict[str, Any]]] = {}
    for offer in offers:
        if partners is not None and offer["partner"] not in partners:
            continue
        if not _runs_in(offer, region):
            continue
        launched = offer["first_published_at"].astimezone(_JAKARTA).date()
        events.setdefault((offer["partner"], week_of(launched)), []).append({**offer, "launched_on": launched})
    return events


async def launches(region: str | None) -> list[dict[str, Any]]:
    """Launches of the partners with an outlet in the region, for markers on the weekly issuance chart."""
    events = _launches_of(await _published_offers(), await _partners_with_outlets_in(region), region)
    return [
        {"partner_id": str(partner), "partner": offers[0]["partner_name"],
         "launched_on": offers[0]["launched_on"].isoformat()}
        for (partner, _week), offers in sorted(events.items(), key=lambda item: item[1][0]["launched_on"])
    ]  # fmt: skip


def uplift_city(region: str | None) -> str:
    """The uplift compares kecamatan of one kabupaten/kota (and that city with others): it needs one."""
    if region is None or len(region) != CITY_CODE_LENGTH:
        raise UpliftNeedsACity()
    return region


async def uplift(offer_id: uuid.UUID, today: date, city: str, language: str = "id") -> dict[str, Any]:
    """The uplift in `city` around one offer's launch: that is, around its partner's launch in that week."""
    row = await Offer.select(Offer.partner, Offer.first_published_at).where(Offer.id == offer_id).first()
    if row is None or row["first_published_at"] is None:
        raise OfferNotFound()
    launched = row["first_published_at"].astimezone(_JAKARTA).date()
    return (await _launch_events(today, city, language, only=(row["partner"], week_of(launched))))[0]


async def uplift_all(today: date, language: str, city: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Every launch of a partner with an outlet in `city`, the latest first."""
    return await _launch_events(today, city, language, limit=limit)


async def _launch_events(
    today: date, city: str, language: str, only: tuple[uuid.UUID, date] | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    offers = await _published_offers()
    events = _launches_of(offers, None if only else await _partners_with_outlets_in(city), None if only else city)
    chosen = [only] if only else sorted(events, key=lambda key: key[1], reverse=True)[:limit]
    tree = await region_tree(city)
    return [await _uplift(events[key], today, city, language, tree) for key in chosen if key in events]


def _mean(total: int, units: int, weeks: int) -> Decimal | None:
    if not units or not weeks:
        return None
    return (Decimal(total) / Decimal(units * weeks)).quantize(Decimal("0.01"))


def _change(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    if before is None or after is None or not before:
        return None
    return ((after - before) * HUNDRED / before).quantize(Decimal("0.1"))


async def _uplift(
    launch: list[dict[str, Any]], today: date, city: str, language: str, tree: RegionTree
) -> dict[str, Any]:
    """KIA prints per kecamatan-week in the 8 weeks before and after a partner's launch, in `city`'s kecamatan with
    one of the partner's outlets (treated) and without (control), and the difference-in-differences; then the
    city as a whole against comparable cities: the other kabupaten/kota of its province that take part in the
    programme (they have enrolled cards) where the partner has no outlet."""
    partner, launched = launch[0]["partner"], launch[0]["launched_on"]
    start = week_of(launched)
    kecamatan = [k for k, level in tree.levels.items() if level == RegionLevel.KECAMATAN and tree.is_under(k, city)]
    outlets = await Outlet.select(Outlet.kelurahan_code).where(Outlet.partner == partner)
    treated = sorted({str(tree.parents.get(o["kelurahan_code"])) for o in outlets} & set(kecamatan))
    control = sorted(set(kecamatan) - set(treated))
    complete_after = max(0, min(UPLIFT_WEEKS, (today - start).days // 7))
    before_from, after_until = start - timedelta(weeks=UPLIFT_WEEKS), start + timedelta(weeks=complete_after)
    in_window = (PrintWeekly.week_start >= before_from) & (PrintWeekly.week_start < after_until)
    rows = await PrintWeekly.select(PrintWeekly.kelurahan, PrintWeekly.week_start, PrintWeekly.prints).where(
        (PrintWeekly.city_code == city) & in_window
    )
    sums = {("t", "before"): 0, ("t", "after"): 0, ("c", "before"): 0, ("c", "after"): 0}
    for print_row in rows:
        kec = tree.parents.get(print_row["kelurahan"])
        group = "t" if kec in treated else "c" if kec in control else None
        if group:
            sums[(group, "before" if as_date(print_row["week_start"]) < start else "after")] += print_row["prints"]

    tb, ta = (
        _mean(sums[("t", "before")], len(treated), UPLIFT_WEEKS),
        _mean(sums[("t", "after")], len(treated), complete_after),
    )
    cb, ca = (
        _mean(sums[("c", "before")], len(control), UPLIFT_WEEKS),
        _mean(sums[("c", "after")], len(control), complete_after),
    )
    did = (ta - tb) - (ca - cb) if None not in (tb, ta, cb, ca) else None  # type: ignore[operator]

    # The city against comparable cities: relative change, since cities differ in size.
    with_outlet = {city_of(o["kelurahan_code"]) for o in outlets}
    by_city = await PrintWeekly.select(
        PrintWeekly.city_code, PrintWeekly.week_start, Sum(PrintWeekly.prints).as_alias("n")
    ).where(PrintWeekly.city_code.like(city[:PROVINCE_CODE_LENGTH] + ".%") & in_window).group_by(
        PrintWeekly.city_code, PrintWeekly.week_start
    )  # fmt: skip
    city_sums: dict[tuple[str, str], int] = {}
    for cell in by_city:
        period = "before" if as_date(cell["week_start"]) < start else "after"
        city_sums[(cell["city_code"], period)] = city_sums.get((cell["city_code"], period), 0) + int(cell["n"] or 0)
    comparable = sorted({code for code, _ in city_sums} - with_outlet - {city})
    own_change = _change(
        _mean(city_sums.get((city, "before"), 0), 1, UPLIFT_WEEKS),
        _mean(city_sums.get((city, "after"), 0), 1, complete_after),
    )
    others_change = _change(
        _mean(sum(city_sums.get((c, "before"), 0) for c in comparable), len(comparable), UPLIFT_WEEKS),
        _mean(sum(city_sums.get((c, "after"), 0) for c in comparable), len(comparable), complete_after),
    )
    return {
        "partner_id": str(partner),
        "partner": launch[0]["partner_name"],
        "offer_id": str(launch[0]["id"]),
        "title": " · ".join(offer["title"] for offer in launch),
        "offers": len(launch),
        "launched_on": launched.isoformat(),
        "city": city,
        "weeks_before": UPLIFT_WEEKS,
        "weeks_after": complete_after,
        "treated_kecamatan": len(treated),
        "control_kecamatan": len(control),
        "treated_before": tb,
        "treated_after": ta,
        "control_before": cb,
        "control_after": ca,
        "difference_in_differences": did,
        "relative_uplift_percent": (did * HUNDRED / tb).quantize(Decimal("0.1")) if did is not None and tb else None,
        "comparison_cities": comparable,
        "city_change_percent": own_change,
        "comparison_change_percent": others_change,
        "city_vs_comparison_points": (own_change - others_change)
        if own_change is not None and others_change is not None
        else None,
        "caveat": UPLIFT_CAVEAT.render(language),
    }


async def quiet_partners(today: date, scope: str | None = None, days: int = 30) -> list[dict[str, Any]]:
    """Partners approved by an office within the scope without a redemption (anywhere) in the last `days` days:
    earlier KIA discount schemes died this way.

    A partner with a redemption this month (every day of which is within the last 30) is active: the monthly
    rollup says so in one small read. Only the others are looked up day by day, one index probe each."""
    await rollups.catch_up()  # every redemption committed before this read counts in it
    approved = await narrowed(PartnerOffice.select(PartnerOffice.partner), PartnerOffice.city_code, scope).where(
        PartnerOffice.status == PartnerStatus.APPROVED
    )
    ids = sorted({row["partner"] for row in approved})
    partners = await Partner.select(Partner.id, Partner.name).where(Partner.id.is_in(ids)) if ids else []
    since = today - timedelta(days=days)
    monthly = RedemptionMonthly
    this_month = {
        row["partner"]
        for row in await monthly.select(monthly.partner, Sum(monthly.redemptions).as_alias("n"))
        .where((monthly.slice == "partner") & (monthly.month == month_of(today)))
        .group_by(monthly.partner)
        if int(row["n"] or 0) > 0 and month_of(today) >= since
    }
    daily = RedemptionDaily
    result = []
    for partner in sorted(partners, key=lambda p: p["name"]):
        if partner["id"] in this_month:
            continue
        last = (
            await daily.select(daily.day)
            .where((daily.partner == partner["id"]) & (daily.redemptions > 0) & (daily.day <= today))
            .order_by(daily.day, ascending=False)
            .first()
        )
        if last is not None and last["day"] >= since:
            continue
        result.append(
            {"partner_id": str(partner["id"]), "name": partner["name"],
             "last_redemption_on": last["day"].isoformat() if last else None}
        )  # fmt: skip
    return result
