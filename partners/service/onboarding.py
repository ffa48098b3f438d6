"""Partner onboarding: registration with its first manager, the profile, and Dukcapil's decisions with reasons."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import Any

import structlog

from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.offices import city_of, narrowed, office_of
from core.service import users
from core.service.audit import record_event
from core.service.regions import region_names
from core.settings import Settings
from core.stores import Stores
from core.tables import DUKCAPIL_ROLES, Role
from partners.errors import (
    InvalidTransition,
    OfficeAlreadyApplied,
    PartnerNotApprovedInRegion,
    PartnerNotFound,
    ReasonRequired,
    RegistrationThrottled,
)
from partners.schemas import (
    ManagerAccount,
    OfficeStanding,
    OfflineBounds,
    PartnerProfile,
    PartnerRead,
    StatusChangeRead,
)
from partners.service import webhooks
from partners.tables import (
    Partner,
    PartnerMember,
    PartnerOffice,
    PartnerStatus,
    PartnerStatusChange,
    WebhookEvent,
)

log = structlog.get_logger()

PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BUSINESS_ID = re.compile(r"^[0-9.\-]{8,32}$")
AGREEMENT = re.compile(r"^[\w ./-]{3,64}$")

NAME_RULE = Text("Nama wajib diisi (2–120 karakter).", "A name is required (2–120 characters).")
PHONE_RULE = Text(
    "Nomor telepon 8–20 angka, boleh diawali +62.", "A phone number of 8–20 digits, optionally starting with +62."
)
EMAIL_RULE = Text("Alamat email tidak valid.", "Not a valid email address.")
BUSINESS_ID_RULE = Text("NIB/NPWP: 8–32 angka (titik dan tanda hubung boleh).", "NIB/NPWP: 8–32 digits.")
AGREEMENT_RULE = Text("Nomor PKS: 3–64 karakter.", "Agreement (PKS) number: 3–64 characters.")
CITY_RULE = Text(
    "Pilih kabupaten/kota yang Dukcapil-nya sudah memakai Mitra KIA.",
    "Choose a kabupaten/kota whose Dukcapil already uses Mitra KIA.",
)
TAKEN_RULE = Text("Nama pengguna ini sudah dipakai.", "This username is already taken.")

# Dukcapil's decisions: (from, to) -> whether a reason is required.
DECISIONS: dict[tuple[PartnerStatus, PartnerStatus], bool] = {
    (PartnerStatus.PENDING, PartnerStatus.APPROVED): False,
    (PartnerStatus.PENDING, PartnerStatus.REJECTED): True,
    (PartnerStatus.APPROVED, PartnerStatus.SUSPENDED): True,
    (PartnerStatus.SUSPENDED, PartnerStatus.APPROVED): True,
}


def profile_problems(profile: PartnerProfile, prefix: str = "") -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not 2 <= len(profile.name.strip()) <= 120:
        problems.append(FieldProblem(f"{prefix}name", "invalid_name", NAME_RULE))
    if not 2 <= len(profile.contact_name.strip()) <= 120:
        problems.append(FieldProblem(f"{prefix}contact_name", "invalid_name", NAME_RULE))
    if not PHONE.match(profile.contact_phone.strip()):
        problems.append(FieldProblem(f"{prefix}contact_phone", "invalid_phone", PHONE_RULE))
    if profile.contact_email and not EMAIL.match(profile.contact_email.strip()):
        problems.append(FieldProblem(f"{prefix}contact_email", "invalid_email", EMAIL_RULE))
    if profile.business_id and not BUSINESS_ID.match(profile.business_id.strip()):
        problems.append(FieldProblem(f"{prefix}business_id", "invalid_business_id", BUSINESS_ID_RULE))
    return problems


def _profile_values(profile: PartnerProfile) -> dict[Any, Any]:
    return {
        "name": profile.name.strip(),
        "category": profile.category,
        "contact_name": profile.contact_name.strip(),
        "contact_phone": profile.contact_phone.strip(),
        "contact_email": (profile.contact_email or "").strip() or None,
        "business_id": (profile.business_id or "").strip() or None,
    }


async def registration_problems(
    profile: PartnerProfile, manager: ManagerAccount, *, enforce_password_policy: bool = True
) -> list[FieldProblem]:
    """Everything wrong with an application, each named by its field (`partner.name`, `manager.username`)."""
    problems = profile_problems(profile, "partner.")
    problems += [
        FieldProblem(f"manager.{p.field}", p.code, p.message, p.params)
        for p in users.account_problems(
            manager.username, manager.password, manager.display_name, enforce_password_policy=enforce_password_policy
        )
    ]
    if not any(p.field == "manager.username" for p in problems) and await users.username_taken(manager.username):
        problems.append(FieldProblem("manager.username", "username_taken", TAKEN_RULE))
    return problems


async def register_partner(
    profile: PartnerProfile,
    manager: ManagerAccount,
    city_code: str,
    client_ip: str,
    stores: Stores,
    settings: Settings,
    *,
    enforce_password_policy: bool = True,
) -> tuple[uuid.UUID, CurrentUser]:
    """A merchant applies: the partner (pending) and its first manager account, in one transaction.

    One address may register REGISTRATIONS_PER_ADDRESS partners per REGISTRATION_WINDOW: the turn is taken before
    anything is checked (so a burst cannot slip through together) and given back when nothing was registered.
    Only the demo seed skips the password policy (its accounts use `demo`)."""
    address = f"register:ip:{client_ip}"
    turn = await stores.take_turn(address, settings.registrations_per_address, settings.registration_window)
    if not turn.granted:
        log.warning("partner.registration_throttled")
        raise RegistrationThrottled(retry_after=turn.resets_in)
    try:
        partner_id, user = await _register(profile, manager, city_code, enforce_password_policy=enforce_password_policy)
    except BaseException:
        await stores.give_back(address)
        raise
    log.info("partner.registered", partner_id=str(partner_id))
    return partner_id, user


async def _register(
    profile: PartnerProfile, manager: ManagerAccount, city_code: str, *, enforce_password_policy: bool
) -> tuple[uuid.UUID, CurrentUser]:
    problems = await registration_problems(profile, manager, enforce_password_policy=enforce_password_policy)
    problems += await city_problems(city_code)
    if problems:
        raise Invalid(problems)
    password_hash = await users.hash_password(manager.password)
    partner_id = uuid.uuid4()
    async with write_transaction():
        user = await users.insert_user(
            manager.username, password_hash, Role.PARTNER_MANAGER, manager.display_name, actor=None
        )
        await Partner.insert(Partner(id=partner_id, status=PartnerStatus.PENDING, **_profile_values(profile)))
        await PartnerMember.insert(PartnerMember(user=user.id, partner=partner_id, outlet=None))
        await _open_standing(partner_id, city_code, user.id)
        await record_event(
            "partner.registered",
            "partner",
            partner_id,
            actor=user,
            after={"name": profile.name.strip(), "city_code": city_code},
            city=city_code,
        )
    return partner_id, user


async def _open_standing(partner_id: uuid.UUID, city_code: str, actor_id: uuid.UUID) -> None:
    """The partner's application to one office: a pending standing and its first decision-history row."""
    await PartnerOffice.insert(PartnerOffice(partner=partner_id, city_code=city_code))
    await PartnerStatusChange.insert(
        PartnerStatusChange(
            partner=partner_id,
            city_code=city_code,
            from_status=None,
            to_status=PartnerStatus.PENDING,
            actor_id=actor_id,
        )
    )


