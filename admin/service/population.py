"""Coverage's denominators and targets: children aged 0–16 per region as of a date, and yearly targets. Entered one
by one or imported from CSV; every figure is kept with its date and who recorded it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from admin.tables import CoverageTarget, PopulationCount
from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.offices import covers, seen, within
from core.service.audit import record_event
from core.tables import Region

POPULATION_COLUMNS = ("region_code", "as_of", "children_0_16", "source")
REGION = Text("Kode wilayah tidak dikenal.", "Unknown region code.")
CHILDREN = Text("Jumlah anak: bilangan bulat 0 sampai 100.000.000.", "Children: a whole number up to 100,000,000.")
DATE = Text("Tanggal tidak valid (YYYY-MM-DD).", "Not a valid date (YYYY-MM-DD).")
PERCENT = Text("Target dalam persen: 0 sampai 100.", "The target in percent: 0 to 100.")
YEAR = Text("Tahun 2016 sampai 2100.", "A year from 2016 to 2100.")
NOT_CSV = Text("Berkas harus CSV dengan pengodean UTF-8.", "The file must be CSV in UTF-8.")
NO_FIGURES = Text("Tidak ada angka untuk dicatat.", "There are no figures to record.")
OUTSIDE_REACH = Text(
    "Wilayah {region} berada di luar wilayah kerja Anda.", "The region {region} lies outside your work area."
)
HEADER = Text("Baris judul harus memuat: {columns}.", "The header must contain: {columns}.")


@dataclass(frozen=True)
class PopulationEntry:
    region_code: str
    as_of: date
    children: int
    source: str | None = None


async def _known_regions(codes: set[str]) -> set[str]:
    if not codes:
        return set()
    return {row["code"] for row in await Region.select(Region.code).where(Region.code.is_in(list(codes)))}


def _nowhere(index: int) -> str:
    return ""


async def record_population(
    entries: list[PopulationEntry], actor: CurrentUser | None, where_of: Callable[[int], str] = _nowhere
) -> int:
    """Record figures (all or none). `where_of(i)` prefixes the field names of the i-th one's problems: `body[0].` for
    the API, `row 2.` for a CSV file, nothing for a form."""
    if not entries:  # an empty list or a CSV file with only its header: nothing to insert is a mistake, not a 500
        raise Invalid([FieldProblem("figures", "no_figures", NO_FIGURES)])
    known = await _known_regions({entry.region_code for entry in entries})
    problems: list[FieldProblem] = []
    for index, entry in enumerate(entries):
        where = where_of(index)
        if entry.region_code not in known:
            problems.append(FieldProblem(f"{where}region_code", "unknown_region", REGION))
        elif actor is not None and not covers(actor.region, entry.region_code):
            problems.append(outside_reach(f"{where}region_code", entry.region_code))
        if not 0 <= entry.children <= 100_000_000:
            problems.append(FieldProblem(f"{where}children", "invalid_children", CHILDREN))
    if problems:
        raise Invalid(problems)
    async with write_transaction():
        await PopulationCount.insert(
            *[
                PopulationCount(
                    region_code=e.region_code,
                    as_of=e.as_of,
                    children=e.children,
                    source=(e.source or "").strip()[:200] or None,
                    recorded_by=actor.id if actor else None,
                )
                for e in entries
            ]
        )
        await record_event("population.recorded", "population", None, actor=actor, after={"figures": len(entries)})
    return len(entries)


def csv_row(index: int) -> str:
    """Where the i-th figure of a CSV file is: line 1 is the header."""
    return f"row {index + 2}."


def parse_population_form(fields: dict[str, str]) -> PopulationEntry:
    """One figure from the page's form (`region_code`, `as_of`, `children`, `source`), with the API's messages."""
    problems: list[FieldProblem] = []
    try:
        as_of = date.fromisoformat(fields.get("as_of", "").strip())
    except ValueError:
        problems.append(FieldProblem("as_of", "invalid_date", DATE))
    children = fields.get("children", "").strip().replace(".", "")
    if not children.isdigit():
        problems.append(FieldProblem("children", "invalid_children", CHILDREN))
    if problems:
        raise Invalid(problems)
    return PopulationEntry(fields.get("region_code", "").strip(), as_of, int(children), fields.get("source"))


def parse_population_csv(content: bytes) -> list[PopulationEntry]:
    """`region_code,as_of,children_0_16,source` rows; problems are reported by row number (line 1 is the header)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid([FieldProblem("file", "not_csv", NOT_CSV)]) from None
    if "\x00" in text:  # a binary file, not a CSV export (and PostgreSQL cannot store a NUL in text)
        raise Invalid([FieldProblem("file", "not_csv", NOT_CSV)])
    reader = csv.DictReader(io.StringIO(text))
    header = {name.strip().lower() for name in reader.fieldnames or []}
    missing = [c for c in POPULATION_COLUMNS[:3] if c not in header]
    if missing:
        raise Invalid([FieldProblem("file", "missing_columns", HEADER, {"columns": ", ".join(POPULATION_COLUMNS)})])
    entries, problems = [], []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            as_of = date.fromisoformat(row["as_of"])
        except ValueError:
            problems.append(FieldProblem(f"row {number}.as_of", "invalid_date", DATE))
            continue
        if not row["children_0_16"].isdigit():
            problems.append(FieldProblem(f"row {number}.children_0_16", "invalid_children", CHILDREN))
            continue
        entries.append(PopulationEntry(row["region_code"], as_of, int(row["children_0_16"]), row.get("source")))
    if problems:
        raise Invalid(problems)
    return entries


