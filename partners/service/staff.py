"""A partner's staff: managers create cashiers (each bound to one outlet) and other managers, reset, disable."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.service import users
from core.tables import Role
from partners.errors import CannotDisableSelf, StaffMemberNotFound
from partners.schemas import StaffCreate, StaffRead, StaffRole, StaffUpdate
from partners.service.onboarding import TAKEN_RULE
from partners.service.outlets import outlet_ids_of
from partners.tables import PartnerMember

OUTLET_REQUIRED = Text(
    "Kasir harus terikat pada satu outlet mitra ini.", "A cashier must belong to one of your outlets."
)
OUTLET_UNKNOWN = Text("Outlet ini bukan milik mitra Anda.", "This outlet is not one of yours.")
MANAGER_HAS_NO_OUTLET = Text(
    "Manajer mengelola seluruh mitra, tanpa outlet.", "A manager manages the whole partner, without an outlet."
)
NOT_A_CASHIER = Text("Hanya kasir yang terikat pada outlet.", "Only cashiers belong to an outlet.")


def _staff_query(partner_id: uuid.UUID) -> Any:
    return PartnerMember.select(
        PartnerMember.user.id.as_alias("id"),
        PartnerMember.user.username.as_alias("username"),
        PartnerMember.user.display_name.as_alias("display_name"),
        PartnerMember.user.role.as_alias("role"),
        PartnerMember.user.active.as_alias("active"),
        PartnerMember.user.last_login_at.as_alias("last_login_at"),
        PartnerMember.outlet.as_alias("outlet_id"),
    ).where(PartnerMember.partner == partner_id)


async def list_staff(partner_id: uuid.UUID) -> list[StaffRead]:
    rows = await _staff_query(partner_id).order_by(PartnerMember.user.username)
    return [msgspec.convert(row, StaffRead) for row in rows]


async def get_staff(partner_id: uuid.UUID, user_id: uuid.UUID) -> StaffRead:
    """One staff member of this partner; anyone else is "not found"."""
    row = await _staff_query(partner_id).where(PartnerMember.user == user_id).first()
    if row is None:
        raise StaffMemberNotFound()
    return msgspec.convert(row, StaffRead)


async def _outlet_problems(partner_id: uuid.UUID, role: StaffRole, outlet_id: uuid.UUID | None) -> list[FieldProblem]:
    if role is StaffRole.PARTNER_MANAGER:
        return [FieldProblem("outlet_id", "manager_has_no_outlet", MANAGER_HAS_NO_OUTLET)] if outlet_id else []
    if outlet_id is None:
        return [FieldProblem("outlet_id", "outlet_required", OUTLET_REQUIRED)]
    if outlet_id not in await outlet_ids_of(partner_id):
        return [FieldProblem("outlet_id", "unknown_outlet", OUTLET_UNKNOWN)]
    return []


async def create_staff(
    partner_id: uuid.UUID, data: StaffCreate, actor: CurrentUser, *, enforce_password_policy: bool = True
) -> StaffRead:
    problems = users.account_problems(
        data.username, data.password, data.display_name, enforce_password_policy=enforce_password_policy
    )
    problems += await _outlet_problems(partner_id, data.role, data.outlet_id)
    if not any(p.field == "username" for p in problems) and await users.username_taken(data.username):
        problems.append(FieldProblem("username", "username_taken", TAKEN_RULE))
    if problems:
        raise Invalid(problems)
    password_hash = await users.hash_password(data.password)
    async with write_transaction():
        user = await users.insert_user(data.username, password_hash, Role(data.role), data.display_name, actor=actor)
        await PartnerMember.insert(PartnerMember(user=user.id, partner=partner_id, outlet=data.outlet_id))
    return await get_staff(partner_id, user.id)


async def update_staff(partner_id: uuid.UUID, user_id: uuid.UUID, data: StaffUpdate, actor: CurrentUser) -> StaffRead:
    member = await get_staff(partner_id, user_id)
    if data.outlet_id is not None:
        if member.role is not StaffRole.CASHIER:
            raise Invalid([FieldProblem("outlet_id", "not_a_cashier", NOT_A_CASHIER)])
        problems = await _outlet_problems(partner_id, member.role, data.outlet_id)
        if problems:
            raise Invalid(problems)
    if data.active is False and user_id == actor.id:
        raise CannotDisableSelf()
    if data.password is not None:
        await users.set_password(user_id, data.password, actor=actor)
    if data.outlet_id is not None and data.outlet_id != member.outlet_id:
        async with write_transaction():
            await PartnerMember.update({PartnerMember.outlet: data.outlet_id}).where(PartnerMember.user == user_id)
            await users.revoke_sessions(user_id)
    if data.active is not None:
        await users.set_active(user_id, data.active, actor=actor)
    return await get_staff(partner_id, user_id)
