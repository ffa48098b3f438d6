"""Outlets: where a partner serves KIA holders, in a real kelurahan, with weekly opening hours and a time zone."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from core.auth import CurrentUser
from core.database.statements import CompiledQuery
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import INDONESIAN_ZONES, utc_now
from core.offices import city_of
from core.service.audit import record_event
from core.service.regions import region_exists
from core.service.stamped import StampedCache
from core.tables import Region, RegionLevel
from partners.errors import OutletNotFound
from partners.schemas import Interval, OutletIn, OutletRead
from partners.service import onboarding
from partners.tables import Outlet, PartnerOffice, PartnerStatus

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")

NAME_RULE = Text("Nama outlet wajib diisi (2–120 karakter).", "An outlet name is required (2–120 characters).")
ADDRESS_RULE = Text("Alamat wajib diisi (5–255 karakter).", "An address is required (5–255 characters).")
KELURAHAN_RULE = Text(
    "Kode kelurahan tidak dikenal: gunakan kode wilayah Kemendagri, mis. 31.71.01.1001.",
    "Unknown kelurahan code: use a Kemendagri region code, e.g. 31.71.01.1001.",
)
ZONE_RULE = Text(
    "Zona waktu harus salah satu dari: {zones}.",
    "The time zone must be one of: {zones}.",
)
DAY_RULE = Text("Hari tidak dikenal: gunakan mon, tue, wed, thu, fri, sat, sun.", "Unknown day: use mon … sun.")
CLOCK_RULE = Text("Jam ditulis HH:MM (00:00–24:00).", "Times are written HH:MM (00:00–24:00).")
ORDER_RULE = Text("Jam tutup harus setelah jam buka.", "Closing time must be after opening time.")


def hours_problems(opening_hours: dict[str, list[Interval]], prefix: str = "opening_hours") -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for day, intervals in opening_hours.items():
        if day not in WEEKDAYS:
            problems.append(FieldProblem(f"{prefix}.{day}", "unknown_weekday", DAY_RULE))
            continue
        for index, interval in enumerate(intervals):
            path = f"{prefix}.{day}[{index}]"
            if not (CLOCK.match(interval.open) and CLOCK.match(interval.close)):
                problems.append(FieldProblem(path, "invalid_time", CLOCK_RULE))
            elif interval.close <= interval.open:
                problems.append(FieldProblem(path, "close_before_open", ORDER_RULE))
    return problems


async def outlet_problems(data: OutletIn, kept_kelurahan: str | None = None) -> list[FieldProblem]:
    """`kept_kelurahan`: the outlet's own code, still accepted after Kemendagri retired it (a new one is not)."""
    problems: list[FieldProblem] = []
    if not 2 <= len(data.name.strip()) <= 120:
        problems.append(FieldProblem("name", "invalid_name", NAME_RULE))
    if not 5 <= len(data.address.strip()) <= 255:
        problems.append(FieldProblem("address", "invalid_address", ADDRESS_RULE))
    if data.kelurahan_code != kept_kelurahan and not await region_exists(data.kelurahan_code, RegionLevel.KELURAHAN):
        problems.append(FieldProblem("kelurahan_code", "unknown_kelurahan", KELURAHAN_RULE))
    if data.timezone not in INDONESIAN_ZONES:
        problems.append(FieldProblem("timezone", "unknown_timezone", ZONE_RULE, {"zones": ", ".join(INDONESIAN_ZONES)}))
    problems += hours_problems(data.opening_hours)
    return problems


def _values(data: OutletIn) -> dict[Any, Any]:
    return {
        "name": data.name.strip(),
        "address": data.address.strip(),
        "kelurahan_code": data.kelurahan_code,
        "opening_hours": {
            day: [{"open": i.open, "close": i.close} for i in intervals]
            for day, intervals in data.opening_hours.items()
            if intervals
        },
        "timezone": data.timezone,
        "active": data.active,
    }


