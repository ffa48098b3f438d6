"""The personal-data breach register (UU PDP 27/2022 art. 46): Dukcapil records an incident, who was told and when,
within 3 × 24 hours of discovery; the record exports for the supervisory authority (CSV, PDF) and gives the notice
text for the parents. Scoped to the recording account's reach; every change is audited."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from admin.errors import BreachNotFound
from admin.schemas import BreachIn, BreachRead
from admin.service.documents import Document
from admin.tables import BreachIncident, BreachStatus
from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.offices import covers, seen
from core.service.audit import record_event
from core.tables import Region
from core.web import tanggal, waktu

NOTIFY_WITHIN = timedelta(hours=72)  # UU PDP art. 46(1): "paling lambat 3 x 24 (tiga kali dua puluh empat) jam"

# The kinds of personal data the service holds, as an incident names them.
CATEGORIES: dict[str, Text] = {
    "nik_hash": Text("Hash NIK (terkunci)", "Keyed NIK hash"),
    "birth_date": Text("Tanggal lahir anak", "Children's birth dates"),
    "sex": Text("Jenis kelamin anak", "Children's sex"),
    "kelurahan": Text("Kelurahan tempat tinggal", "Kelurahan of residence"),
    "consent": Text("Catatan persetujuan orang tua", "Parental consent records"),
    "card_credentials": Text("QR atau kode manual kartu", "Card QR codes or manual codes"),
    "redemptions": Text("Riwayat penukaran (mitra, tanggal)", "Redemption history (partner, date)"),
    "registry_file": Text("Berkas ekspor SIAK (NIK, tanggal lahir)", "SIAK export file (NIKs, birth dates)"),
    "staff_accounts": Text("Akun petugas", "Staff accounts"),
    "other": Text("Lainnya (lihat uraian)", "Other (see the description)"),
}

UNKNOWN_CATEGORY = Text("Jenis data tidak dikenal: {category}.", "Unknown kind of data: {category}.")
REGION_OUTSIDE = Text(
    "Wilayah {region} tidak dikenal atau di luar wilayah Anda.", "Region {region} is unknown or outside your area."
)
NOTIFIED_BEFORE_DISCOVERY = Text(
    "Waktu pemberitahuan tidak boleh sebelum waktu insiden diketahui.",
    "A notification cannot come before the incident was discovered.",
)
IN_THE_FUTURE = Text("Waktu ini belum terjadi.", "This time has not come yet.")


STATUS = {"open": Text("terbuka", "open"), "closed": Text("ditutup", "closed")}


def kinds(breach: BreachRead, language: str) -> str:
    return ", ".join(CATEGORIES[c].render(language) for c in breach.categories if c in CATEGORIES) or "-"


def notify_by(discovered_at: datetime) -> datetime:
    return discovered_at + NOTIFY_WITHIN


async def _check(data: BreachIn, actor: CurrentUser) -> None:
    problems = [
        FieldProblem("categories", "unknown_category", UNKNOWN_CATEGORY, {"category": category})
        for category in data.categories
        if category not in CATEGORIES
    ]
    known = {
        row["code"] for row in await Region.select(Region.code).where(Region.code.is_in(data.regions or [""]))
    }  # fmt: skip
    problems += [
        FieldProblem("regions", "region_outside_reach", REGION_OUTSIDE, {"region": region})
        for region in data.regions
        if region not in known or not covers(actor.region, region)
    ]
    now = utc_now()
    if data.discovered_at > now:
        problems.append(FieldProblem("discovered_at", "in_the_future", IN_THE_FUTURE))
    for name in ("authority_notified_at", "parents_notified_at"):
        moment = getattr(data, name)
        if moment is not None and moment < data.discovered_at:
            problems.append(FieldProblem(name, "notified_before_discovery", NOTIFIED_BEFORE_DISCOVERY))
        elif moment is not None and moment > now:
            problems.append(FieldProblem(name, "in_the_future", IN_THE_FUTURE))
    if problems:
        raise Invalid(problems)


def _columns(data: BreachIn) -> dict[str, Any]:
    return {
        "discovered_at": data.discovered_at,
        "description": data.description.strip(),
        "categories": sorted(set(data.categories)),
        "regions": sorted(set(data.regions)),
        "children_affected": data.children_affected,
        "measures": data.measures.strip(),
        "authority_notified_at": data.authority_notified_at,
        "parents_notified_at": data.parents_notified_at,
        "others_notified": data.others_notified.strip(),
        "status": BreachStatus.CLOSED if data.closed else BreachStatus.OPEN,
    }


def _summary(columns: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a record: no free text (it may name people), only the facts that count."""
    return {
        "discovered_at": columns["discovered_at"].isoformat(),
        "categories": columns["categories"],
        "regions": columns["regions"],
        "children_affected": columns["children_affected"],
        "authority_notified": columns["authority_notified_at"] is not None,
        "parents_notified": columns["parents_notified_at"] is not None,
        "status": str(columns["status"]),
    }


