"""How to get a KIA, per kabupaten/kota: the documents Permendagri 2/2016 asks for (the same everywhere, by the
child's age) and what each office writes of its own counter, hours and online channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admin.schemas import KiaGuideForm
from admin.tables import KiaGuide
from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import NotFound
from core.i18n import Text
from core.localtime import utc_now
from core.offices import office_of
from core.service.audit import record_event
from core.service.regions import region_names

# Permendagri No. 2 Tahun 2016 tentang Kartu Identitas Anak, Pasal 13: what a parent brings, by the child's age.
REQUIREMENTS: list[tuple[Text, list[Text]]] = [
    (
        Text("Bayi baru lahir", "A newborn"),
        [
            Text("KIA diterbitkan bersama kutipan akta kelahiran, tanpa permohonan tersendiri.",
                 "The KIA is issued together with the birth certificate, with no separate application."),
        ],
    ),
    (
        Text("Anak di bawah 5 tahun", "A child under 5"),
        [
            Text("Fotokopi kutipan akta kelahiran, dengan menunjukkan aslinya",
                 "A copy of the birth certificate, showing the original"),
            Text("Kartu Keluarga (KK) asli orang tua atau wali",
                 "The original family card (KK) of the parents or guardian"),
            Text("KTP-el asli kedua orang tua atau wali", "The original e-KTP of both parents or the guardian"),
        ],
    ),
    (
        Text("Anak 5 sampai 17 tahun", "A child aged 5 to 17"),
        [
            Text("Fotokopi kutipan akta kelahiran, dengan menunjukkan aslinya",
                 "A copy of the birth certificate, showing the original"),
            Text("Kartu Keluarga (KK) asli orang tua atau wali",
                 "The original family card (KK) of the parents or guardian"),
            Text("KTP-el asli kedua orang tua atau wali", "The original e-KTP of both parents or the guardian"),
            Text("Pas foto anak berwarna ukuran 2 × 3 cm, 2 lembar", "Two colour photographs of the child, 2 × 3 cm"),
        ],
    ),
]  # fmt: skip


class GuideNotFound(NotFound):
    code = "kia_guide_not_found"
    title = Text("Panduan belum ditulis", "No guide yet")
    detail = Text(
        "Dukcapil kabupaten/kota ini belum menulis panduannya.", "This kabupaten/kota's Dukcapil has not written one."
    )


@dataclass(frozen=True, slots=True)
class Guide:
    city_code: str
    city_name: str
    office_name: str
    address: str
    hours: list[str]
    channels: list[str]
    notes: str
    updated_at: datetime


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


async def guide(city_code: str) -> Guide:
    """The published guide of one kabupaten/kota."""
    row = await KiaGuide.select().where(KiaGuide.city_code == city_code).first()
    if row is None:
        raise GuideNotFound()
    names = await region_names({city_code})
    return Guide(
        city_code=city_code,
        city_name=names.get(city_code, city_code),
        office_name=row["office_name"],
        address=row["address"],
        hours=_lines(row["hours"]),
        channels=_lines(row["channels"]),
        notes=row["notes"],
        updated_at=row["updated_at"],
    )


async def guides() -> list[tuple[str, str]]:
    """(city code, city name) of every kabupaten/kota with a guide, by name."""
    codes = [row["city_code"] for row in await KiaGuide.select(KiaGuide.city_code)]
    names = await region_names(set(codes))
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda pair: pair[1])


async def own_form(user: CurrentUser) -> dict[str, str]:
    """What the office's form shows: its saved guide, or nothing yet."""
    row = await KiaGuide.select().where(KiaGuide.city_code == (office_of(user) or "-")).first()
    fields = ("office_name", "address", "hours", "channels", "notes")
    return {field: row[field] for field in fields} if row else {}


async def save(user: CurrentUser, form: KiaGuideForm) -> str:
    """Write the signed-in office's guide (an office writes only its own). Returns its kabupaten/kota code."""
    city = office_of(user)
    if city is None:
        raise GuideNotFound()  # a province or national account has no counter of its own
    values: dict[Any, Any] = {
        "office_name": form.office_name.strip(),
        "address": form.address.strip(),
        "hours": form.hours.strip(),
        "channels": form.channels.strip(),
        "notes": form.notes.strip(),
    }
    async with write_transaction():
        before = await KiaGuide.select().where(KiaGuide.city_code == city).first()
        if before is None:
            await KiaGuide.insert(
                KiaGuide(
                    city_code=city, updated_by=user.id, office_name=values["office_name"], address=values["address"],
                    hours=values["hours"], channels=values["channels"], notes=values["notes"],
                )
            )  # fmt: skip
        else:
            await KiaGuide.update({**values, "updated_at": utc_now(), "updated_by": user.id}).where(
                KiaGuide.city_code == city
            )
        await record_event("kia_guide.saved", "kia_guide", city, actor=user, after=values, city=city)
    return city
