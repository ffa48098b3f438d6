"""Coverage of a province or of the whole country, read from the per-kabupaten/kota rollups: a national figure sums
514 cities' rows, never 83,000 kelurahan's.

A kabupaten/kota's coverage is its holders over its own population figure. A wider region's coverage counts only
the cities that have a population figure on the day, holders and children alike (adding the holders of cities
without one would overstate it), and says how many of its cities that is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from admin.tables import PopulationCount, UnenrolledCityMonthly
from core.offices import CITY_CODE_LENGTH, narrowed
from core.tables import Region, RegionLevel
from verification.service import rollups
from verification.service.rollups import month_of
from verification.tables import EnrolmentCityMonthly, PrintCityMonthly

UNDER_17 = 17
NATIONAL_NAME = "Indonesia"
CITY_LEVELS = (RegionLevel.KABUPATEN, RegionLevel.KOTA)


@dataclass
class Cities:
    """The kabupaten/kota within a scope, their names and provinces, and the provinces' names."""

    names: dict[str, str]
    province_of: dict[str, str]
    province_names: dict[str, str]


async def cities_within(scope: str | None) -> Cities:
    rows = await narrowed(
        Region.select(Region.code, Region.name, Region.level, Region.parent_code), Region.code, scope
    ).where(Region.level.is_in([RegionLevel.PROVINSI, *CITY_LEVELS]))
    return Cities(
        names={r["code"]: r["name"] for r in rows if r["level"] != RegionLevel.PROVINSI},
        province_of={r["code"]: r["parent_code"] or r["code"][:2] for r in rows if r["level"] != RegionLevel.PROVINSI},
        province_names={r["code"]: r["name"] for r in rows if r["level"] == RegionLevel.PROVINSI},
    )


@dataclass
class CityDays:
    """Per kabupaten/kota and day: holders (enrolled cards and counted KIAs of children under 17 that day) and
    programme enrolments; and each city's population figures."""

    enrolled: dict[tuple[str, date], int] = field(default_factory=dict)
    counted: dict[tuple[str, date], int] = field(default_factory=dict)
    enrolments: dict[tuple[str, date], int] = field(default_factory=dict)
    figures: dict[str, list[tuple[date, int]]] = field(default_factory=dict)

    def denominator(self, city: str, day: date) -> tuple[int, date] | None:
        found = None
        for as_of, children in self.figures.get(city, ()):
            if as_of > day:
                break
            found = (children, as_of)
        return found


async def city_days(scope: str | None, days: list[date]) -> CityDays:
    """Every city's holders and enrolments on each of `days` (ascending): one grouped read per rollup (the months
    before the first day summed into one, the birth years folded into the few years the days fall in), summed up
    month by month here."""
    await rollups.catch_up()  # every redemption committed before this read counts in it
    result = CityDays()
    if not days:
        return result
    first, last = month_of(days[0]), days[-1]
    result.enrolled = await _running(PrintCityMonthly, "print_month", "cards", scope, first, days)
    result.counted = await _running(UnenrolledCityMonthly, "counted_from", "holders", scope, first, days)
    result.enrolments = await _running(EnrolmentCityMonthly, "month", "enrolled", scope, first, days, by_age=False)
    for row in await denominator_rows_within(scope, last):
        result.figures.setdefault(row["region_code"], []).append((row["as_of"], row["children"]))
    return result


async def denominator_rows_within(scope: str | None, until: date) -> list[dict[str, Any]]:
    """The kabupaten/kota population figures within a scope dated on or before `until`, oldest first."""
    query = narrowed(
        PopulationCount.select(PopulationCount.region_code, PopulationCount.children, PopulationCount.as_of),
        PopulationCount.region_code,
        scope,
    )
    rows = (
        await query.where(PopulationCount.as_of <= until)
        .order_by(PopulationCount.as_of)
        .order_by(PopulationCount.recorded_at)
    )
    return [row for row in rows if len(row["region_code"]) == CITY_CODE_LENGTH]


async def _running(
    table: Any, month: str, counter: str, scope: str | None, first: date, days: list[date], by_age: bool = True
) -> dict[tuple[str, date], int]:
    """Per city, the total of `counter` up to each of `days`. A child counts on a day of year Y while born after
    Y - 17, so each city-month row carries one sum per year the days fall in (a few columns instead of seventeen
    birth years), and the months before the first day are summed into one. Names and years are this module's own;
    every other value is a parameter."""
    years = [int(year) for year in sorted({day.year for day in days})]
    if by_age:
        sums = ", ".join(
            f"SUM(CASE WHEN birth_year + {UNDER_17} > {year} THEN {counter} ELSE 0 END) AS y{year}" for year in years
        )
    else:
        sums = ", ".join(f"SUM({counter}) AS y{year}" for year in years)
    clamped = f"CASE WHEN {month} < {{}} THEN {{}} ELSE {month} END"
    source = f"{table._meta.tablename} WHERE {month} <= {{}}"
    sql = f"SELECT city_code, {clamped} AS month, {sums} FROM {source}"  # noqa: S608
    args: list[Any] = [first, first, days[-1]]
    if by_age:
        sql += f" AND birth_year + {UNDER_17} > {{}}"
        args.append(years[0])
    if scope is not None:
        sql += " AND (city_code = {} OR city_code LIKE {})"
        args += [scope, scope + ".%"]
    rows = await table.raw(sql + " GROUP BY city_code, 2", *args)
    cells: dict[str, list[tuple[date, dict[str, Any]]]] = defaultdict(list)
    for row in rows:
        cells[row["city_code"]].append((as_date(row["month"]), row))
    totals: dict[tuple[str, date], int] = {}
    for city, city_rows in cells.items():
        city_rows.sort(key=lambda cell: cell[0])
        running = dict.fromkeys(years, 0)
        index = 0
        for day in days:
            while index < len(city_rows) and city_rows[index][0] <= day:
                row = city_rows[index][1]
                for year in years:
                    running[year] += int(row[f"y{year}"] or 0)
                index += 1
            totals[(city, day)] = running[day.year]
    return totals


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass
class Tally:
    """What a region's coverage is summed from: all its holders, and the holders and children of its cities that
    have a population figure."""

    enrolled: int = 0
    counted: int = 0
    enrolments: int = 0
    holders_with_figure: int = 0
    children: int = 0
    cities: int = 0
    cities_with_figure: int = 0
    oldest_figure: date | None = None

    def add(self, cells: CityDays, city: str, day: date) -> None:
        enrolled, counted = cells.enrolled.get((city, day), 0), cells.counted.get((city, day), 0)
        self.enrolled += enrolled
        self.counted += counted
        self.enrolments += cells.enrolments.get((city, day), 0)
        self.cities += 1
        figure = cells.denominator(city, day)
        if figure is not None:
            self.holders_with_figure += enrolled + counted
            self.children += figure[0]
            self.cities_with_figure += 1
            self.oldest_figure = min(self.oldest_figure or figure[1], figure[1])


def tally(cells: CityDays, cities: Iterable[str], day: date) -> Tally:
    total = Tally()
    for city in cities:
        total.add(cells, city, day)
    return total


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_ends(first_month: date, last_day: date) -> list[date]:
    """Each month's last day from `first_month`'s month on; the last point is `last_day` itself."""
    days, month = [], month_of(first_month)
    while month <= last_day:
        days.append(min(month_end(month), last_day))
        month = month_end(month) + timedelta(days=1)
    return days