async def read_partner(partner_id: uuid.UUID, reader: CurrentUser | None = None) -> PartnerRead:
    """The partner with its standing in each office's area. An office's Dukcapil staff read it as their office
    stands with it (status, reason, agreement, history), and only if it applied there: another office's partner
    is not found. The partner's own staff, and province or national accounts, read every office's."""
    row = await Partner.select().where(Partner.id == partner_id).first()
    if row is None:
        raise PartnerNotFound()
    standings = await _standings(partner_id, reader.region if reader and reader.role in DUKCAPIL_ROLES else None)
    office = office_of(reader)
    if reader is not None and reader.role in DUKCAPIL_ROLES and not standings:
        raise PartnerNotFound()
    own = next((standing for standing in standings if standing.city_code == office), None)
    return PartnerRead(
        id=row["id"],
        name=row["name"],
        category=row["category"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        contact_email=row["contact_email"],
        business_id=row["business_id"],
        agreement_number=own.agreement_number if own else _only(standing.agreement_number for standing in standings),
        status=own.status if own else row["status"],
        status_reason=own.status_reason if own else row["status_reason"],
        void_window_minutes=row["void_window_minutes"],
        offline_max_redemptions=row["offline_max_redemptions"],
        offline_max_hours=row["offline_max_hours"],
        created_at=row["created_at"],
        history=own.history if own else [change for standing in standings for change in standing.history],
        offices=standings,
    )


def _only(values: Iterable[str | None]) -> str | None:
    """The one value there is (a partner of one office has one agreement number); None if none or several."""
    found = [value for value in values if value]
    return found[0] if len(found) == 1 else None


async def _standings(partner_id: uuid.UUID, scope: str | None) -> list[OfficeStanding]:
    """The partner's standing with each office within `scope` (None: every office), with each one's decisions and
    who made them, oldest first."""
    rows = (
        await narrowed(PartnerOffice.select(), PartnerOffice.city_code, scope)
        .where(PartnerOffice.partner == partner_id)
        .order_by(PartnerOffice.id)
    )
    if not rows:
        return []
    changes = await (
        PartnerStatusChange.select(
            PartnerStatusChange.city_code,
            PartnerStatusChange.from_status,
            PartnerStatusChange.to_status,
            PartnerStatusChange.reason,
            PartnerStatusChange.changed_at,
            PartnerStatusChange.actor_id,
        )
        .where(PartnerStatusChange.partner == partner_id)
        .order_by(PartnerStatusChange.id)
    )
    deciders = await users.names_of({change["actor_id"] for change in changes if change["actor_id"]})
    cities = await region_names({row["city_code"] for row in rows})
    return [
        OfficeStanding(
            city_code=row["city_code"],
            city_name=cities.get(row["city_code"], row["city_code"]),
            status=row["status"],
            status_reason=row["status_reason"],
            agreement_number=row["agreement_number"],
            history=[
                StatusChangeRead(
                    from_status=change["from_status"],
                    to_status=change["to_status"],
                    reason=change["reason"],
                    changed_at=change["changed_at"],
                    city_code=change["city_code"],
                    decided_by=deciders.get(change["actor_id"]),
                )
                for change in changes
                if change["city_code"] == row["city_code"]
            ],
        )
        for row in rows
    ]


async def update_profile(partner_id: uuid.UUID, profile: PartnerProfile, actor: CurrentUser) -> PartnerRead:
    problems = profile_problems(profile)
    if problems:
        raise Invalid(problems)
    values = _profile_values(profile)
    async with write_transaction():
        columns = [getattr(Partner, key) for key in values]
        before = await Partner.select(*columns).where(Partner.id == partner_id).first()
        if before is None:
            raise PartnerNotFound()
        await Partner.update({**values, "updated_at": utc_now()}).where(Partner.id == partner_id)
        await record_event(
            "partner.profile_updated",
            "partner",
            partner_id,
            actor=actor,
            before=_jsonable(before),
            after=_jsonable(values),
        )
    return await read_partner(partner_id)


async def resubmit(partner_id: uuid.UUID, actor: CurrentUser) -> PartnerRead:
    """After a rejection the manager fixes the profile and applies again, to every office that rejected it."""
    rejected = await PartnerOffice.select(PartnerOffice.city_code).where(
        PartnerOffice.partner == partner_id, PartnerOffice.status == PartnerStatus.REJECTED
    )
    if not rejected:
        current = await partner_status(partner_id)
        raise InvalidTransition(current=current.value, target=PartnerStatus.PENDING.value)
    for row in rejected:
        await _change_status(
            partner_id, row["city_code"], PartnerStatus.PENDING, None, actor, allowed_from={PartnerStatus.REJECTED}
        )
    return await read_partner(partner_id)


async def apply_to_office(partner_id: uuid.UUID, city_code: str, actor: CurrentUser) -> PartnerRead:
    """The partner asks another kabupaten/kota's Dukcapil to take part there (its outlets there need the approval)."""
    problems = await city_problems(city_code)
    if problems:
        raise Invalid(problems)
    async with write_transaction():
        existing = (
            await PartnerOffice.select(PartnerOffice.status)
            .where(PartnerOffice.partner == partner_id, PartnerOffice.city_code == city_code)
            .first()
        )
        if existing is not None:
            raise OfficeAlreadyApplied(city=await _city_name(city_code), status=existing["status"])
        await _open_standing(partner_id, city_code, actor.id)
        await record_event(
            "partner.applied", "partner", partner_id, actor=actor, after={"city_code": city_code}, city=city_code
        )
        await _sum_up(partner_id)
    return await read_partner(partner_id)


async def city_problems(city_code: str, field: str = "city_code") -> list[FieldProblem]:
    """A partner applies to the Dukcapil office of a kabupaten/kota that works on this service."""
    if city_code in await users.office_cities():
        return []
    return [FieldProblem(field, "unknown_city", CITY_RULE)]


async def office_choices() -> list[tuple[str, str]]:
    """(code, name) of the kabupaten/kota a partner may apply to, by name."""
    cities = await users.office_cities()
    names = await region_names(set(cities))
    return sorted(((code, names.get(code, code)) for code in cities), key=lambda choice: choice[1])


async def _city_name(city_code: str) -> str:
    return (await region_names({city_code})).get(city_code, city_code)


async def approved_in(partner_id: uuid.UUID, city_code: str) -> bool:
    """Whether the office of `city_code` has approved the partner (its outlets there may serve)."""
    return bool(
        await PartnerOffice.exists().where(
            PartnerOffice.partner == partner_id,
            PartnerOffice.city_code == city_code,
            PartnerOffice.status == PartnerStatus.APPROVED,
        )
    )


async def cities_of(partner_id: uuid.UUID) -> list[str]:
    """The kabupaten/kota whose office the partner has applied to or been approved by (its working area)."""
    rows = await PartnerOffice.select(PartnerOffice.city_code).where(PartnerOffice.partner == partner_id)
    return sorted({row["city_code"] for row in rows})


async def check_approved_in(partner_id: uuid.UUID, kelurahan_code: str) -> None:
    """An outlet serves only where its partner is approved: refused, naming the kabupaten/kota, before that."""
    city = city_of(kelurahan_code)
    if not await approved_in(partner_id, city):
        raise PartnerNotApprovedInRegion(city=await _city_name(city))


async def set_agreement_number(partner_id: uuid.UUID, number: str, actor: CurrentUser) -> PartnerRead:
    """The office sets or corrects the number of its agreement (PKS) with the partner, after approval too."""
    number = number.strip()
    if not AGREEMENT.match(number):
        raise Invalid([FieldProblem("agreement_number", "invalid_agreement_number", AGREEMENT_RULE)])
    office = office_of(actor) or ""
    async with write_transaction():
        row = (
            await PartnerOffice.select(PartnerOffice.agreement_number)
            .where(PartnerOffice.partner == partner_id, PartnerOffice.city_code == office)
            .first()
        )
        if row is None:
            raise PartnerNotFound()
        await PartnerOffice.update({PartnerOffice.agreement_number: number, PartnerOffice.updated_at: utc_now()}).where(
            PartnerOffice.partner == partner_id, PartnerOffice.city_code == office
        )
        await record_event(
            "partner.agreement_number_set",
            "partner",
            partner_id,
            actor=actor,
            before={"agreement_number": row["agreement_number"]},
            after={"agreement_number": number},
        )
    return await read_partner(partner_id, actor)


async def decide(
    partner_id: uuid.UUID,
    target: PartnerStatus,
    reason: str | None,
    actor: CurrentUser,
    agreement_number: str | None = None,
) -> PartnerRead:
    """An office's Dukcapil approves, rejects, suspends or reinstates a partner in its own area; rejections and
    suspensions need a reason. A partner that did not apply to the office is not found."""
    reason = (reason or "").strip() or None
    if agreement_number is not None and not AGREEMENT.match(agreement_number.strip()):
        raise Invalid([FieldProblem("agreement_number", "invalid_agreement_number", AGREEMENT_RULE)])
    allowed_from = {current for (current, to) in DECISIONS if to is target}
    await _change_status(
        partner_id,
        office_of(actor) or "",
        target,
        reason,
        actor,
        allowed_from=allowed_from,
        agreement_number=agreement_number.strip() if agreement_number else None,
    )
    return await read_partner(partner_id, actor)


async def _change_status(
    partner_id: uuid.UUID,
    city_code: str,
    target: PartnerStatus,
    reason: str | None,
    actor: CurrentUser,
    *,
    allowed_from: set[PartnerStatus],
    agreement_number: str | None = None,
) -> None:
    async with write_transaction():
        row = (
            await PartnerOffice.select(PartnerOffice.status)
            .where(PartnerOffice.partner == partner_id, PartnerOffice.city_code == city_code)
            .first()
        )
        if row is None:
            raise PartnerNotFound()
        current = PartnerStatus(row["status"])
        if current not in allowed_from:
            raise InvalidTransition(current=current.value, target=target.value)
        if DECISIONS.get((current, target)) and not reason:
            raise ReasonRequired(target=target.value)
        changes: dict[Any, Any] = {
            PartnerOffice.status: target,
            PartnerOffice.status_reason: reason,
            PartnerOffice.updated_at: utc_now(),
        }
        if agreement_number:
            changes[PartnerOffice.agreement_number] = agreement_number
        await PartnerOffice.update(changes).where(
            PartnerOffice.partner == partner_id, PartnerOffice.city_code == city_code
        )
        await PartnerStatusChange.insert(
            PartnerStatusChange(
                partner=partner_id,
                city_code=city_code,
                from_status=current,
                to_status=target,
                reason=reason,
                actor_id=actor.id,
            )
        )
        await webhooks.emit(
            partner_id, WebhookEvent.PARTNER_STATUS_CHANGED,
            {"partner_id": partner_id, "city_code": city_code, "from_status": current.value,
             "to_status": target.value, "reason": reason},
        )  # fmt: skip
        await record_event(
            f"partner.{target.value}",
            "partner",
            partner_id,
            actor=actor,
            before={"status": current.value},
            after={"status": target.value, "reason": reason},
            city=city_code,
        )
        await _sum_up(partner_id, reason if target in (PartnerStatus.REJECTED, PartnerStatus.SUSPENDED) else None)
    log.info("partner.status_changed", partner_id=str(partner_id), to=target.value)


# The partner's own status sums up its offices': approved while any office approves it, else the most hopeful.
_SUMMARY_ORDER = (PartnerStatus.APPROVED, PartnerStatus.PENDING, PartnerStatus.SUSPENDED, PartnerStatus.REJECTED)


async def _sum_up(partner_id: uuid.UUID, reason: str | None = None) -> None:
    statuses = {row["status"] for row in await PartnerOffice.select(PartnerOffice.status).where(
        PartnerOffice.partner == partner_id
    )}  # fmt: skip
    summary = next((status for status in _SUMMARY_ORDER if status in statuses), PartnerStatus.PENDING)
    await Partner.update(
        {
            Partner.status: summary,
            Partner.status_reason: reason if summary in (PartnerStatus.REJECTED, PartnerStatus.SUSPENDED) else None,
            Partner.updated_at: utc_now(),
        }
    ).where(Partner.id == partner_id)


async def list_partners(status: PartnerStatus | None = None, reader: CurrentUser | None = None) -> list[dict[str, Any]]:
    """The partners an account reviews: for an office's staff those that applied there, with the office's status;
    for a province or national account those of the offices within reach; for the command line all of them."""
    if reader is None or reader.role not in DUKCAPIL_ROLES:
        query = Partner.select(
            Partner.id, Partner.name, Partner.category, Partner.status, Partner.status_reason, Partner.created_at
        )
        if status is not None:
            query = query.where(Partner.status == status)
        return await query.order_by(Partner.created_at)
    query = narrowed(
        PartnerOffice.select(
            PartnerOffice.partner.id.as_alias("id"),
            PartnerOffice.partner.name.as_alias("name"),
            PartnerOffice.partner.category.as_alias("category"),
            PartnerOffice.status,
            PartnerOffice.status_reason,
            PartnerOffice.partner.created_at.as_alias("created_at"),
            PartnerOffice.city_code,
        ),
        PartnerOffice.city_code,
        reader.region,
    )
    if status is not None:
        query = query.where(PartnerOffice.status == status)
    rows = await query.order_by(PartnerOffice.partner.created_at)
    if office_of(reader) is not None:
        return rows
    merged: dict[uuid.UUID, dict[str, Any]] = {}  # one row per partner, with its best standing within reach
    for row in rows:
        kept = merged.get(row["id"])
        rank = _SUMMARY_ORDER.index(PartnerStatus(row["status"]))
        if kept is None or rank < _SUMMARY_ORDER.index(PartnerStatus(kept["status"])):
            merged[row["id"]] = row
    return list(merged.values())


async def partners_of(reader: CurrentUser | None) -> list[uuid.UUID] | None:
    """The partners a Dukcapil account reviews (those that applied within its reach); None: every partner."""
    if reader is None or reader.role not in DUKCAPIL_ROLES:
        return None
    return [row["id"] for row in await list_partners(None, reader)]


async def partner_status(partner_id: uuid.UUID) -> PartnerStatus:
    row = await Partner.select(Partner.status).where(Partner.id == partner_id).first()
    if row is None:
        raise PartnerNotFound()
    return PartnerStatus(row["status"])


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.value if isinstance(value, Enum) else value for key, value in values.items()}


