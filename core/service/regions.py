"""Kemendagri region codes (kode wilayah): lookups for forms, validation and reports."""

from __future__ import annotations

from typing import Any

from core.tables import Region, RegionLevel


async def list_regions(level: RegionLevel | None = None, parent_code: str | None = None) -> list[dict[str, Any]]:
    query = Region.select(Region.code, Region.name, Region.level, Region.parent_code, Region.postal_code)
    if level is not None:
        query = query.where(Region.level == level)
    if parent_code is not None:
        query = query.where(Region.parent_code == parent_code)
    return await query.order_by(Region.code)


async def region_exists(code: str, level: RegionLevel | None = None) -> bool:
    query = Region.exists().where(Region.code == code)
    if level is not None:
        query = query.where(Region.level == level)
    return bool(await query)


async def kecamatan_of(kelurahan_code: str) -> str | None:
    row = await Region.select(Region.parent_code).where(Region.code == kelurahan_code).first()
    return row["parent_code"] if row else None


_PARENTS: dict[str, str | None] = {}


async def parent_of(code: str) -> str | None:
    """The parent region's code (a kelurahan's kecamatan), from a copy of the reference table kept in memory:
    region codes change only by migration."""
    if not _PARENTS:
        for row in await Region.select(Region.code, Region.parent_code):
            _PARENTS[row["code"]] = row["parent_code"]
    return _PARENTS.get(code)


async def kelurahan_by_kecamatan() -> list[tuple[str, list[tuple[str, str]]]]:
    """Kelurahan grouped under their kecamatan, for a form's grouped choice: [(kecamatan name, [(code, name)])]."""
    rows = await Region.select(Region.code, Region.name, Region.level, Region.parent_code).order_by(Region.name)
    kecamatan = {r["code"]: r["name"] for r in rows if r["level"] == RegionLevel.KECAMATAN}
    groups: dict[str, list[tuple[str, str]]] = {code: [] for code in kecamatan}
    for row in rows:
        if row["level"] == RegionLevel.KELURAHAN and row["parent_code"] in groups:
            groups[row["parent_code"]].append((row["code"], row["name"]))
    return sorted(((kecamatan[code], items) for code, items in groups.items()), key=lambda group: group[0])


async def region_names(codes: set[str]) -> dict[str, str]:
    """{code: name} of these regions."""
    if not codes:
        return {}
    rows = await Region.select(Region.code, Region.name).where(Region.code.is_in(list(codes)))
    return {row["code"]: row["name"] for row in rows}
