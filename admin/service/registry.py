"""The SIAK registry import: every row validated, consented rows enrolled as cards, the rest counted only.

A file speaks for a scope the clerk chose (the office's kabupaten/kota, or a kecamatan or kelurahan in it) and a
date. Rows outside the scope are refused by row, and nothing outside it changes. A *full* export is every KIA of
its scope: the scope's counts without consent become the file's, and its cards the file does not list are named
for the clerk (keep, or mark moved). A *partial* file only adds and updates cards. Rows with parental consent
become cards (matched on the NIK's keyed HMAC, so re-imports update instead of duplicating); rows without consent
keep no personal data. Importing the same file again changes nothing.

Dated figures are history: a change counts from the export's month, so the coverage of an earlier date stays what
was known then — except for an area's first full export (nothing was known before) and an explicit correction
(audited, with a reason, and marked on the reports). On the console and the API the clerk sees a preview first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import structlog
from anyio import to_thread
from piccolo.query.functions.aggregate import Sum

from admin.errors import ImportNotFound, ImportNotReady
from admin.schemas import ImportPreview, ImportRead, ProblemRead
from admin.service import campaigns, reports
from admin.service.wide_coverage import UNDER_17, as_date
from admin.tables import (
    CoverageCorrection,
    ImportBatch,
    ImportFile,
    ImportKind,
    ImportProblem,
    ImportStatus,
    MissingCards,
    UnenrolledCityMonthly,
    UnenrolledKia,
)
from core.auth import CurrentUser
from core.database.statements import bulk_insert
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.offices import city_of, covers, narrowed, office_of, owned
from core.service.audit import record_event
from core.service.bulk import collector_paused
from core.settings import Settings
from core.stores import Stores
from core.tables import Region, RegionLevel
from verification.service import cards
from verification.tables import Card, CardStatus, Channel, Sex

log = structlog.get_logger()

COLUMNS = (
    "nik",
    "birth_date",
    "sex",
    "kelurahan_code",
    "kia_issued_on",
    "channel",
    "consent_guardian",
    "consent_version",
    "consent_at",
)
GUARDIANS = ("ayah", "ibu", "wali")  # father, mother, legal guardian
CONSENT_FIELDS = ("consent_guardian", "consent_version", "consent_at")
PROBLEM_CHUNK = 1000
PROGRESS_EVERY = 5000  # rows between progress notes on the batch row

# Every code a row can be refused with, and what it means for the clerk reading the report.
ROW_PROBLEMS: dict[str, Text] = {
    "nik_format": Text("NIK harus 16 angka.", "The NIK must be 16 digits."),
    "nik_date_mismatch": Text(
        "Tanggal lahir di NIK (hari + 40 untuk perempuan) tidak cocok dengan birth_date dan sex.",
        "The date inside the NIK (day + 40 for girls) does not match birth_date and sex.",
    ),
    "duplicate_nik": Text("NIK ini sudah muncul di baris sebelumnya.", "This NIK already appeared on an earlier row."),
    "invalid_date": Text("Tanggal tidak valid (format YYYY-MM-DD).", "Not a valid date (YYYY-MM-DD)."),
    "age_out_of_range": Text(
        "Anak harus berusia 0–16 tahun pada tanggal impor.", "The child must be 0–16 years old on the import date."
    ),
    "invalid_sex": Text("Jenis kelamin harus L atau P.", "Sex must be L or P."),
    "unknown_kelurahan": Text("Kode kelurahan tidak dikenal.", "Unknown kelurahan code."),
    "kelurahan_outside_scope": Text(
        "Kelurahan ini berada di luar wilayah yang dipilih untuk berkas ini: baris ini tidak diimpor, dan data di luar "
        "wilayah itu tidak berubah.",
        "This kelurahan lies outside the area chosen for this file: the row is not imported, and nothing outside that "
        "area changes.",
    ),
    "kelurahan_outside_office": Text(
        "Kelurahan ini berada di luar kabupaten/kota kantor yang mengimpor: anak ini didaftarkan oleh Dukcapil "
        "tempat tinggalnya.",
        "This kelurahan lies outside the importing office's kabupaten/kota: the child is enrolled by the Dukcapil "
        "where they live.",
    ),
    "issue_date_out_of_range": Text(
        "Tanggal cetak KIA harus antara tanggal lahir dan tanggal impor.",
        "The KIA print date must lie between the birth date and the import date.",
    ),
    "consent_incomplete": Text(
        "Persetujuan orang tua harus lengkap: wali, versi naskah dan waktu persetujuan.",
        "Parental consent needs all three: guardian, text version and time.",
    ),
    "invalid_guardian": Text("Hubungan wali harus ayah, ibu atau wali.", "The guardian must be ayah, ibu or wali."),
    "invalid_datetime": Text(
        "Waktu persetujuan tidak valid (format ISO 8601).", "Not a valid consent time (ISO 8601)."
    ),
    "consent_out_of_range": Text(
        "Waktu persetujuan harus antara tanggal cetak KIA dan tanggal impor.",
        "The consent time must lie between the KIA print date and the import date.",
    ),
    "channel_required": Text("Saluran pendaftaran wajib diisi bila ada persetujuan.", "A channel is required."),
    "consent_withdrawn_earlier": Text(
        "Orang tua anak ini telah menarik persetujuannya setelah waktu persetujuan di baris ini: kartu tidak dibuat "
        "dan KIA-nya hanya dihitung. Catat persetujuan baru bila orang tua setuju lagi.",
        "This child's parent withdrew consent after the consent time in this row: no card is made and the KIA is only "
        "counted. Record a new consent if the parent agrees again.",
    ),
    "invalid_channel": Text("Saluran pendaftaran tidak dikenal.", "Unknown enrolment channel."),
    "unknown_campaign": Text(
        "Kode kampanye tidak dikenal di kantor ini (lihat /admin/kampanye).",
        "Unknown campaign code for this office (see /admin/kampanye).",
    ),
}

MISSING_COLUMNS = Text(
    "Kolom wajib tidak ada di baris judul: {columns}.", "Required columns missing from the header: {columns}."
)
SCOPE_OUTSIDE_OFFICE = Text(
    "Wilayah berkas harus kabupaten/kota kantor Anda atau kecamatan/kelurahan di dalamnya.",
    "The file's area must be your office's kabupaten/kota or a kecamatan/kelurahan within it.",
)
UNKNOWN_SCOPE = Text("Kode wilayah tidak dikenal.", "Unknown region code.")
OLDER_THAN_LAST = Text(
    "Sudah ada ekspor tanggal {date} untuk wilayah ini: ekspor yang lebih lama tidak dapat diimpor sesudahnya. Untuk "
    "membetulkan angka lama, impor ekspor terbaru sebagai koreksi dengan alasannya.",
    "An export dated {date} was already imported for this area: an older one cannot be imported after it. To fix "
    "past figures, import the latest export as a correction, with its reason.",
)
CORRECTION_NEEDS_FULL = Text(
    "Koreksi angka hanya dengan ekspor lengkap wilayah itu.", "A correction of figures needs the area's full export."
)
MISSING_CHOICE = Text(
    "Pilih apa yang terjadi pada kartu yang tidak ada di berkas ini: tetap, atau tandai pindah.",
    "Choose what becomes of the cards this file does not list: keep them, or mark them moved.",
)
NOT_CSV = Text("Berkas bukan CSV UTF-8 yang dapat dibaca.", "The file is not readable UTF-8 CSV.")


@dataclass
class Parsed:
    enrolments: list[cards.Enrolment] = field(default_factory=list)
    # Rows without consent: their keyed NIK hash and bucket (kelurahan, birth year, print month). The hash is held
    # only while the import runs, to tell a child who already holds a card from one to count.
    unconsented: dict[str, tuple[str, int, date]] = field(default_factory=dict)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)  # an enrolment's row in the file, by its keyed NIK hash
    # The optional campaign_code column: the campaign that brought an enrolment, by its keyed NIK hash.
    campaign_of: dict[str, str] = field(default_factory=dict)
    total: int = 0

    @property
    def rejected(self) -> int:
        return len({row for row, _, _ in self.problems})

    def listed(self) -> set[str]:
        """Every child the file lists (by keyed NIK hash), with consent or without."""
        return {enrolment.nik_hash for enrolment in self.enrolments} | set(self.unconsented)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _datetime(value: str, zone: ZoneInfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:  # SIAK writes local time
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _nik_matches(nik: str, born: date, sex: Sex) -> bool:
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if sex is Sex.FEMALE:
        day -= 40
    return (day, month, year) == (born.day, born.month, born.year % 100)


async def check_header(content: bytes) -> None:
    """Refuse, before any work, a file that is not UTF-8 CSV with the required columns. The whole file is decoded
    once to know it is UTF-8: in a thread, since a city's export takes a while and the tills keep asking."""
    try:
        first_line = await to_thread.run_sync(_first_line, content)
    except UnicodeDecodeError:
        raise Invalid([FieldProblem("file", "not_csv", NOT_CSV)]) from None
    header = [name.strip().lower() for name in next(csv.reader([first_line]), [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise Invalid([FieldProblem("file", "missing_columns", MISSING_COLUMNS, {"columns": ", ".join(missing)})])


@dataclass
class Scope:
    """The area a file speaks for: the office's kabupaten/kota, or a kecamatan or kelurahan within it."""

    code: str
    name: str
    city: str
    kelurahan: set[str]  # the scope's kelurahan
    city_kelurahan: set[str]  # the office's, to tell a row outside the scope from an unknown code


async def scope_of(city: str, code: str | None) -> Scope:
    """The scope a clerk chose (the whole office when none): a region within the office, or a problem."""
    code = (code or city).strip()
    region = await Region.select(Region.name, Region.level).where(Region.code == code).first()
    if not covers(city, code):
        raise Invalid([FieldProblem("scope", "scope_outside_office", SCOPE_OUTSIDE_OFFICE)])
    if region is None or region["level"] == RegionLevel.PROVINSI:
        raise Invalid([FieldProblem("scope", "unknown_scope", UNKNOWN_SCOPE)])
    in_city = narrowed(Region.select(Region.code), Region.code, city).where(Region.level == RegionLevel.KELURAHAN)
    city_kelurahan = {row["code"] for row in await in_city}
    return Scope(code, region["name"], city, {k for k in city_kelurahan if covers(code, k)}, city_kelurahan)


async def scope_choices(city: str) -> list[tuple[str, str]]:
    """The areas an office's file can speak for, as the upload form lists them: the kabupaten/kota, then each
    kecamatan followed by its kelurahan."""
    rows = await narrowed(
        Region.select(Region.code, Region.name, Region.level, Region.parent_code), Region.code, city
    ).where(Region.valid_until.is_null()).order_by(Region.code)  # fmt: skip
    by_code = {row["code"]: row for row in rows}
    choices = []
    for row in rows:
        if row["code"] == city:
            choices.append((row["code"], f"{row['name']} ({row['code']})"))
        elif row["level"] == RegionLevel.KECAMATAN:
            choices.append((row["code"], f"— Kec. {row['name']} ({row['code']})"))
        elif row["level"] == RegionLevel.KELURAHAN and row["parent_code"] in by_code:
            choices.append((row["code"], f"—— {row['name']} ({row['code']})"))
    return choices


def parse(
    lines: Iterator[str], as_of: date, scope: Scope, settings: Settings, zone: ZoneInfo,
    campaign_codes: frozenset[str] = frozenset(),
) -> Parsed:  # fmt: skip
    """Validate every row of one office's export for `scope`; nothing is written here. An optional campaign_code
    column names the office's campaign (one of `campaign_codes`) that brought the child."""
    reader = csv.DictReader(lines)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise Invalid([FieldProblem("file", "missing_columns", MISSING_COLUMNS, {"columns": ", ".join(missing)})])
    reader.fieldnames = header
    parsed = Parsed()
    seen_niks: set[str] = set()
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        parsed.total += 1
        row = {key: (value or "").strip() for key, value in raw.items() if key}
        problems: list[tuple[str, str]] = []
        nik = row["nik"]
        if not (len(nik) == 16 and nik.isdigit()):
            problems.append(("nik", "nik_format"))
        elif nik in seen_niks:
            problems.append(("nik", "duplicate_nik"))
        born = _date(row["birth_date"])
        if born is None:
            problems.append(("birth_date", "invalid_date"))
        elif not born <= as_of or cards.age_on(born, as_of) > 16:
            problems.append(("birth_date", "age_out_of_range"))
        sex = {"L": Sex.MALE, "P": Sex.FEMALE}.get(row["sex"].upper())
        if sex is None:
            problems.append(("sex", "invalid_sex"))
        if born and sex and len(nik) == 16 and nik.isdigit() and not _nik_matches(nik, born, sex):
            problems.append(("nik", "nik_date_mismatch"))
        if row["kelurahan_code"] not in scope.kelurahan:
            problems.append(("kelurahan_code", _outside(row["kelurahan_code"], scope)))
        printed = _date(row["kia_issued_on"])
        if printed is None:
            problems.append(("kia_issued_on", "invalid_date"))
        elif born and not born <= printed <= as_of:
            problems.append(("kia_issued_on", "issue_date_out_of_range"))
        given = [name for name in CONSENT_FIELDS if row[name]]
        consent_at = None
        if given and len(given) < len(CONSENT_FIELDS):
            problems.append(("consent", "consent_incomplete"))
        elif given:
            if row["consent_guardian"].lower() not in GUARDIANS:
                problems.append(("consent_guardian", "invalid_guardian"))
            consent_at = _datetime(row["consent_at"], zone)
            if consent_at is None:
                problems.append(("consent_at", "invalid_datetime"))
            elif printed and not printed <= consent_at.astimezone(zone).date() <= as_of:
                problems.append(("consent_at", "consent_out_of_range"))
            if not row["channel"]:
                problems.append(("channel", "channel_required"))
            elif row["channel"] not in Channel.__members__.values():
                problems.append(("channel", "invalid_channel"))
        campaign = campaigns.normalize_code(row.get("campaign_code", "")) if row.get("campaign_code") else None
        if row.get("campaign_code") and campaign not in campaign_codes:
            problems.append(("campaign_code", "unknown_campaign"))
        if problems:
            parsed.problems += [(number, column, code) for column, code in problems]
            continue
        seen_niks.add(nik)
        assert born is not None
        assert printed is not None
        assert sex is not None
        if consent_at is None:
            parsed.unconsented[cards.nik_hash(settings, nik)] = (
                row["kelurahan_code"],
                born.year,
                printed.replace(day=1),
            )
            continue
        parsed.row_of[cards.nik_hash(settings, nik)] = number
        if campaign is not None:
            parsed.campaign_of[cards.nik_hash(settings, nik)] = campaign
        parsed.enrolments.append(
            cards.Enrolment(
                nik_hash=cards.nik_hash(settings, nik),
                birth_date=born,
                sex=sex,
                kelurahan_code=row["kelurahan_code"],
                kia_printed_on=printed,
                enrolled_on=consent_at.astimezone(zone).date(),
                channel=Channel(row["channel"]),
                consent_guardian=row["consent_guardian"].lower(),
                consent_version=row["consent_version"],
                consent_at=consent_at,
            )
        )
    return parsed


def _outside(code: str, scope: Scope) -> str:
    if code in scope.city_kelurahan:
        return "kelurahan_outside_scope"
    return "unknown_kelurahan" if covers(scope.city, code) else "kelurahan_outside_office"


def _first_line(content: bytes) -> str:
    return content.decode("utf-8-sig").split("\n", 1)[0]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _decode_and_parse(
    content: bytes, as_of: date, scope: Scope, settings: Settings, campaign_codes: frozenset[str]
) -> Parsed:  # fmt: skip
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid([FieldProblem("file", "not_csv", NOT_CSV)]) from None
    return parse(iter(io.StringIO(text, newline="")), as_of, scope, settings, settings.zone, campaign_codes)


async def start_batch(
    filename: str,
    content: bytes,
    as_of: date,
    actor: CurrentUser | None,
    city: str,
    scope: str | None = None,
    kind: ImportKind = ImportKind.FULL,
    correction_reason: str | None = None,
    preview: bool = False,
) -> uuid.UUID:
    """Record an import of `city`'s office (the signed-in admin's own, or the one named on the command line) for a
    scope within it. With `preview`, the file is kept until the clerk imports or discards what it would do."""
    chosen = await scope_of(city, scope)
    await _refuse_older_than_known(chosen, as_of)
    reason = (correction_reason or "").strip() or None
    if reason and kind is not ImportKind.FULL:
        raise Invalid([FieldProblem("correction_reason", "correction_needs_full_export", CORRECTION_NEEDS_FULL)])
    batch_id = uuid.uuid4()
    async with write_transaction():
        await ImportBatch.insert(
            ImportBatch(
                id=batch_id,
                filename=filename[:255],
                file_sha256=await to_thread.run_sync(_sha256, content),
                as_of=as_of,
                status=ImportStatus.PREVIEWING if preview else ImportStatus.RUNNING,
                started_by=actor.id if actor else None,
                city_code=city,
                scope_code=chosen.code,
                kind=kind,
                correction_reason=reason,
            )
        )
        if preview:
            await ImportFile.insert(ImportFile(batch=batch_id, content=content))
    return batch_id


async def _refuse_older_than_known(scope: Scope, as_of: date) -> None:
    """An export older than one already imported for an overlapping area would rewrite what was known after it."""
    rows = await (
        ImportBatch.select(ImportBatch.scope_code, ImportBatch.as_of)
        .where((ImportBatch.city_code == scope.city) & (ImportBatch.status == ImportStatus.DONE)
               & (ImportBatch.as_of > as_of))
    )  # fmt: skip
    newer = [
        row["as_of"] for row in rows if covers(row["scope_code"], scope.code) or covers(scope.code, row["scope_code"])
    ]
    if newer:
        raise Invalid([FieldProblem("as_of", "older_than_last_import", OLDER_THAN_LAST, {"date": max(newer)})])


@dataclass
class CountChange:
    """A row to add to the counted-KIA ledger."""

    kelurahan: str
    birth_year: int
    print_month: date
    counted_from: date
    holders: int


@dataclass
class Plan:
    """What an import will do, worked out from the file and the database before anything is written: used for the
    preview and again (afresh) by the import itself."""

    scope: Scope
    kind: ImportKind
    as_of: date
    correction: bool
    parsed: Parsed
    # Kelurahan whose changes count from the KIAs' print months: no full export spoke for them before (or this one
    # is a correction). Elsewhere changes count from the export's month.
    backfilled: set[str]
    counted: Counter[tuple[str, int, date]]  # the file's rows without consent, by bucket (children with a card out)
    carded: int  # rows without consent for children who hold a card: counted by the card
    changes: list[CountChange]
    missing: list[dict[str, Any]]  # the scope's active cards a full export does not list
    new_cards: list[cards.Enrolment]  # enrolments of children who hold no card yet
    # The new cards by (kelurahan, birth year, month they count from): what the preview's figures sum.
    new_buckets: Counter[tuple[str, int, date]] = field(default_factory=Counter)

    @property
    def full(self) -> bool:
        return self.kind is ImportKind.FULL

    def counts_from(self, kelurahan: str, month: date) -> date:
        return month if kelurahan in self.backfilled else max(month, self.as_of.replace(day=1))


async def plan_import(batch: dict[str, Any], content: bytes, settings: Settings) -> Plan:
    scope = await scope_of(batch["city_code"], batch["scope_code"])
    as_of: date = batch["as_of"]
    codes = frozenset(await campaigns.codes_of(scope.city))
    parsed = await to_thread.run_sync(_decode_and_parse, content, as_of, scope, settings, codes)
    kind = ImportKind(batch["kind"])
    correction = bool(batch["correction_reason"])
    backfilled = set(scope.kelurahan) if correction else scope.kelurahan - await _spoken_for(scope, batch["id"])
    parsed.enrolments = [
        replace(enrolment, counted_from=None if enrolment.kelurahan_code in backfilled else as_of)
        for enrolment in parsed.enrolments
    ]
    await _refuse_withdrawn(parsed)
    held = await _cards_of(scope.city)
    plan = Plan(
        scope=scope, kind=kind, as_of=as_of, correction=correction, parsed=parsed, backfilled=backfilled,
        counted=Counter(), carded=0, changes=[], missing=[], new_cards=[],
    )  # fmt: skip
    await to_thread.run_sync(_tally, plan, held)  # a pass over every row: off the event loop, as the parsing
    if plan.full:
        plan.changes = await _count_changes(plan)
    return plan


def _tally(plan: Plan, held: dict[str, dict[str, Any]]) -> None:
    """The file against the office's cards: rows without consent to count (a child with a card counts by the card),
    children new to the programme, and (for a full export) the scope's active cards the file does not list."""
    parsed = plan.parsed
    plan.counted = Counter(bucket for nik_hash, bucket in parsed.unconsented.items() if nik_hash not in held)
    plan.carded = len(parsed.unconsented) - sum(plan.counted.values())
    plan.new_cards = [e for e in parsed.enrolments if e.nik_hash not in held]
    plan.new_buckets = Counter(
        (e.kelurahan_code, e.birth_date.year, plan.counts_from(e.kelurahan_code, e.kia_printed_on.replace(day=1)))
        for e in plan.new_cards
    )
    if plan.full:
        listed = parsed.listed()
        plan.missing = [
            row for nik_hash, row in held.items()
            if row["status"] == CardStatus.ACTIVE and row["kelurahan_code"] in plan.scope.kelurahan
            and nik_hash not in listed
        ]  # fmt: skip


async def _spoken_for(scope: Scope, batch_id: uuid.UUID) -> set[str]:
    """The scope's kelurahan that an earlier full export already spoke for."""
    rows = await ImportBatch.select(ImportBatch.scope_code).where(
        (ImportBatch.city_code == scope.city) & (ImportBatch.status == ImportStatus.DONE)
        & (ImportBatch.kind == ImportKind.FULL) & (ImportBatch.id != batch_id)
    )  # fmt: skip
    scopes = {row["scope_code"] or scope.city for row in rows}
    return {kelurahan for kelurahan in scope.kelurahan if any(covers(code, kelurahan) for code in scopes)}


async def _cards_of(city: str) -> dict[str, dict[str, Any]]:
    """The office's cards that still hold a child's keyed NIK hash, by that hash."""
    rows = await Card.select(
        Card.id, Card.nik_hash, Card.status, Card.kelurahan_code, Card.birth_year, Card.kia_printed_on,
        Card.counted_from,
    ).where((Card.city_code == city) & Card.nik_hash.is_not_null())  # fmt: skip
    return {row["nik_hash"]: row for row in rows}


async def _refuse_withdrawn(parsed: Parsed) -> None:
    """Rows whose child's parent withdrew consent after the consent they carry: refused by row, and the KIA (which
    the child does hold) counted without consent, as for a row that never had one."""
    withdrawn = await cards.withdrawals_of([enrolment.nik_hash for enrolment in parsed.enrolments])
    kept = []
    for enrolment in parsed.enrolments:
        if enrolment.nik_hash in withdrawn and enrolment.consent_at <= withdrawn[enrolment.nik_hash]:
            parsed.problems.append((parsed.row_of[enrolment.nik_hash], "consent_at", "consent_withdrawn_earlier"))
            bucket = (enrolment.kelurahan_code, enrolment.birth_date.year, enrolment.kia_printed_on.replace(day=1))
            parsed.unconsented[enrolment.nik_hash] = bucket
        else:
            kept.append(enrolment)
    parsed.enrolments = kept


async def _count_changes(plan: Plan) -> list[CountChange]:
    """The ledger rows that bring the scope's counts to the file's.

    Birth years whose children are all still under 17 take the file's counts. The oldest year in the file is
    partly aged out, so its counts only grow; older years are history the file cannot speak for.
    """
    partial_year = plan.as_of.year - 17
    rows = await (
        narrowed(
            UnenrolledKia.select(UnenrolledKia.kelurahan_code, UnenrolledKia.birth_year, UnenrolledKia.print_month,
                                 Sum(UnenrolledKia.holders).as_alias("n")),
            UnenrolledKia.kelurahan_code, plan.scope.code,
        )
        .where(UnenrolledKia.birth_year >= partial_year)
        .group_by(UnenrolledKia.kelurahan_code, UnenrolledKia.birth_year, UnenrolledKia.print_month)
    )  # fmt: skip
    return await to_thread.run_sync(_changes_from, plan, rows)  # a pass over every bucket: off the event loop


def _changes_from(plan: Plan, rows: list[dict[str, Any]]) -> list[CountChange]:
    partial_year = plan.as_of.year - 17
    current = {(r["kelurahan_code"], r["birth_year"], as_date(r["print_month"])): int(r["n"] or 0) for r in rows}
    changes = []
    for key in sorted(set(current) | set(plan.counted)):
        kelurahan, year, month = key
        if kelurahan not in plan.scope.kelurahan:
            continue
        difference = plan.counted.get(key, 0) - current.get(key, 0)
        if year == partial_year:
            difference = max(difference, 0)
        if difference:
            changes.append(CountChange(kelurahan, year, month, plan.counts_from(kelurahan, month), difference))
    return changes


async def _stored_batch(batch_id: uuid.UUID) -> dict[str, Any]:
    batch = await ImportBatch.select().where(ImportBatch.id == batch_id).first()
    if batch is None:
        raise ImportNotFound()
    return batch


async def preview_import(batch_id: uuid.UUID, settings: Settings) -> None:
    """Work out what a kept file would do and record it on the batch for the clerk (READY); nothing else is
    written. Run in the background after an upload."""
    with collector_paused():  # the plan's millions of objects are gone when this ends (core/service/bulk.py)
        await _preview(batch_id, settings)


async def _preview(batch_id: uuid.UUID, settings: Settings) -> None:
    try:
        batch = await _stored_batch(batch_id)
        stored = await ImportFile.select(ImportFile.content).where(ImportFile.batch == batch_id).first()
        if stored is None:
            raise ImportNotFound()
        plan = await plan_import(batch, await to_thread.run_sync(bytes, stored["content"]), settings)
        enrolled = await cards.classify(plan.parsed.enrolments)
        preview = {
            "created": enrolled.created,
            "updated": enrolled.updated,
            "unchanged": enrolled.unchanged + plan.carded,
            "refused": plan.parsed.rejected,
            "counted": sum(plan.counted.values()) if plan.full else 0,
            "not_counted": 0 if plan.full else sum(plan.counted.values()),
            "not_in_file": len(plan.missing),
            "first_export": bool(plan.backfilled) and not plan.correction,
            "coverage": await coverage_changes(plan),
        }
        async with write_transaction():
            await _record_problems(batch_id, plan.parsed)
            await ImportBatch.update(
                {ImportBatch.status: ImportStatus.READY, ImportBatch.preview: preview,
                 ImportBatch.rejected: plan.parsed.rejected, ImportBatch.total_rows: plan.parsed.total,
                 ImportBatch.not_in_file: len(plan.missing)}
            ).where((ImportBatch.id == batch_id) & (ImportBatch.status == ImportStatus.PREVIEWING))  # fmt: skip
    except Invalid as problem:
        await _fail(batch_id, "; ".join(p.message.render("en", **p.params) for p in problem.problems))
    except Exception as error:  # the batch row says it failed; the log keeps the trace
        log.exception("registry.preview_failed", batch_id=str(batch_id))
        await _fail(batch_id, type(error).__name__)


def _added_and_moved(plan: Plan, missing: Counter[tuple[str, int]], region: str, day: date) -> tuple[int, int]:
    """The holders an import adds to `region` on `day`, and those it would take away if the cards a full export does
    not list are marked moved: sums over every change, off the event loop."""
    added = sum(
        c.holders for c in plan.changes
        if covers(region, c.kelurahan) and c.counted_from <= day and c.birth_year > day.year - UNDER_17
    ) + sum(
        n for (kelurahan, year, month), n in plan.new_buckets.items()
        if covers(region, kelurahan) and year > day.year - UNDER_17 and month <= day
    )  # fmt: skip
    moved = sum(
        n for (kelurahan, year), n in missing.items()
        if covers(region, kelurahan) and year > day.year - UNDER_17 and day >= plan.as_of.replace(day=1)
    )  # fmt: skip
    return added, moved


async def coverage_changes(plan: Plan) -> list[dict[str, Any]]:
    """The coverage figures the import would change, by date: of the scope (and of the whole office), on the
    export's date and, where changes reach back (an area's first export, a correction), on each earlier date with
    a published population figure."""
    first_month = min(
        [c.counted_from for c in plan.changes]
        + [month for _, _, month in plan.new_buckets]
        + ([plan.as_of.replace(day=1)] if plan.missing else []),
        default=None,
    )
    if first_month is None:
        return []
    regions = [plan.scope.code] + ([plan.scope.city] if plan.scope.code != plan.scope.city else [])
    missing = Counter((card["kelurahan_code"], card["birth_year"]) for card in plan.missing)
    result = []
    for region in regions:
        published = await reports.denominator_dates(region, plan.as_of)
        for day in sorted({plan.as_of, *(d for d in published if d >= first_month)}):
            before = await reports.coverage(region, day)
            added, moved = await to_thread.run_sync(_added_and_moved, plan, missing, region, day)
            after = before.holders + added
            result.append(
                {
                    "region": region,
                    "region_name": before.region_name,
                    "as_of": day.isoformat(),
                    "eligible_children": before.eligible_children,
                    "holders_before": before.holders,
                    "holders_after": after,
                    "holders_after_if_moved": after - moved,
                    "percent_before": _percent(before.holders, before.eligible_children),
                    "percent_after": _percent(after, before.eligible_children),
                    "percent_after_if_moved": _percent(after - moved, before.eligible_children),
                }
            )
    return result


def _percent(part: int, whole: int | None) -> str | None:
    value = reports.percent(part, whole) if whole else None
    return None if value is None else str(value)


async def run_batch(
    batch_id: uuid.UUID,
    content: bytes,
    actor: CurrentUser | None,
    settings: Settings,
    stores: Stores,
    progress: Callable[[int, int], None] | None = None,
    missing: MissingCards = MissingCards.KEEP,
) -> ImportBatch:
    """Import a started batch; the batch row records progress as it goes and the outcome at the end."""
    with collector_paused():  # the plan's millions of objects are gone when this ends (core/service/bulk.py)
        return await _run_batch(batch_id, content, actor, settings, stores, progress, missing)


async def _run_batch(
    batch_id: uuid.UUID,
    content: bytes,
    actor: CurrentUser | None,
    settings: Settings,
    stores: Stores,
    progress: Callable[[int, int], None] | None,
    missing: MissingCards,
) -> ImportBatch:
    last_recorded = 0
    try:
        batch = await _stored_batch(batch_id)
        plan = await plan_import(batch, content, settings)
        parsed = plan.parsed
        await ImportBatch.update({ImportBatch.total_rows: parsed.total}).where(ImportBatch.id == batch_id)
        done = parsed.total - len(parsed.enrolments)

        async def advance(count: int) -> None:
            nonlocal done, last_recorded
            done += count
            if progress:
                progress(done, parsed.total)
            if done - last_recorded >= PROGRESS_EVERY:
                last_recorded = done
                await ImportBatch.update({ImportBatch.processed_rows: done}).where(ImportBatch.id == batch_id)

        counts = await cards.enroll(parsed.enrolments, actor, stores, batch_id, progress=advance)
        await _attribute_campaigns(batch["city_code"], parsed, counts.created_ids)
        await _write_counts(plan, batch_id)
        moved = 0
        if plan.missing and missing is MissingCards.MOVED:
            moved = await cards.mark_moved([row["id"] for row in plan.missing], plan.as_of, actor, stores)
        async with write_transaction():
            await _record_problems(batch_id, parsed)
        outcome = {
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged + plan.carded,
            "aggregated": sum(plan.counted.values()) if plan.full else 0,
            "not_counted": 0 if plan.full else sum(plan.counted.values()),
            "rejected": parsed.rejected,
            "not_in_file": len(plan.missing),
            "moved": moved,
        }
        city = batch["city_code"]
        async with write_transaction():
            await ImportBatch.update(
                {
                    ImportBatch.status: ImportStatus.DONE,
                    ImportBatch.processed_rows: parsed.total,
                    ImportBatch.finished_at: utc_now(),
                    ImportBatch.missing: missing if plan.missing else None,
                    **{getattr(ImportBatch, key): value for key, value in outcome.items()},
                }
            ).where(ImportBatch.id == batch_id)
            await ImportFile.delete().where(ImportFile.batch == batch_id)
            scope = {"scope": plan.scope.code, "as_of": plan.as_of.isoformat(), "kind": plan.kind.value}
            await record_event(
                "registry.imported", "registry_import", batch_id, actor=actor, after={**outcome, **scope}, city=city
            )
            if plan.correction:
                await _record_correction(plan, batch, counts, actor)
        log.info("registry.imported", batch_id=str(batch_id), rows=parsed.total, **outcome)
    except Invalid as problem:
        await _fail(batch_id, "; ".join(p.message.render("en", **p.params) for p in problem.problems))
        raise
    except Exception as error:
        await _fail(batch_id, type(error).__name__)
        raise
    return await ImportBatch.objects().get(ImportBatch.id == batch_id)  # type: ignore[return-value]


async def _attribute_campaigns(city: str, parsed: Parsed, created: list[uuid.UUID]) -> None:
    """The campaign each new card's row named: a card enrolled before keeps whatever it had (or nothing)."""
    if not parsed.campaign_of or not created:
        return
    found = []
    for start in range(0, len(created), 1000):
        rows = await Card.select(Card.id, Card.nik_hash, Card.enrolled_on, Card.channel).where(
            Card.id.is_in(created[start : start + 1000])
        )  # fmt: skip
        found += [(row["id"], parsed.campaign_of[row["nik_hash"]], row["enrolled_on"], row["channel"])
                  for row in rows if row["nik_hash"] in parsed.campaign_of]  # fmt: skip
    await campaigns.attribute(city, found)


async def _record_problems(batch_id: uuid.UUID, parsed: Parsed) -> None:
    """The refused rows, by number, column and code (the preview's, replaced by the import's own)."""
    await ImportProblem.delete().where(ImportProblem.batch == batch_id)
    await bulk_insert(
        ImportProblem,
        ("batch", "row_number", "field", "code"),
        [(batch_id, row, column, code) for row, column, code in parsed.problems],
    )


async def _record_correction(
    plan: Plan, batch: dict[str, Any], counts: cards.EnrolmentCounts, actor: CurrentUser | None
) -> None:
    """A correction is an audited act: the area, the first month whose figures it changed, and why."""
    months = [change.counted_from for change in plan.changes]
    if counts.created or counts.updated:
        months += [enrolment.kia_printed_on.replace(day=1) for enrolment in plan.parsed.enrolments]
    if not months:
        return
    await CoverageCorrection.insert(
        CoverageCorrection(
            city_code=plan.scope.city, scope_code=plan.scope.code, from_month=min(months),
            reason=batch["correction_reason"], batch=batch["id"], corrected_by=actor.id if actor else None,
        )
    )  # fmt: skip
    await record_event(
        "coverage.corrected", "registry_import", batch["id"], actor=actor,
        after={"scope": plan.scope.code, "from_month": min(months).isoformat(), "reason": batch["correction_reason"]},
        city=plan.scope.city,
    )  # fmt: skip


async def _fail(batch_id: uuid.UUID, message: str) -> None:
    async with write_transaction():
        await ImportBatch.update(
            {ImportBatch.status: ImportStatus.FAILED, ImportBatch.error: message, ImportBatch.finished_at: utc_now()}
        ).where(ImportBatch.id == batch_id)
        await ImportFile.delete().where(ImportFile.batch == batch_id)


async def _write_counts(plan: Plan, batch_id: uuid.UUID) -> None:
    """Add the ledger rows and recount the office's per-city sums, in one transaction."""
    if not plan.changes:
        return
    rows = await to_thread.run_sync(
        lambda: [
            (city_of(c.kelurahan), c.kelurahan, c.birth_year, c.print_month, c.counted_from, c.holders, batch_id)
            for c in plan.changes
        ]
    )
    async with write_transaction():
        await bulk_insert(
            UnenrolledKia,
            ("city_code", "kelurahan_code", "birth_year", "print_month", "counted_from", "holders", "batch"),
            rows,
        )
        await recount_city(plan.scope.city)


async def recount_city(city: str) -> None:
    """The per-city sums of an office's counted KIAs by the month they count from, recounted from its kelurahan
    ledger (in the caller's transaction): what province and national coverage read."""
    await UnenrolledCityMonthly.delete().where(UnenrolledCityMonthly.city_code == city)
    await UnenrolledCityMonthly.raw(
        "INSERT INTO unenrolled_kia_city_monthly (city_code, counted_from, birth_year, holders) "
        "SELECT city_code, counted_from, birth_year, SUM(holders) FROM unenrolled_kia WHERE city_code = {} "
        "GROUP BY city_code, counted_from, birth_year",
        city,
    )


async def import_registry(
    filename: str,
    content: bytes,
    as_of: date,
    actor: CurrentUser | None,
    settings: Settings,
    stores: Stores,
    progress: Callable[[int, int], None] | None = None,
    city: str | None = None,
    scope: str | None = None,
    kind: ImportKind = ImportKind.FULL,
    missing: MissingCards = MissingCards.KEEP,
    correction_reason: str | None = None,
) -> ImportBatch:
    """Import one office's SIAK export at once, without a preview (the command line, the demo): the signed-in
    admin's office, or `city` from the command line."""
    office = city or office_of(actor)
    if office is None:
        raise ValueError("an import belongs to one office: name its kabupaten/kota")
    batch_id = await start_batch(filename, content, as_of, actor, office, scope, kind, correction_reason)
    return await run_batch(batch_id, content, actor, settings, stores, progress, missing)


async def confirm_import(batch_id: uuid.UUID, missing: MissingCards | None, actor: CurrentUser) -> None:
    """The clerk read the preview and imports it: with a choice for the cards the file does not list, if any."""
    batch = await _owned_batch(batch_id, actor)
    if batch["status"] != ImportStatus.READY:
        raise ImportNotReady(status=batch["status"])
    if batch["not_in_file"] and missing is None:
        raise Invalid([FieldProblem("missing", "missing_choice_required", MISSING_CHOICE)])
    async with write_transaction():
        taken = await (
            ImportBatch.update({ImportBatch.status: ImportStatus.RUNNING, ImportBatch.confirmed_by: actor.id,
                                ImportBatch.confirmed_at: utc_now()})
            .where((ImportBatch.id == batch_id) & (ImportBatch.status == ImportStatus.READY))
            .returning(ImportBatch.id)
        )  # fmt: skip
    if not taken:  # a second click, or another clerk, got there first
        raise ImportNotReady(status=ImportStatus.RUNNING)


async def run_confirmed(
    batch_id: uuid.UUID, missing: MissingCards | None, actor: CurrentUser, settings: Settings, stores: Stores
) -> None:
    """The background half of a confirmed import: the kept file, imported afresh (the database may have moved on
    since the preview), then deleted."""
    try:
        stored = await ImportFile.select(ImportFile.content).where(ImportFile.batch == batch_id).first()
        if stored is None:
            raise ImportNotFound()
        content = await to_thread.run_sync(bytes, stored["content"])  # tens of MB: copied off the event loop
        await run_batch(batch_id, content, actor, settings, stores, missing=missing or MissingCards.KEEP)
    except Exception:  # the batch row says it failed; the client reads that, the log keeps the trace
        log.exception("registry.import_failed", batch_id=str(batch_id))


async def discard_import(batch_id: uuid.UUID, actor: CurrentUser) -> None:
    """The clerk does not import a previewed file: it is deleted and the batch says so."""
    batch = await _owned_batch(batch_id, actor)
    if batch["status"] not in (ImportStatus.PREVIEWING, ImportStatus.READY):
        raise ImportNotReady(status=batch["status"])
    async with write_transaction():
        await ImportBatch.update(
            {ImportBatch.status: ImportStatus.DISCARDED, ImportBatch.finished_at: utc_now()}
        ).where(ImportBatch.id == batch_id)
        await ImportFile.delete().where(ImportFile.batch == batch_id)
    await record_event("registry.discarded", "registry_import", batch_id, actor=actor, city=batch["city_code"])


PREVIEW_KEPT_FOR = timedelta(days=1)  # an undecided preview's file (NIKs, birth dates) is deleted after this


async def discard_stale_previews(now: datetime, dry_run: bool = False) -> int:
    """Previews nobody imported or discarded within a day: discarded, their files deleted (retention). How many."""
    stale = [
        row["id"]
        for row in await ImportBatch.select(ImportBatch.id).where(
            ImportBatch.status.is_in([ImportStatus.PREVIEWING, ImportStatus.READY])
            & (ImportBatch.started_at < now - PREVIEW_KEPT_FOR)
        )
    ]
    if stale and not dry_run:
        async with write_transaction():
            await ImportBatch.update(
                {ImportBatch.status: ImportStatus.DISCARDED, ImportBatch.finished_at: now,
                 ImportBatch.error: "preview not decided within a day"}
            ).where(ImportBatch.id.is_in(stale))  # fmt: skip
            await ImportFile.delete().where(ImportFile.batch.is_in(stale))
    return len(stale)


async def _owned_batch(batch_id: uuid.UUID, reader: CurrentUser | None) -> dict[str, Any]:
    row = await owned(ImportBatch.select(), ImportBatch.city_code, reader).where(ImportBatch.id == batch_id).first()
    if row is None:
        raise ImportNotFound()
    return row


async def problems_of(batch_id: uuid.UUID, limit: int | None = None) -> list[dict[str, object]]:
    query = (
        ImportProblem.select(ImportProblem.row_number, ImportProblem.field, ImportProblem.code)
        .where(ImportProblem.batch == batch_id)
        .order_by(ImportProblem.row_number)
    )
    if limit is not None:
        query = query.limit(limit)
    return await query


REPORT_PROBLEMS = 1000


async def read_import(
    batch_id: uuid.UUID, language: str, reader: CurrentUser | None, problems: bool = True
) -> ImportRead:
    """An import of the reader's office as the API and the console show it: counts, and the first refused rows in
    the reader's language. Another office's import is not found."""
    row = await _owned_batch(batch_id, reader)
    fields = {name: row[name] for name in ImportRead.__struct_fields__ if name in row and name != "preview"}
    preview = row.get("preview")
    if isinstance(preview, str):  # a JSON column reads back as its text
        preview = msgspec.json.decode(preview)
    fields["preview"] = msgspec.convert(preview, ImportPreview) if preview else None
    area = await Region.select(Region.name).where(Region.code == (row["scope_code"] or row["city_code"])).first()
    fields["scope_name"] = area["name"] if area else ""
    found = await problems_of(batch_id, REPORT_PROBLEMS) if problems else []
    return ImportRead(
        **fields,
        problems=[
            ProblemRead(
                row=int(p["row_number"]),  # type: ignore[call-overload]
                field=str(p["field"]),
                code=str(p["code"]),
                message=ROW_PROBLEMS[str(p["code"])].render(language),
            )
            for p in found
        ],
    )


async def recent_imports(language: str, reader: CurrentUser | None, limit: int) -> list[ImportRead]:
    """The latest imports of the reader's office, newest first, without their refused rows."""
    query = owned(ImportBatch.select(ImportBatch.id), ImportBatch.city_code, reader)
    rows = await query.order_by(ImportBatch.started_at, ascending=False).limit(limit)
    return [await read_import(row["id"], language, reader, problems=False) for row in rows]