async def population_history(reader: CurrentUser | None, region_code: str | None = None) -> list[dict[str, Any]]:
    """The figures of the regions within the reader's reach, oldest first."""
    query = seen(PopulationCount.select(), PopulationCount.region_code, reader)
    query = query.order_by(PopulationCount.as_of).order_by(PopulationCount.recorded_at)
    if region_code:
        query = query.where(PopulationCount.region_code == region_code)
    return await query


def outside_reach(field: str, region_code: str) -> FieldProblem:
    return FieldProblem(field, "region_outside_reach", OUTSIDE_REACH, {"region": region_code})


def bad_year() -> FieldProblem:
    return FieldProblem("year", "invalid_year", YEAR)


async def set_target(
    year: int, percent: Decimal | float | str, region_code: str | None, source: str | None, actor: CurrentUser | None
) -> None:
    problems: list[FieldProblem] = []
    try:
        value = Decimal(str(percent))
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) <= value <= Decimal(100):
        problems.append(FieldProblem("target_percent", "invalid_percent", PERCENT))
    if not 2016 <= year <= 2100:
        problems.append(bad_year())
    if region_code and region_code not in await _known_regions({region_code}):
        problems.append(FieldProblem("region_code", "unknown_region", REGION))
    elif actor is not None and not (covers(actor.region, region_code) if region_code else actor.region is None):
        # A region's own target is set within its reach; the national one only nationally.
        problems.append(outside_reach("region_code", region_code or "ID"))
    if problems:
        raise Invalid(problems)
    async with write_transaction():
        await CoverageTarget.insert(
            CoverageTarget(
                year=year,
                region_code=region_code or None,
                target_percent=value,
                source=(source or "").strip()[:200] or None,
                recorded_by=actor.id if actor else None,
            )
        )
        await record_event(
            "target.recorded", "coverage_target", f"{year}:{region_code or 'ID'}", actor=actor,
            after={"year": year, "region": region_code, "percent": str(value)},
        )  # fmt: skip


async def target_history(reader: CurrentUser | None) -> list[dict[str, Any]]:
    """The national targets and those of the regions within the reader's reach."""
    query = CoverageTarget.select()
    if reader is not None and (within_reach := within(CoverageTarget.region_code, reader.region)) is not None:
        query = query.where(CoverageTarget.region_code.is_null() | within_reach)
    return await query.order_by(CoverageTarget.year).order_by(CoverageTarget.recorded_at)


async def targets_until(year: int) -> list[dict[str, Any]]:
    """Every target set for `year` or a year before it, by year, then oldest recorded first."""
    return await (
        CoverageTarget.select()
        .where(CoverageTarget.year <= year)
        .order_by(CoverageTarget.year)
        .order_by(CoverageTarget.recorded_at)
    )


@dataclass(frozen=True)
class Target:
    """A coverage target and the year it was set for: an earlier year's when `year`'s own is not set yet (carried,
    and shown as such: a line that stops, or a gap that cannot be read, says less than last year's 60%)."""

    percent: Decimal
    year: int


def pick_target(rows: list[dict[str, Any]], region_chain: list[str], year: int) -> Target | None:
    """The target for `year`: the region's own (the nearest region up its chain), else the national one, the latest
    recorded figure winning; with none set for `year`, the latest earlier year's. `rows`: targets_until(year) or
    more, oldest first."""
    for set_for in sorted({int(r["year"]) for r in rows if int(r["year"]) <= year}, reverse=True):
        that_year = [r for r in rows if int(r["year"]) == set_for]
        for code in region_chain:
            own = [r for r in that_year if r["region_code"] == code]
            if own:
                return Target(Decimal(own[-1]["target_percent"]), set_for)
        national = [r for r in that_year if r["region_code"] is None]
        if national:
            return Target(Decimal(national[-1]["target_percent"]), set_for)
    return None


async def denominator_rows(region_codes: list[str], until: date) -> list[dict[str, Any]]:
    """Every figure for these regions dated on or before `until`, oldest first (by date, then by recording)."""
    return await (
        PopulationCount.select(PopulationCount.region_code, PopulationCount.children, PopulationCount.as_of)
        .where(PopulationCount.region_code.is_in(region_codes) & (PopulationCount.as_of <= until))
        .order_by(PopulationCount.as_of)
        .order_by(PopulationCount.recorded_at)
    )


def pick_denominator(rows: list[dict[str, Any]], region_code: str, day: date) -> tuple[int, date] | None:
    """The latest figure for the region dated on or before `day` (the latest recorded, for that date)."""
    found = None
    for row in rows:
        if row["region_code"] == region_code and row["as_of"] <= day:
            found = (row["children"], row["as_of"])
    return found


async def denominator_for(region_code: str, day: date) -> tuple[int, date] | None:
    return pick_denominator(await denominator_rows([region_code], day), region_code, day)