async def set_offline_bounds(partner_id: uuid.UUID, bounds: OfflineBounds, actor: CurrentUser) -> PartnerRead:
    """How much each of the partner's tills may confirm offline: the partner's risk, chosen by its manager."""
    async with write_transaction():
        row = await (
            Partner.select(Partner.offline_max_redemptions, Partner.offline_max_hours)
            .where(Partner.id == partner_id)
            .first()
        )
        if row is None:
            raise PartnerNotFound()
        values: dict[Any, Any] = {
            "offline_max_redemptions": bounds.max_redemptions,
            "offline_max_hours": bounds.max_hours,
        }
        await Partner.update({**values, "updated_at": utc_now()}).where(Partner.id == partner_id)
        await record_event("partner.offline_bounds_set", "partner", partner_id, actor=actor, before=row, after=values)
    return await read_partner(partner_id)


VOID_WINDOW_RULE = Text(
    "Batas pembatalan dalam menit: 1 sampai 10.080 (7 hari), atau kosong untuk akhir hari setempat.",
    "The void window in minutes: 1 to 10,080 (7 days), or empty for the end of the local day.",
)


async def set_void_window(partner_id: uuid.UUID, minutes: int | None, actor: CurrentUser) -> PartnerRead:
    """How long after a redemption it may be voided, as agreed in the partner's PKS (None: end of the local day)."""
    if minutes is not None and not 1 <= minutes <= 10_080:
        raise Invalid([FieldProblem("void_window_minutes", "invalid_void_window", VOID_WINDOW_RULE)])
    async with write_transaction():
        row = await Partner.select(Partner.void_window_minutes).where(Partner.id == partner_id).first()
        if row is None:
            raise PartnerNotFound()
        await Partner.update({Partner.void_window_minutes: minutes, Partner.updated_at: utc_now()}).where(
            Partner.id == partner_id
        )
        await record_event(
            "partner.void_window_set",
            "partner",
            partner_id,
            actor=actor,
            before={"void_window_minutes": row["void_window_minutes"]},
            after={"void_window_minutes": minutes},
        )
    return await read_partner(partner_id)
