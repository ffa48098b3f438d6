"""Ownership, checked in one place: which partner (and outlet) a signed-in manager, cashier or API key acts for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.auth import CurrentUser
from core.database.statements import CompiledQuery
from core.service.stamped import StampedCache
from core.tables import Role
from partners.errors import PartnerNotFound
from partners.tables import ApiKey, PartnerMember


@dataclass(frozen=True, slots=True)
class Membership:
    partner_id: uuid.UUID
    # A cashier's or API key's outlet; None for a manager, who acts for the whole partner.
    outlet_id: uuid.UUID | None


# Asked on every till request: compiled once (core.database.statements.CompiledQuery).
_KEY_MEMBERSHIP = CompiledQuery(
    lambda key_id: ApiKey.select(ApiKey.partner, ApiKey.outlet).where(ApiKey.id == key_id).first(), first=True
)
_STAFF_MEMBERSHIP = CompiledQuery(
    lambda user_id: (
        PartnerMember.select(PartnerMember.partner, PartnerMember.outlet).where(PartnerMember.user == user_id).first()
    ),
    first=True,
)


_MEMBERSHIPS: StampedCache[uuid.UUID, Membership | None] = StampedCache()  # by API key or staff account


async def membership_of(user: CurrentUser) -> Membership | None:
    principal = user.api_key_id or user.id
    return await _MEMBERSHIPS.get(principal, lambda: _read_membership(user))


async def _read_membership(user: CurrentUser) -> Membership | None:
    if user.api_key_id is not None:
        row = await _KEY_MEMBERSHIP(user.api_key_id)
    else:
        row = await _STAFF_MEMBERSHIP(user.id)
    if row is None:
        return None
    return Membership(partner_id=row["partner"], outlet_id=row["outlet"])


async def own_membership(user: CurrentUser) -> Membership:
    """The caller's own partner; a staff account without one sees nothing (404)."""
    membership = await membership_of(user)
    if membership is None:
        raise PartnerNotFound()
    return membership


async def managed_partner(user: CurrentUser, partner_id: uuid.UUID) -> Membership:
    """The partner `partner_id` if `user` manages it; anything else answers 404, never 403."""
    membership = await membership_of(user)
    if membership is None or membership.partner_id != partner_id or user.role is not Role.PARTNER_MANAGER:
        raise PartnerNotFound()
    return membership