async def record(data: BreachIn, actor: CurrentUser) -> BreachRead:
    """A new incident in the register of the actor's reach (an office, a province, or the whole country)."""
    await _check(data, actor)
    breach_id = uuid.uuid4()
    columns = _columns(data)
    async with write_transaction():
        await BreachIncident.insert(
            BreachIncident(id=breach_id, scope_code=actor.region or "", recorded_by=actor.id, **columns)
        )
        await record_event("breach.recorded", "breach", breach_id, actor=actor, after=_summary(columns))
    return await read(breach_id, actor)


async def update(breach_id: uuid.UUID, data: BreachIn, actor: CurrentUser) -> BreachRead:
    """Complete or correct a record (who was told and when, measures, closing it); audited with what changed."""
    before = await read(breach_id, actor)
    await _check(data, actor)
    columns = _columns(data)
    async with write_transaction():
        changes: dict[Any, Any] = {**columns, "updated_at": utc_now()}
        await BreachIncident.update(changes).where(BreachIncident.id == breach_id)
        await record_event(
            "breach.updated", "breach", breach_id, actor=actor,
            before=_summary({**msgspec.structs.asdict(before), "status": before.status}), after=_summary(columns),
        )  # fmt: skip
    return await read(breach_id, actor)


def _as_read(row: dict[str, Any], now: datetime) -> BreachRead:
    deadline = notify_by(row["discovered_at"])
    told = row["authority_notified_at"] is not None and row["parents_notified_at"] is not None
    return BreachRead(
        id=row["id"], scope_code=row["scope_code"], discovered_at=row["discovered_at"], notify_by=deadline,
        description=row["description"], categories=list(_json(row["categories"])), regions=list(_json(row["regions"])),
        children_affected=row["children_affected"], measures=row["measures"], status=row["status"],
        authority_notified_at=row["authority_notified_at"], parents_notified_at=row["parents_notified_at"],
        others_notified=row["others_notified"], recorded_at=row["recorded_at"], updated_at=row["updated_at"],
        overdue=not told and now > deadline,
    )  # fmt: skip


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


async def office_name(scope_code: str) -> str:
    """Who the register belongs to, as a report names it: the office's region, or the directorate general."""
    if not scope_code:
        return "Ditjen Dukcapil"
    region = await Region.select(Region.name).where(Region.code == scope_code).first()
    return f"Dinas Dukcapil {region['name']}" if region else f"Dukcapil {scope_code}"


async def read(breach_id: uuid.UUID, reader: CurrentUser) -> BreachRead:
    """One record of the reader's reach; another office's is not found."""
    row = await seen(BreachIncident.select(), BreachIncident.scope_code, reader).where(
        BreachIncident.id == breach_id
    ).first()  # fmt: skip
    if row is None:
        raise BreachNotFound()
    return _as_read(row, utc_now())


async def register(reader: CurrentUser) -> list[BreachRead]:
    """The reader's register, open incidents first, newest first."""
    rows = await seen(BreachIncident.select(), BreachIncident.scope_code, reader).order_by(
        BreachIncident.discovered_at, ascending=False
    )  # fmt: skip
    now = utc_now()
    return sorted((_as_read(row, now) for row in rows), key=lambda b: b.status != BreachStatus.OPEN)


# --- for the supervisory authority and for the parents ------------------------------------------------------

