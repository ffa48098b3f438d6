"""Dukcapil's tables: registry import batches with their row problems, and printed KIAs without consent (counts)."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import UUID, BigSerial, Bytea, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportBatch(Table, tablename="registry_import"):
    """One SIAK export imported: what it held and what became of each row."""

    id = UUID(primary_key=True)
    filename = Varchar(length=255)
    file_sha256 = Varchar(length=64, index=True)
    as_of = Date()
    status = Varchar(length=10, choices=ImportStatus, default=ImportStatus.RUNNING)
    total_rows = Integer(default=0)
    processed_rows = Integer(default=0)
    created = Integer(default=0)
    updated = Integer(default=0)
    unchanged = Integer(default=0)
    aggregated = Integer(default=0)
    rejected = Integer(default=0)
    error = Text(null=True, default=None)
    # The office that imported it: the kabupaten/kota whose children the export lists.
    city_code = Varchar(length=5, default="", index=True)
    started_by = UUID(null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class ImportProblem(Table, tablename="registry_import_problem"):
    """Why a row was refused: its number in the file, the column and a stable code. Never the row's values."""

    id = BigSerial(primary_key=True)
    batch = ForeignKey(references=ImportBatch, on_delete=OnDelete.cascade, null=False, index=True)
    row_number = Integer()
    field = Varchar(length=32)
    code = Varchar(length=40)


class UnenrolledKia(Table, tablename="unenrolled_kia"):
    """Printed KIAs whose parents did not consent: counts only, by kelurahan, birth year and print month.

    Each import replaces the counts of the kelurahan it contains (an export is the full list for those
    kelurahan), so a child who consents later moves from these counts to a card instead of being counted twice.
    """

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="", index=True)
    kelurahan_code = Varchar(length=13, index=True)
    birth_year = Integer()
    print_month = Date()
    holders = Integer()
    batch = UUID(null=True, default=None)


class UnenrolledCityMonthly(Table, tablename="unenrolled_kia_city_monthly"):
    """`UnenrolledKia` summed per kabupaten/kota, recounted for an office after each of its imports: what province
    and national coverage read."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5)
    print_month = Date()
    birth_year = Integer()
    holders = Integer(default=0)


class PopulationCount(Table, tablename="population_count"):
    """Children aged 0–16 living in a region on a date: coverage's denominator. It drifts every month, so each
    figure carries its date; entering a figure again for the same region and date keeps the old one as history."""

    id = BigSerial(primary_key=True)
    region_code = Varchar(length=13, index=True)
    as_of = Date(index=True)
    children = Integer()
    source = Varchar(length=200, null=True, default=None)
    recorded_by = UUID(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


class CoverageTarget(Table, tablename="coverage_target"):
    """A yearly KIA coverage target in percent: national (no region) or a region's own."""

    id = BigSerial(primary_key=True)
    year = Integer(index=True)
    region_code = Varchar(length=13, null=True, default=None)
    target_percent = Numeric(digits=(5, 2))
    source = Varchar(length=200, null=True, default=None)
    recorded_by = UUID(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


class PrintRun(Table, tablename="print_run"):
    """One bulk print from the console: an office's active cards of one kelurahan or one import (a school's list),
    signed afresh onto a PDF of sticker sheets. The PDF holds live credentials, so it is kept only a day."""

    id = UUID(primary_key=True)
    city_code = Varchar(length=5, index=True)
    kelurahan_code = Varchar(length=13, null=True, default=None)
    import_batch = UUID(null=True, default=None)
    label = Varchar(length=255)  # what was chosen, as the clerk saw it: a kelurahan's name or an import's file
    status = Varchar(length=10, choices=ImportStatus, default=ImportStatus.RUNNING)
    total = Integer(default=0)
    done = Integer(default=0)
    pdf = Bytea(null=True, default=None)
    started_by = UUID(null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