async def create_outlet(partner_id: uuid.UUID, data: OutletIn, actor: CurrentUser) -> OutletRead:
    """A new outlet, in a kabupaten/kota whose Dukcapil has approved the partner."""
    problems = await outlet_problems(data)
    if problems:
        raise Invalid(problems)
    await onboarding.check_approved_in(partner_id, data.kelurahan_code)
    outlet_id = uuid.uuid4()
    values = _values(data)
    async with write_transaction():
        await Outlet.insert(Outlet(id=outlet_id, partner=partner_id, **values))
        await record_event(
            "outlet.created",
            "outlet",
            outlet_id,
            actor=actor,
            after={"name": values["name"], "kelurahan_code": data.kelurahan_code},
            city=city_of(data.kelurahan_code),
        )
    return await get_outlet(partner_id, outlet_id)


async def update_outlet(partner_id: uuid.UUID, outlet_id: uuid.UUID, data: OutletIn, actor: CurrentUser) -> OutletRead:
    current = await get_outlet(partner_id, outlet_id)
    problems = await outlet_problems(data, kept_kelurahan=current.kelurahan_code)
    if problems:
        raise Invalid(problems)
    if data.kelurahan_code != current.kelurahan_code:  # moved: to where the partner is approved too
        await onboarding.check_approved_in(partner_id, data.kelurahan_code)
    values = _values(data)
    async with write_transaction():
        before = await Outlet.select(Outlet.name, Outlet.active).where(Outlet.id == outlet_id).first()
        await Outlet.update({**values, "updated_at": utc_now()}).where(Outlet.id == outlet_id)
        await record_event(
            "outlet.updated",
            "outlet",
            outlet_id,
            actor=actor,
            before=before,
            after={"name": values["name"], "active": values["active"]},
        )
    return await get_outlet(partner_id, outlet_id)


async def list_outlets(partner_id: uuid.UUID, active_only: bool = False) -> list[OutletRead]:
    query = Outlet.select().where(Outlet.partner == partner_id).output(load_json=True)
    if active_only:
        query = query.where(Outlet.active.eq(True))
    rows = await query.order_by(Outlet.name)
    return await _read_many(rows)