CSV_COLUMNS = (
    "id", "scope_code", "discovered_at", "notify_by", "status", "description", "categories", "regions",
    "children_affected", "measures", "authority_notified_at", "parents_notified_at", "others_notified",
    "recorded_at", "updated_at", "overdue",
)  # fmt: skip


def export_rows(breaches: list[BreachRead]) -> list[dict[str, Any]]:
    """The register as CSV rows for the supervisory authority: lists joined by ";", times in ISO 8601 (UTC)."""
    return [{name: _cell(value) for name, value in msgspec.structs.asdict(b).items()} for b in breaches]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(value)
    return value.isoformat() if isinstance(value, datetime) else value


def parents_notice(breach: BreachRead, language: str, office: str, zone: str) -> str:
    """The notice to the parents (UU PDP art. 46(2): what data, when and how it was exposed, and what is done), to
    send by letter, school or WhatsApp. Written from the record; the office adds its contact line."""
    data = kinds(breach, language)
    when = tanggal(breach.discovered_at.astimezone(ZoneInfo(zone)), language)
    if language == "en":
        return (
            f"Notice from {office} about your child's data in the KIA programme (Mitra KIA)\n\n"
            f"On {when} we found an incident concerning children's personal data: {breach.description}\n\n"
            f"Data concerned: {data}.\nChildren concerned: {breach.children_affected}.\n\n"
            f"What we have done: {breach.measures or '-'}\n\n"
            "No NIK in plain text, no name and no address is held by the programme. If you have questions, or want "
            "to see what the programme holds about your child, contact the Dukcapil office; you may also withdraw "
            "your consent there at any time."
        )
    return (
        f"Pemberitahuan dari {office} tentang data anak Anda dalam program KIA (Mitra KIA)\n\n"
        f"Pada {when} kami menemukan insiden yang menyangkut data pribadi anak: {breach.description}\n\n"
        f"Data yang terkena: {data}.\nJumlah anak yang terkena: {breach.children_affected}.\n\n"
        f"Yang sudah kami lakukan: {breach.measures or '-'}\n\n"
        "Program ini tidak menyimpan NIK dalam bentuk terbaca, nama, maupun alamat anak. Bila ada pertanyaan, atau "
        "ingin melihat data apa yang disimpan program tentang anak Anda, hubungi kantor Dukcapil; di sana Anda juga "
        "dapat menarik persetujuan kapan saja."
    )


def as_pdf(breach: BreachRead, language: str, office: str, zone: str) -> bytes:
    """The record as a report for the supervisory authority, with the parents' notice on its second page."""
    english = language == "en"
    title = "Personal data incident report" if english else "Laporan insiden data pribadi"
    document = Document(f"{title} - {office}", "UU PDP 27/2022 pasal 46 - Mitra KIA")

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "not yet" if english else "belum"
        return f"{tanggal(moment.astimezone(ZoneInfo(zone)), language)} {waktu(moment, zone)}"

    document.facts([
        ("Record" if english else "Nomor catatan", str(breach.id)),
        ("Discovered" if english else "Diketahui", when(breach.discovered_at)),
        ("Notify by (3 x 24 h)" if english else "Batas pemberitahuan (3 x 24 jam)", when(breach.notify_by)),
        ("Status", STATUS[breach.status].render(language)),
        ("Children concerned" if english else "Jumlah anak terkena", str(breach.children_affected)),
        ("Data concerned" if english else "Jenis data", kinds(breach, language)),
        ("Regions" if english else "Wilayah", ", ".join(breach.regions) or "-"),
        ("Authority notified" if english else "Lembaga PDP diberi tahu", when(breach.authority_notified_at)),
        ("Parents notified" if english else "Orang tua diberi tahu", when(breach.parents_notified_at)),
        ("Others notified" if english else "Pihak lain diberi tahu", breach.others_notified or "-"),
    ])  # fmt: skip
    document.section("What happened" if english else "Uraian kejadian", breach.description)
    document.section("Measures taken" if english else "Langkah yang diambil", breach.measures or "-")
    document.new_page()
    document.section(
        "Notice to parents" if english else "Pemberitahuan untuk orang tua",
        parents_notice(breach, language, office, zone),
    )
    return document.output()
