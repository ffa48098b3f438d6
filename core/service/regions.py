"""Kemendagri region codes (kode wilayah) of all Indonesia: look-ups for forms, validation and reports."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw

from core.errors import RegionQueryTooBroad
from core.localtime import local_date, utc_now
from core.tables import Region, RegionLevel

# A search answers this many regions unless asked for fewer; never more than SEARCH_LIMIT_MAX.
SEARCH_LIMIT = 20
SEARCH_LIMIT_MAX = 100
# Listing these levels without a parent or a search would answer thousands of rows (7,285 kecamatan, 83,762
# kelurahan): refused. Kabupaten and kota (514 together) and provinsi are listed whole.
NARROW_LEVELS = frozenset({RegionLevel.KECAMATAN, RegionLevel.KELURAHAN, None})
CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
CODE_PREFIX = re.compile(r"\d{1,2}(\.\d{0,2}){0,2}(\.\d{0,4})?")
# Kemendagri's decrees take effect on a calendar day in Jakarta.
DECREE_ZONE = "Asia/Jakarta"
ESCAPE = "ESCAPE '\\'"  # LIKE's escape character, the same on both databases (PostgreSQL's default, not SQLite's)
COLUMNS = (Region.code, Region.name, Region.level, Region.parent_code, Region.postal_code)


def today() -> date:
    return local_date(utc_now(), DECREE_ZONE)


def in_force(on: date | None = None) -> Any:
    """Codes in force on a day: never retired, or retired only from a later day (the decree's effective date)."""
    return Region.valid_until.is_null() | (Region.valid_until > (on or today()))


async def list_regions(
    level: RegionLevel | None = None,
    parent_code: str | None = None,
    q: str | None = None,
    limit: int | None = None,
    within: str | None = None,
) -> list[dict[str, Any]]:
    """Regions in force by level, parent, the region they lie `within` (a code: its descendants, whose codes start
    with it) and a search of names (case-insensitive, names starting with `q` first, then names containing it) or
    of codes (`q` of digits and dots: codes starting with it). A search answers SEARCH_LIMIT regions unless `limit`
    says otherwise; a list by parent or of kabupaten/kota is answered whole."""
    needle = " ".join((q or "").lower().split())
    if not needle and parent_code is None and level in NARROW_LEVELS:
        raise RegionQueryTooBroad()

    def matching(*where: Any) -> Any:
        # A new query each time: Piccolo's where() adds to the query it is called on.
        query = Region.select(*COLUMNS).where(in_force(), *where)
        if level is not None:
            query = query.where(Region.level == level)
        if parent_code is not None:
            query = query.where(Region.parent_code == parent_code)
        if within is not None:
            if not CODE.fullmatch(within):
                raise ValueError(f"not a region code: {within!r}")  # the API's parameter pattern refuses it first
            query = query.where(Region.code.like(within + ".%"))
        return query

    if not needle:
        query = matching().order_by(Region.code)
        return list(await (query.limit(limit) if limit else query))
    limit = min(limit or SEARCH_LIMIT, SEARCH_LIMIT_MAX)
    if CODE_PREFIX.fullmatch(needle):
        return list(await matching(Region.code.like(needle + "%")).order_by(Region.code).limit(limit))
    # Starting with the search, then containing it elsewhere; each part alphabetical. The patterns escape LIKE's
    # wildcards, so a `%` or `_` typed is looked for as itself.
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    starts, contains = escaped + "%", "%" + escaped + "%"
    by_name = OrderByRaw("lower(name)"), OrderByRaw("code")
    starting = await matching(WhereRaw(f"lower(name) LIKE {{}} {ESCAPE}", starts)).order_by(*by_name).limit(limit)
    if len(starting) >= limit:
        return list(starting)
    inside = await (
        matching(
            WhereRaw(f"lower(name) LIKE {{}} {ESCAPE}", contains),
            WhereRaw(f"lower(name) NOT LIKE {{}} {ESCAPE}", starts),
        )
        .order_by(*by_name)
        .limit(limit - len(starting))
    )
    return [*starting, *inside]


async def cities_by_provinsi() -> list[tuple[str, list[tuple[str, str]]]]:
    """The kabupaten/kota in force under their provinsi, for a form's grouped choice: [(provinsi name, [(code,
    name)])], provinsi by code (west to east), kabupaten/kota by name."""
    provinsi = await (
        Region.select(Region.code, Region.name)
        .where(Region.level == RegionLevel.PROVINSI, in_force())
        .order_by(Region.code)
    )
    cities = await (
        Region.select(Region.code, Region.name, Region.parent_code)
        .where(Region.level.is_in([RegionLevel.KABUPATEN, RegionLevel.KOTA]), in_force())
        .order_by(Region.name)
    )
    groups: dict[str, list[tuple[str, str]]] = {row["code"]: [] for row in provinsi}
    for row in cities:
        groups.setdefault(row["parent_code"], []).append((row["code"], row["name"]))
    return [(row["name"], groups[row["code"]]) for row in provinsi]


async def parent_names(rows: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """For each row's code, the names of the regions above it, nearest first (a kelurahan: its kecamatan, its
    kabupaten/kota, its provinsi): at most three queries, whatever the number of rows."""
    rows = list(rows)
    parents: dict[str, str | None] = {row["code"]: row["parent_code"] for row in rows}
    names: dict[str, str] = {}
    wanted = {parent for parent in parents.values() if parent}
    while wanted:
        found = await Region.select(Region.code, Region.name, Region.parent_code).where(Region.code.is_in(list(wanted)))
        for row in found:
            names[row["code"]] = row["name"]
            parents[row["code"]] = row["parent_code"]
        wanted = {row["parent_code"] for row in found if row["parent_code"] and row["parent_code"] not in names}
    result: dict[str, list[str]] = {}
    for row in rows:
        chain, current = [], row["parent_code"]
        while current and current in names:
            chain.append(names[current])
            current = parents.get(current)
        result[row["code"]] = chain
    return result


async def region_with_parents(code: str) -> dict[str, Any] | None:
    """One region (retired ones too: an outlet or a card may hold one) with `parent_names`, or None."""
    row = await Region.select(*COLUMNS).where(Region.code == code).first()
    if row is None:
        return None
    return {**row, "parent_names": (await parent_names([row]))[code]}


async def region_exists(code: str, level: RegionLevel | None = None) -> bool:
    """Whether a code is in force (a retired one no longer takes new outlets, offers or cards)."""
    query = Region.exists().where(Region.code == code).where(in_force())
    if level is not None:
        query = query.where(Region.level == level)
    return bool(await query)


async def kecamatan_of(kelurahan_code: str) -> str | None:
    row = await Region.select(Region.parent_code).where(Region.code == kelurahan_code).first()
    return row["parent_code"] if row else None


# A region's parent never changes in practice (a code that moves gets a new code); a bounded cache still keeps a
# server's memory flat however many codes its redemptions touch, and an import forgets it.
PARENT_CACHE_SIZE = 4096
_PARENTS: OrderedDict[str, str | None] = OrderedDict()


async def parent_of(code: str) -> str | None:
    """The parent region's code (a kelurahan's kecamatan), from a small cache of recent look-ups."""
    if code in _PARENTS:
        _PARENTS.move_to_end(code)
        return _PARENTS[code]
    row = await Region.select(Region.parent_code).where(Region.code == code).first()
    if row is None:
        return None  # not cached: the code may be imported later
    _PARENTS[code] = row["parent_code"]
    if len(_PARENTS) > PARENT_CACHE_SIZE:
        _PARENTS.popitem(last=False)
    return row["parent_code"]


def forget_cached_regions() -> None:
    _PARENTS.clear()


async def kelurahan_by_kecamatan(city_code: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The kecamatan in force of one kabupaten/kota, each with its kelurahan in force, by name, for a form's
    grouped choice: [(kecamatan code, kecamatan name, [(kelurahan code, name)])]. Two queries."""
    kecamatan = await (
        Region.select(Region.code, Region.name)
        .where(Region.parent_code == city_code, Region.level == RegionLevel.KECAMATAN, in_force())
        .order_by(Region.name)
    )
    if not kecamatan:
        return []
    kelurahan = await (
        Region.select(Region.code, Region.name, Region.parent_code)
        .where(
            Region.parent_code.is_in([row["code"] for row in kecamatan]),
            Region.level == RegionLevel.KELURAHAN,
            in_force(),
        )
        .order_by(Region.name)
    )
    groups: dict[str, list[tuple[str, str]]] = {row["code"]: [] for row in kecamatan}
    for row in kelurahan:
        groups[row["parent_code"]].append((row["code"], row["name"]))
    return [(row["code"], row["name"], groups[row["code"]]) for row in kecamatan]


async def tree_rows(code: str) -> list[dict[str, Any]]:
    """A region, every region below it by the parent links, and the regions above it; retired codes included (cards
    keep them). One query per level, each on the parent index: a city is 3 small queries, not the 91,599 rows."""
    columns = (Region.code, Region.name, Region.level, Region.parent_code)
    found = await Region.select(*columns).where(Region.code == code)
    if not found:
        return []
    rows = list(found)
    level_rows = found
    while level_rows:
        level_rows = await Region.select(*columns).where(Region.parent_code.is_in([r["code"] for r in level_rows]))
        rows += level_rows
    parent = found[0]["parent_code"]
    while parent:
        above = await Region.select(*columns).where(Region.code == parent).first()
        if above is None:
            break
        rows.append(above)
        parent = above["parent_code"]
    return rows


async def region_names(codes: set[str]) -> dict[str, str]:
    """{code: name} of these regions."""
    if not codes:
        return {}
    rows = await Region.select(Region.code, Region.name).where(Region.code.is_in(list(codes)))
    return {row["code"]: row["name"] for row in rows}
