"""`mitrakia regions import`: load or update the region tree from a CSV file, idempotently; codes are retired, never
deleted, so the cards and outlets that hold them keep their meaning."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.database.statements import bulk_insert, bulk_update
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid, TooManyRegionsRetired
from core.i18n import Text
from core.service.audit import record_event
from core.service.regions import forget_cached_regions
from core.tables import Region, RegionLevel

SHIPPED_FILE = Path(__file__).resolve().parents[1] / "data" / "regions_indonesia.csv.gz"
COLUMNS = ("code", "name", "level", "parent_code", "postal_code")
OPTIONAL_COLUMNS = ("replaced_by",)
INSERTED = (*COLUMNS, "valid_from", "valid_until", "replaced_by")
# More retirements than this share of the codes in force is more likely a partial or wrong file than a decree.
MAX_RETIRED_SHARE = 0.01
MAX_PROBLEMS = 50  # a wrong file would otherwise list a problem for each of its 91,599 rows

# A code's depth (dots) gives its level; kabupaten and kota share one.
DEPTH = {RegionLevel.PROVINSI: 0, RegionLevel.KABUPATEN: 1, RegionLevel.KOTA: 1, RegionLevel.KECAMATAN: 2,
         RegionLevel.KELURAHAN: 3}  # fmt: skip
CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
POSTAL_CODE = re.compile(r"\d{5}")
NAME_LENGTH = 100

NOT_CSV = Text(
    "Berkas bukan CSV UTF-8 (boleh dikompresi gzip).", "The file is not a UTF-8 CSV (gzip-compressed or not)."
)
HEADER = Text("Kolom wajib: {columns}.", "Required columns: {columns}.")
EMPTY = Text("Berkas tidak berisi wilayah.", "The file holds no regions.")
BAD_CODE = Text(
    "Bukan kode wilayah Kemendagri (mis. 31.71.01.1001).", "Not a Kemendagri region code (e.g. 31.71.01.1001)."
)
DUPLICATE = Text("Kode ini sudah ada di baris {line}.", "This code is already on line {line}.")
BAD_LEVEL = Text("Tingkat harus salah satu dari: {levels}.", "The level must be one of: {levels}.")
LEVEL_MISMATCH = Text("Tingkat {level} tidak cocok dengan bentuk kodenya.", "Level {level} does not fit the code.")
BAD_NAME = Text(
    "Nama wajib diisi, paling banyak {length} karakter.", "A name is required, at most {length} characters."
)
BAD_POSTAL = Text("Kode pos terdiri dari 5 angka.", "A postal code is 5 digits.")
BAD_PARENT = Text(
    "Wilayah induk {parent} harus ada di berkas, berlaku, satu tingkat di atas.",
    "The parent {parent} must be in the file, in force, one level above.",
)
BAD_REPLACEMENT = Text(
    "Kode pengganti {code} harus ada di berkas, berlaku, pada tingkat yang sama.",
    "The replacing code {code} must be in the file, in force, at the same level.",
)
MORE_PROBLEMS = Text("… dan {count} masalah lain.", "… and {count} more problems.")


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    postal_code: str | None
    replaced_by: str | None = None  # set: the file retires this code in favour of that one


@dataclass(slots=True)
class RegionImport:
    """What an import did (or, refused, would have done); the counts are those the command prints."""

    source: str
    sha256: str
    effective: date
    in_file: int = 0
    inserted: int = 0
    renamed: int = 0
    updated: int = 0  # level, parent or postal code changed (a rename alone counts in `renamed`)
    retired: int = 0
    reinstated: int = 0
    unchanged: int = 0
    changes: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return any((self.inserted, self.renamed, self.updated, self.retired, self.reinstated))

    def counts(self) -> dict[str, int]:
        names = ("in_file", "inserted", "renamed", "updated", "retired", "reinstated", "unchanged")
        return {name: getattr(self, name) for name in names}


def read_region_file(content: bytes) -> list[RegionRow]:
    """The rows of a region file (gzip or plain CSV, UTF-8, the columns of core/data/regions_indonesia.csv.gz and
    optionally `replaced_by`), refused whole with its problems by line number when any row is wrong."""
    try:
        text = (gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content).decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError):
        raise Invalid([FieldProblem("file", "not_csv", NOT_CSV)]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not set(COLUMNS) <= set(header):
        raise Invalid([FieldProblem("file", "missing_columns", HEADER, {"columns": ",".join(COLUMNS)})])
    reader.fieldnames = header
    rows: list[RegionRow] = []
    lines: dict[str, int] = {}
    problems: list[FieldProblem] = []
    for raw in reader:
        line = reader.line_num
        values = {key: (raw.get(key) or "").strip() for key in (*COLUMNS, *OPTIONAL_COLUMNS)}
        row = RegionRow(
            code=values["code"], name=" ".join(values["name"].split()), level=values["level"].lower(),
            parent_code=values["parent_code"] or None, postal_code=values["postal_code"] or None,
            replaced_by=values["replaced_by"] or None,
        )  # fmt: skip
        problems += _row_problems(row, f"row {line}.", lines)
        lines.setdefault(row.code, line)
        rows.append(row)
    if not rows:
        problems.append(FieldProblem("file", "no_regions", EMPTY))
    if not problems:
        problems = _tree_problems(rows, lines)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(FieldProblem("file", "more_problems", MORE_PROBLEMS, {"count": len(problems) - MAX_PROBLEMS}))
        raise Invalid(shown)
    return rows


def _row_problems(row: RegionRow, where: str, lines: dict[str, int]) -> list[FieldProblem]:
    problems = []
    if not CODE.fullmatch(row.code):
        problems.append(FieldProblem(f"{where}code", "invalid_code", BAD_CODE))
    elif row.code in lines:
        problems.append(FieldProblem(f"{where}code", "duplicate_code", DUPLICATE, {"line": lines[row.code]}))
    if row.level not in DEPTH:
        levels = ", ".join(level.value for level in RegionLevel)
        problems.append(FieldProblem(f"{where}level", "unknown_level", BAD_LEVEL, {"levels": levels}))
    elif CODE.fullmatch(row.code) and row.code.count(".") != DEPTH[RegionLevel(row.level)]:
        problems.append(FieldProblem(f"{where}level", "level_mismatch", LEVEL_MISMATCH, {"level": row.level}))
    if not row.name or len(row.name) > NAME_LENGTH:
        problems.append(FieldProblem(f"{where}name", "invalid_name", BAD_NAME, {"length": NAME_LENGTH}))
    if row.postal_code is not None and not POSTAL_CODE.fullmatch(row.postal_code):
        problems.append(FieldProblem(f"{where}postal_code", "invalid_postal_code", BAD_POSTAL))
    if row.replaced_by is not None and not CODE.fullmatch(row.replaced_by):
        problems.append(FieldProblem(f"{where}replaced_by", "invalid_code", BAD_CODE))
    return problems


def _tree_problems(rows: list[RegionRow], lines: dict[str, int]) -> list[FieldProblem]:
    """Each parent and each replacement is a code of the file in force, at the level it must be."""
    by_code = {row.code: row for row in rows}
    problems = []
    for row in rows:
        where = f"row {lines[row.code]}."
        depth = DEPTH[RegionLevel(row.level)]
        parent = by_code.get(row.parent_code or "")
        if (depth == 0) != (row.parent_code is None) or (
            row.parent_code is not None
            and (
                parent is None
                or (parent.replaced_by and not row.replaced_by)
                or DEPTH[RegionLevel(parent.level)] != depth - 1
            )
        ):
            problems.append(FieldProblem(f"{where}parent_code", "unknown_parent", BAD_PARENT,
                                         {"parent": row.parent_code or "-"}))  # fmt: skip
        if row.replaced_by is not None:
            replacement = by_code.get(row.replaced_by)
            if replacement is None or replacement.replaced_by or DEPTH[RegionLevel(replacement.level)] != depth:
                problems.append(FieldProblem(f"{where}replaced_by", "unknown_replacement", BAD_REPLACEMENT,
                                             {"code": row.replaced_by}))  # fmt: skip
    return problems


async def import_regions(
    content: bytes, source: str, effective: date, *, allow_many_retired: bool = False
) -> RegionImport:
    """Bring the region table to the file, in one transaction: new codes inserted (in force from `effective`),
    names and other columns updated, codes the file lacks or marks `replaced_by` retired from `effective` (never
    deleted), retired codes the file lists again reinstated. The same file again changes nothing. Refuses (before
    writing anything) to retire more than MAX_RETIRED_SHARE of the codes in force unless `allow_many_retired`."""
    rows = read_region_file(content)
    result = RegionImport(source=source, sha256=hashlib.sha256(content).hexdigest(), effective=effective)
    async with write_transaction():
        current = {
            row["code"]: row
            for row in await Region.select(
                Region.code, Region.name, Region.level, Region.parent_code, Region.postal_code, Region.valid_until,
                Region.replaced_by,
            )
        }  # fmt: skip
        _plan(rows, current, result)
        in_force = sum(1 for row in current.values() if row["valid_until"] is None or row["valid_until"] > effective)
        if result.retired > MAX_RETIRED_SHARE * in_force and not allow_many_retired:
            share = f"{MAX_RETIRED_SHARE * 100:g}"
            raise TooManyRegionsRetired(retired=result.retired, in_force=in_force, share=share)
        if result.changed:
            await _write(result.changes)
            after = {**result.counts(), "effective": effective.isoformat(), "sha256": result.sha256}
            await record_event("regions.import", "region_file", source[-64:], after=after)
    forget_cached_regions()
    return result


def _plan(rows: list[RegionRow], current: dict[str, dict[str, Any]], result: RegionImport) -> None:
    """Fill `result` with the counts and the statements' rows that bring `current` to the file."""
    effective = result.effective
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    retirements: list[tuple[Any, ...]] = []
    reinstatements: list[tuple[Any, ...]] = []
    for row in rows:
        old = current.get(row.code)
        if old is None:
            inserts.append((row.code, row.name, row.level, row.parent_code, row.postal_code, effective,
                            effective if row.replaced_by else None, row.replaced_by))  # fmt: skip
            result.inserted += 1
            continue
        touched = False
        if (old["name"], old["level"], old["parent_code"], old["postal_code"]) != (
            row.name, row.level, row.parent_code, row.postal_code,
        ):  # fmt: skip
            updates.append((row.name, row.level, row.parent_code, row.postal_code, row.code))
            if old["name"] != row.name:
                result.renamed += 1
            else:
                result.updated += 1
            touched = True
        retired = old["valid_until"] is not None
        if row.replaced_by and (not retired or old["replaced_by"] != row.replaced_by):
            retirements.append((old["valid_until"] or effective, row.replaced_by, row.code))
            result.retired += 0 if retired else 1
            touched = True
        elif not row.replaced_by and retired:
            reinstatements.append((effective, None, None, row.code))
            result.reinstated += 1
            touched = True
        result.unchanged += 0 if touched else 1
    listed = {row.code for row in rows}
    for code, old in current.items():
        if code not in listed and old["valid_until"] is None:
            retirements.append((effective, None, code))
            result.retired += 1
    result.in_file = len(rows)
    result.changes = {"insert": inserts, "update": updates, "retire": retirements, "reinstate": reinstatements}


async def _write(changes: dict[str, list[tuple[Any, ...]]]) -> None:
    """Each kind of change as one prepared statement for all its rows (a whole country is 91,599 rows)."""
    await bulk_insert(Region, INSERTED, changes["insert"])
    await bulk_update(Region, ("name", "level", "parent_code", "postal_code"), "code", changes["update"])
    await bulk_update(Region, ("valid_until", "replaced_by"), "code", changes["retire"])
    await bulk_update(Region, ("valid_from", "valid_until", "replaced_by"), "code", changes["reinstate"])
