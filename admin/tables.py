"""Dukcapil's tables: registry import batches with their row problems, printed KIAs without consent (counts), and
outreach campaigns with their visit counts and attributed enrolments."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    UUID,
    BigSerial,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class ImportStatus(StrEnum):
    PREVIEWING = "previewing"  # the file is being read; nothing is written
    READY = "ready"  # the preview is ready: the clerk imports it or discards it
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"  # the clerk discarded the preview, or left it past its day


class ImportKind(StrEnum):
    FULL = "full"  # every KIA of the scope: its counts are replaced, and its cards missing from the file are named
    PARTIAL = "partial"  # some children of the scope: their cards are added or updated, counts are left alone


class MissingCards(StrEnum):
    """What becomes of the scope's cards that a full export does not list."""

    KEEP = "keep"
    MOVED = "moved"  # the child moved away: the card is revoked and no longer counted from the export's date


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
    # The area the file speaks for: the kabupaten/kota, or a kecamatan or kelurahan within it.
    scope_code = Varchar(length=13, default="")
    kind = Varchar(length=10, choices=ImportKind, default=ImportKind.FULL)
    # A full export that corrects figures already shown: why (audited). Its changes count from the KIAs' print
    # months instead of the export's date, and reports mark the figures it changed.
    correction_reason = Text(null=True, default=None)
    preview = JSON(null=True, default=None)  # counts and coverage changes computed before anything is written
    not_in_file = Integer(default=0)  # the scope's active cards a full export does not list
    missing = Varchar(length=10, choices=MissingCards, null=True, default=None)
    moved = Integer(default=0)
    not_counted = Integer(default=0)  # rows without consent in a partial file: only a full export sets counts
    started_by = UUID(null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow())
    confirmed_by = UUID(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class ImportFile(Table, tablename="registry_import_file"):
    """An uploaded export between its preview and its import: it holds NIKs and birth dates, so it is deleted once
    the import ends or the preview is discarded (retention removes one left behind)."""

    id = BigSerial(primary_key=True)
    batch = ForeignKey(references=ImportBatch, on_delete=OnDelete.cascade, null=False, unique=True)
    content = Bytea()


class ImportProblem(Table, tablename="registry_import_problem"):
    """Why a row was refused: its number in the file, the column and a stable code. Never the row's values."""

    id = BigSerial(primary_key=True)
    batch = ForeignKey(references=ImportBatch, on_delete=OnDelete.cascade, null=False, index=True)
    row_number = Integer()
    field = Varchar(length=32)
    code = Varchar(length=40)


class UnenrolledKia(Table, tablename="unenrolled_kia"):
    """Printed KIAs whose parents did not consent: counts only, by kelurahan, birth year and print month — a
    ledger, never rewritten.

    A full export of an area brings its counts to the file's: each import adds the difference per bucket, counted
    from the export's month (`counted_from`), so the figure of an earlier date stays what was known then. Only the
    first export of an area, or an explicit correction, counts from the print months themselves.
    """

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="", index=True)
    kelurahan_code = Varchar(length=13, index=True)
    birth_year = Integer()
    print_month = Date()
    # The first month these holders count in coverage: the print month or a later export's (always written; null
    # only in the instant a previous version's rows are migrated).
    counted_from = Date(null=True, default=None)
    holders = Integer()  # negative where an export lists fewer than before
    batch = UUID(null=True, default=None)


class UnenrolledCityMonthly(Table, tablename="unenrolled_kia_city_monthly"):
    """`UnenrolledKia` summed per kabupaten/kota by the month they count from, recounted for an office after each
    of its imports: what province and national coverage read."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5)
    counted_from = Date()
    birth_year = Integer()
    holders = Integer(default=0)


class CoverageCorrection(Table, tablename="coverage_correction"):
    """An explicit correction of figures already shown: the area, the first month it changed, why, and who did it.
    Reports mark the figures of that area from that month as corrected."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, index=True)
    scope_code = Varchar(length=13)
    from_month = Date()
    reason = Text()
    batch = UUID(null=True, default=None)
    corrected_by = UUID(null=True, default=None)
    corrected_at = Timestamptz(default=TimestamptzNow())


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


class BreachStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class BreachIncident(Table, tablename="breach_incident"):
    """A personal-data incident recorded by Dukcapil (UU PDP 27/2022 art. 46): what happened, to whose data, what
    was done, and when the supervisory authority and the parents were told — within 3 × 24 hours of discovery."""

    id = UUID(primary_key=True)
    # The office that records it (a kabupaten/kota), or a wider reach (province, or "" for the whole country).
    scope_code = Varchar(length=13, default="", index=True)
    discovered_at = Timestamptz()
    description = Text()
    categories = JSON(default=list)  # the kinds of data concerned (`BREACH_CATEGORIES`)
    regions = JSON(default=list)  # region codes of the children concerned
    children_affected = Integer(default=0)
    measures = Text(default="")
    status = Varchar(length=10, choices=BreachStatus, default=BreachStatus.OPEN)
    authority_notified_at = Timestamptz(null=True, default=None)
    parents_notified_at = Timestamptz(null=True, default=None)
    others_notified = Text(default="")  # who else was told and when (the police, the partner, ...), as written
    recorded_by = UUID(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class KiaGuide(Table, tablename="kia_guide"):
    """What one kabupaten/kota's Dukcapil tells parents about getting a KIA there: its office, hours and channels,
    written by that office (the documents needed are Permendagri 2/2016's, the same everywhere: admin.service)."""

    city_code = Varchar(length=5, primary_key=True)
    office_name = Varchar(length=120)
    address = Text()
    hours = Text()  # plain lines, e.g. "Senin–Kamis 08.00–15.00"
    channels = Text(default="")  # plain lines: a website, a WhatsApp number, an app
    notes = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = UUID(null=True, default=None)


class CampaignKind(StrEnum):
    SCHOOL = "school"  # a school or one class: letters home, a talk at a parents' meeting
    WHATSAPP_GROUP = "whatsapp_group"  # a school's parents' WhatsApp group
    POSTER_RUN = "poster_run"  # posters on notice boards, in shop windows
    EVENT = "event"  # a stand at an event, a mobile counter (jemput bola)
    OTHER = "other"


class Campaign(Table, tablename="campaign"):
    """One outreach action of a Dukcapil office, with the short code that its link, poster and enrolments carry.
    Unique code, by an index made in a migration (SQLite cannot add a unique column to a table)."""

    id = UUID(primary_key=True)
    city_code = Varchar(length=5, index=True)  # the office that runs it
    code = Varchar(length=8)  # Crockford base 32, no I, L, O or U: read aloud at a counter, typed in an import
    name = Varchar(length=120)
    kind = Varchar(length=20, choices=CampaignKind)
    school_name = Varchar(length=120, default="")  # where the campaign is a school's: reports group by it
    kecamatan_code = Varchar(length=13, default="")  # where it happens: reports group by it
    landing = Varchar(length=20, default="guide")  # "guide" (how to get a KIA here) or "catalog" (the offers)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class CampaignVisit(Table, tablename="campaign_visit"):
    """Opens of a campaign's short link per local day: a count and nothing else (no address, no cookie, no device).
    Unique (campaign, day), by an index made in a migration."""

    id = BigSerial(primary_key=True)
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.cascade, null=False, index=True)
    day = Date()
    visits = Integer(default=0)


class CampaignEnrolment(Table, tablename="campaign_enrolment"):
    """A card enrolled through a campaign (its code on the registry row): attributed once, when the card is first
    enrolled; a later import never moves it."""

    id = BigSerial(primary_key=True)
    card = UUID()  # unique, by an index made in a migration
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.cascade, null=False, index=True)
    enrolled_on = Date(index=True)
    channel = Varchar(length=30)  # the card's enrolment channel, copied: what the per-channel report groups by


class ReportEventKind(StrEnum):
    SUPPLY_LIMIT = "supply_limit"  # blank cards or printer ink ran short: issuance fell for want of supply
    OTHER_PROGRAMME = "other_programme"  # e.g. a school-enrolment requirement, a mobile-counter drive
    OTHER = "other"


class ReportEvent(Table, tablename="report_event"):
    """Something besides the partners' offers that moves KIA issuance, written on the effect report and its charts so
    that nobody credits (or blames) the offers for it: a supply limit, another programme. Of an office's area (a
    kabupaten/kota or province code) or of the whole country (None)."""

    id = UUID(primary_key=True)
    region_code = Varchar(length=13, null=True, default=None, index=True)
    kind = Varchar(length=20, choices=ReportEventKind)
    title = Varchar(length=120)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
