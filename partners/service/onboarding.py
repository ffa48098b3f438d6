"""Partner onboarding: registration with its first manager, the profile, and Dukcapil's decisions with reasons."""

from __future__ import annotations

import re
import uuid
from enum import Enum
from typing import Any

import structlog

from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.service import users
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from core.tables import Role
from partners.errors import (
    InvalidTransition,
    PartnerNotFound,
    ReasonRequired,
    RegistrationThrottled,
)
from partners.schemas import ManagerAccount, PartnerProfile, PartnerRead, StatusChangeRead
from partners.tables import Partner, PartnerMember, PartnerStatus, PartnerStatusChange

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
        partner_id, user = await _register(profile, manager, enforce_password_policy=enforce_password_policy)
    except BaseException:
        await stores.give_back(address)
        raise
    log.info("partner.registered", partner_id=str(partner_id))
    return partner_id, user


async def _register(
    profile: PartnerProfile, manager: ManagerAccount, *, enforce_password_policy: bool
) -> tuple[uuid.UUID, CurrentUser]:
    problems = await registration_problems(profile, manager, enforce_password_policy=enforce_password_policy)
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
        await PartnerStatusChange.insert(
            PartnerStatusChange(partner=partner_id, from_status=None, to_status=PartnerStatus.PENDING, actor_id=user.id)
        )
        await record_event(
            "partner.registered", "partner", partner_id, actor=user, after={"name": profile.name.strip()}
        )
    return partner_id, user


async def read_partner(partner_id: uuid.UUID) -> PartnerRead:
    row = await Partner.select().where(Partner.id == partner_id).first()
    if row is None:
        raise PartnerNotFound()
    history = (
        await PartnerStatusChange.select(
            PartnerStatusChange.from_status,
            PartnerStatusChange.to_status,
            PartnerStatusChange.reason,
            PartnerStatusChange.changed_at,
        )
        .where(PartnerStatusChange.partner == partner_id)
        .order_by(PartnerStatusChange.id)
    )
    return PartnerRead(
        id=row["id"],
        name=row["name"],
        category=row["category"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        contact_email=row["contact_email"],
        business_id=row["business_id"],
        agreement_number=row["agreement_number"],
        status=row["status"],
        status_reason=row["status_reason"],
        void_window_minutes=row["void_window_minutes"],
        created_at=row["created_at"],
        history=[StatusChangeRead(**change) for change in history],
    )


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
    """After a rejection the manager fixes the profile and applies again."""
    await _change_status(partner_id, PartnerStatus.PENDING, None, actor, allowed_from={PartnerStatus.REJECTED})
    return await read_partner(partner_id)


async def decide(
    partner_id: uuid.UUID,
    target: PartnerStatus,
    reason: str | None,
    actor: CurrentUser,
    agreement_number: str | None = None,
) -> PartnerRead:
    """Dukcapil approves, rejects, suspends or reinstates a partner; rejections and suspensions need a reason."""
    reason = (reason or "").strip() or None
    if agreement_number is not None and not AGREEMENT.match(agreement_number.strip()):
        raise Invalid([FieldProblem("agreement_number", "invalid_agreement_number", AGREEMENT_RULE)])
    allowed_from = {current for (current, to) in DECISIONS if to is target}
    await _change_status(
        partner_id,
        target,
        reason,
        actor,
        allowed_from=allowed_from,
        agreement_number=agreement_number.strip() if agreement_number else None,
    )
    return await read_partner(partner_id)


async def _change_status(
    partner_id: uuid.UUID,
    target: PartnerStatus,
    reason: str | None,
    actor: CurrentUser,
    *,
    allowed_from: set[PartnerStatus],
    agreement_number: str | None = None,
) -> None:
    async with write_transaction():
        row = await Partner.select(Partner.status).where(Partner.id == partner_id).first()
        if row is None:
            raise PartnerNotFound()
        current = PartnerStatus(row["status"])
        if current not in allowed_from:
            raise InvalidTransition(current=current.value, target=target.value)
        if DECISIONS.get((current, target)) and not reason:
            raise ReasonRequired(target=target.value)
        changes: dict[Any, Any] = {Partner.status: target, Partner.status_reason: reason, Partner.updated_at: utc_now()}
        if agreement_number:
            changes[Partner.agreement_number] = agreement_number
        await Partner.update(changes).where(Partner.id == partner_id)
        await PartnerStatusChange.insert(
            PartnerStatusChange(
                partner=partner_id, from_status=current, to_status=target, reason=reason, actor_id=actor.id
            )
        )
        await record_event(
            f"partner.{target.value}",
            "partner",
            partner_id,
            actor=actor,
            before={"status": current.value},
            after={"status": target.value, "reason": reason},
        )
    log.info("partner.status_changed", partner_id=str(partner_id), to=target.value)


async def list_partners(status: PartnerStatus | None = None) -> list[dict[str, Any]]:
    query = Partner.select(
        Partner.id, Partner.name, Partner.category, Partner.status, Partner.status_reason, Partner.created_at
    )
    if status is not None:
        query = query.where(Partner.status == status)
    return await query.order_by(Partner.created_at)


async def partner_status(partner_id: uuid.UUID) -> PartnerStatus:
    row = await Partner.select(Partner.status).where(Partner.id == partner_id).first()
    if row is None:
        raise PartnerNotFound()
    return PartnerStatus(row["status"])


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.value if isinstance(value, Enum) else value for key, value in values.items()}


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