async def get_outlet(partner_id: uuid.UUID, outlet_id: uuid.UUID) -> OutletRead:
    """One outlet of this partner; another partner's outlet is "not found"."""
    row = (
        await Outlet.select()
        .where(Outlet.id == outlet_id)
        .where(Outlet.partner == partner_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise OutletNotFound()
    return (await _read_many([row]))[0]


async def outlet_ids_of(partner_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await Outlet.select(Outlet.id).where(Outlet.partner == partner_id)
    return {row["id"] for row in rows}


async def _read_many(rows: list[dict[str, Any]]) -> list[OutletRead]:
    names = await region_names({row["kelurahan_code"] for row in rows})
    result = []
    for row in rows:
        kelurahan = names.get(row["kelurahan_code"])
        kecamatan = names.get(kelurahan[1]) if kelurahan and kelurahan[1] else None
        result.append(
            OutletRead(
                id=row["id"],
                partner_id=row["partner"],
                name=row["name"],
                address=row["address"],
                kelurahan_code=row["kelurahan_code"],
                kelurahan_name=kelurahan[0] if kelurahan else None,
                kecamatan_code=kelurahan[1] if kelurahan else None,
                kecamatan_name=kecamatan[0] if kecamatan else None,
                opening_hours={
                    day: [Interval(open=i["open"], close=i["close"]) for i in intervals]
                    for day, intervals in row["opening_hours"].items()
                },
                timezone=row["timezone"],
                active=row["active"],
            )
        )
    return result


async def region_names(kelurahan_codes: set[str]) -> dict[str, tuple[str, str | None]]:
    """code -> (name, parent code) for these kelurahan and their kecamatan."""
    if not kelurahan_codes:
        return {}
    # Parents come from the table, not from the code: kelurahan have moved between kecamatan over the years.
    rows = await Region.select(Region.code, Region.name, Region.parent_code).where(
        Region.code.is_in(list(kelurahan_codes))
    )
    parents = {row["parent_code"] for row in rows if row["parent_code"]}
    if parents:
        rows += await Region.select(Region.code, Region.name, Region.parent_code).where(
            Region.code.is_in(list(parents))
        )
    return {row["code"]: (row["name"], row["parent_code"]) for row in rows}


@dataclass(frozen=True)
class TillPlace:
    """What a till needs of its outlet and partner: whether it may serve, its zone, the void window."""

    partner_id: uuid.UUID
    outlet_id: uuid.UUID
    outlet_name: str
    outlet_active: bool
    timezone: str
    partner_status: str  # as the office of the outlet's kabupaten/kota stands with the partner
    void_window_minutes: int | None
    kelurahan_code: str = ""
    offline_max_redemptions: int = 0  # the partner's offline bounds (verification.service.offline)
    offline_max_hours: int = 0
    # When the outlet is open, by weekday (`mon`..`sun`: [(open, close), ...]); empty: no hours recorded, always open.
    opening_hours: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


# Asked on every till request: compiled once (core.database.statements.CompiledQuery).
_TILL_PLACE = CompiledQuery(
    lambda partner_id, outlet_id: (
        Outlet.select(
            Outlet.name,
            Outlet.active,
            Outlet.timezone,
            Outlet.kelurahan_code,
            Outlet.opening_hours,
            Outlet.partner.void_window_minutes.as_alias("void_window_minutes"),
            Outlet.partner.offline_max_redemptions.as_alias("offline_max_redemptions"),
            Outlet.partner.offline_max_hours.as_alias("offline_max_hours"),
        )
        .where(Outlet.id == outlet_id)
        .where(Outlet.partner == partner_id)
        .first()
    ),
    first=True,
)
_OFFICE_STANDING = CompiledQuery(
    lambda partner_id, city_code: (
        PartnerOffice.select(PartnerOffice.status)
        .where(PartnerOffice.partner == partner_id)
        .where(PartnerOffice.city_code == city_code)
        .first()
    ),
    first=True,
)


_TILL_PLACES: StampedCache[tuple[uuid.UUID, uuid.UUID], TillPlace] = StampedCache()


async def till_place(partner_id: uuid.UUID, outlet_id: uuid.UUID) -> TillPlace:
    """The outlet as a till sees it (kept in memory: core.service.stamped)."""
    return await _TILL_PLACES.get((partner_id, outlet_id), lambda: _read_till_place(partner_id, outlet_id))


async def _read_till_place(partner_id: uuid.UUID, outlet_id: uuid.UUID) -> TillPlace:
    row = await _TILL_PLACE(partner_id, outlet_id)
    if row is None:
        raise OutletNotFound()
    # A till serves while the office of its kabupaten/kota approves the partner (another office's suspension does
    # not stop it; this office's does).
    standing = await _OFFICE_STANDING(partner_id, city_of(row["kelurahan_code"]))
    return TillPlace(
        partner_id=partner_id,
        outlet_id=outlet_id,
        outlet_name=row["name"],
        outlet_active=row["active"],
        timezone=row["timezone"],
        partner_status=standing["status"] if standing else PartnerStatus.PENDING.value,
        void_window_minutes=row["void_window_minutes"],
        kelurahan_code=row["kelurahan_code"],
        offline_max_redemptions=row["offline_max_redemptions"],
        offline_max_hours=row["offline_max_hours"],
        opening_hours=_hours(row["opening_hours"]),
    )


def _hours(stored: Any) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The stored JSON as a hashable value (a till's place is cached and compared)."""
    hours = json.loads(stored) if isinstance(stored, str) else (stored or {})
    return tuple(
        (day, tuple((span["open"], span["close"]) for span in spans)) for day, spans in sorted(hours.items()) if spans
    )
