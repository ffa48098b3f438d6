"""The SIAK registry import: every row validated, consented rows enrolled as cards, the rest counted only.

An export is the full list of issued KIAs for the kelurahan it contains. Rows with parental consent become
cards (matched on the NIK's keyed HMAC, so re-imports update instead of duplicating); rows without consent keep
no personal data and replace those kelurahan's counts of printed KIAs by birth year and print month. Importing
the same file again therefore changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from anyio import to_thread

from admin.errors import ImportNotFound
from admin.schemas import ImportRead, ProblemRead
from admin.tables import ImportBatch, ImportProblem, ImportStatus, UnenrolledCityMonthly, UnenrolledKia
from core.auth import CurrentUser
from core.database.statements import bulk_insert
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.offices import city_of, covers, narrowed, office_of, owned
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from core.tables import Region, RegionLevel
from verification.service import cards
from verification.tables import Channel, Sex

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
}

MISSING_COLUMNS = Text(
    "Kolom wajib tidak ada di baris judul: {columns}.", "Required columns missing from the header: {columns}."
)
NOT_CSV = Text("Berkas bukan CSV UTF-8 yang dapat dibaca.", "The file is not readable UTF-8 CSV.")


@dataclass
class Parsed:
    enrolments: list[cards.Enrolment] = field(default_factory=list)
    unconsented: Counter[tuple[str, int, date]] = field(default_factory=Counter)
    kelurahan_seen: set[str] = field(default_factory=set)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)  # an enrolment's row in the file, by its keyed NIK hash
    total: int = 0

    @property
    def rejected(self) -> int:
        return len({row for row, _, _ in self.problems})


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


def parse(
    lines: Iterator[str], as_of: date, city: str, kelurahan_codes: set[str], settings: Settings, zone: ZoneInfo
) -> Parsed:
    """Validate every row of one office's export (`city`, whose kelurahan are `kelurahan_codes`); nothing is
    written here."""
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
        if row["kelurahan_code"] not in kelurahan_codes:
            inside = covers(city, row["kelurahan_code"])
            problems.append(("kelurahan_code", "unknown_kelurahan" if inside else "kelurahan_outside_office"))
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
        if problems:
            parsed.problems += [(number, column, code) for column, code in problems]
            continue
        seen_niks.add(nik)
        assert born is not None
        assert printed is not None
        assert sex is not None
        parsed.kelurahan_seen.add(row["kelurahan_code"])
        if consent_at is None:
            parsed.unconsented[(row["kelurahan_code"], born.year, printed.replace(day=1))] += 1
            continue
        parsed.row_of[cards.nik_hash(settings, nik)] = number
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


def _first_line(content: bytes) -> str:
    return content.decode("utf-8-sig").split("\n", 1)[0]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _decode_and_parse(content: bytes, as_of: date, city: str, kelurahan: set[str], settings: Settings) -> Parsed:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid([FieldProblem("file", "not_csv", NOT_CSV)]) from None
    return parse(iter(io.StringIO(text, newline="")), as_of, city, kelurahan, settings, settings.zone)


async def start_batch(filename: str, content: bytes, as_of: date, actor: CurrentUser | None, city: str) -> uuid.UUID:
    """Record an import of `city`'s office (the signed-in admin's own, or the one named on the command line)."""
    batch_id = uuid.uuid4()
    await ImportBatch.insert(
        ImportBatch(
            id=batch_id,
            filename=filename[:255],
            file_sha256=await to_thread.run_sync(_sha256, content),
            as_of=as_of,
            status=ImportStatus.RUNNING,
            started_by=actor.id if actor else None,
            city_code=city,
        )
    )
    return batch_id


async def run_batch(
    batch_id: uuid.UUID,
    content: bytes,
    as_of: date,
    actor: CurrentUser | None,
    settings: Settings,
    stores: Stores,
    progress: Callable[[int, int], None] | None = None,
) -> ImportBatch:
    """Import a started batch; the batch row records progress as it goes and the outcome at the end."""
    last_recorded = 0
    try:
        batch = await ImportBatch.select(ImportBatch.city_code).where(ImportBatch.id == batch_id).first()
        city = batch["city_code"] if batch else ""
        in_city = narrowed(Region.select(Region.code), Region.code, city).where(Region.level == RegionLevel.KELURAHAN)
        kelurahan = {row["code"] for row in await in_city}
        # Decoding and checking every row is CPU work (seconds for a city's export): in a thread, so that the
        # worker's other requests — the tills, /health — keep being answered meanwhile.
        parsed = await to_thread.run_sync(_decode_and_parse, content, as_of, city, kelurahan, settings)
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
        _refuse_withdrawn(parsed, set(counts.withdrawn))
        await _replace_unenrolled(parsed, batch_id, as_of)
        async with write_transaction():
            await bulk_insert(
                ImportProblem,
                ("batch", "row_number", "field", "code"),
                [(batch_id, row, column, code) for row, column, code in parsed.problems],
            )
        outcome = {
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "aggregated": sum(parsed.unconsented.values()),
            "rejected": parsed.rejected,
        }
        async with write_transaction():
            await ImportBatch.update(
                {
                    ImportBatch.status: ImportStatus.DONE,
                    ImportBatch.processed_rows: parsed.total,
                    ImportBatch.finished_at: utc_now(),
                    **{getattr(ImportBatch, key): value for key, value in outcome.items()},
                }
            ).where(ImportBatch.id == batch_id)
            await record_event("registry.imported", "registry_import", batch_id, actor=actor, after=outcome, city=city)
        log.info("registry.imported", batch_id=str(batch_id), rows=parsed.total, **outcome)
    except Invalid as problem:
        await _fail(batch_id, "; ".join(p.message.render("en", **p.params) for p in problem.problems))
        raise
    except Exception as error:
        await _fail(batch_id, type(error).__name__)
        raise
    return await ImportBatch.objects().get(ImportBatch.id == batch_id)  # type: ignore[return-value]


def _refuse_withdrawn(parsed: Parsed, withdrawn: set[str]) -> None:
    """Rows whose child's parent withdrew consent after the consent they carry: refused by row, and the KIA (which
    the child does hold) counted without consent, as for a row that never had one."""
    for enrolment in parsed.enrolments:
        if enrolment.nik_hash in withdrawn:
            parsed.problems.append((parsed.row_of[enrolment.nik_hash], "consent_at", "consent_withdrawn_earlier"))
            bucket = (enrolment.kelurahan_code, enrolment.birth_date.year, enrolment.kia_printed_on.replace(day=1))
            parsed.unconsented[bucket] += 1


async def _fail(batch_id: uuid.UUID, message: str) -> None:
    await ImportBatch.update(
        {ImportBatch.status: ImportStatus.FAILED, ImportBatch.error: message, ImportBatch.finished_at: utc_now()}
    ).where(ImportBatch.id == batch_id)


def _unenrolled_rows(parsed: Parsed, partial_year: int, batch_id: uuid.UUID) -> list[tuple[Any, ...]]:
    full = {bucket: n for bucket, n in parsed.unconsented.items() if bucket[1] > partial_year}
    return [(city_of(code), code, year, month, count, batch_id) for (code, year, month), count in sorted(full.items())]


async def _replace_unenrolled(parsed: Parsed, batch_id: uuid.UUID, as_of: date) -> None:
    """The file is the full list of its kelurahan's KIAs of children under 17 on `as_of`.

    Birth years whose children are all still under 17 are replaced by the file's counts. The oldest year in the
    file is partly aged out, so its counts only grow (the larger of old and new); older years are history the
    file cannot speak for and stay as they were.
    """
    partial_year = as_of.year - 17
    kelurahan = sorted(parsed.kelurahan_seen)
    async with write_transaction():
        for start in range(0, len(kelurahan), 200):
            await (
                UnenrolledKia.delete()
                .where(UnenrolledKia.kelurahan_code.is_in(kelurahan[start : start + 200]))
                .where(UnenrolledKia.birth_year > partial_year)
            )
        rows = await to_thread.run_sync(_unenrolled_rows, parsed, partial_year, batch_id)  # CPU: off the loop
        await bulk_insert(
            UnenrolledKia, ("city_code", "kelurahan_code", "birth_year", "print_month", "holders", "batch"), rows
        )
        for (code, year, month), count in sorted(parsed.unconsented.items()):
            if year != partial_year:
                continue
            row = (
                await UnenrolledKia.select(UnenrolledKia.id, UnenrolledKia.holders)
                .where(
                    (UnenrolledKia.kelurahan_code == code)
                    & (UnenrolledKia.birth_year == year)
                    & (UnenrolledKia.print_month == month)
                )
                .first()
            )
            if row is None:
                await UnenrolledKia.insert(
                    UnenrolledKia(
                        city_code=city_of(code),
                        kelurahan_code=code,
                        birth_year=year,
                        print_month=month,
                        holders=count,
                        batch=batch_id,
                    )
                )
            elif count > row["holders"]:
                await UnenrolledKia.update({UnenrolledKia.holders: count, UnenrolledKia.batch: batch_id}).where(
                    UnenrolledKia.id == row["id"]
                )
        for city in sorted({city_of(code) for code in kelurahan}):
            await recount_city(city)


async def recount_city(city: str) -> None:
    """The per-city sums of an office's counted KIAs, recounted from its kelurahan rows (in the caller's
    transaction): what province and national coverage read."""
    await UnenrolledCityMonthly.delete().where(UnenrolledCityMonthly.city_code == city)
    await UnenrolledCityMonthly.raw(
        "INSERT INTO unenrolled_kia_city_monthly (city_code, print_month, birth_year, holders) "
        "SELECT city_code, print_month, birth_year, SUM(holders) FROM unenrolled_kia WHERE city_code = {} "
        "GROUP BY city_code, print_month, birth_year",
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
) -> ImportBatch:
    """Import one office's SIAK export: the signed-in admin's office, or `city` from the command line."""
    office = city or office_of(actor)
    if office is None:
        raise ValueError("an import belongs to one office: name its kabupaten/kota")
    batch_id = await start_batch(filename, content, as_of, actor, office)
    return await run_batch(batch_id, content, as_of, actor, settings, stores, progress)


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
    row = await owned(ImportBatch.select(), ImportBatch.city_code, reader).where(ImportBatch.id == batch_id).first()
    if row is None:
        raise ImportNotFound()
    fields = {name: row[name] for name in ImportRead.__struct_fields__ if name in row}
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


async def run_import(
    batch_id: uuid.UUID, content: bytes, as_of: date, actor: CurrentUser, settings: Settings, stores: Stores
) -> None:
    try:
        await run_batch(batch_id, content, as_of, actor, settings, stores)
    except Exception:  # the batch row says it failed; the client reads that, the log keeps the trace
        log.exception("registry.import_failed", batch_id=str(batch_id))
