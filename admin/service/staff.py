"""Dukcapil's own staff accounts, each within the reach of the admin who manages it; the accounts live in core."""

from __future__ import annotations

import uuid
from typing import Any

from admin.errors import CannotDisableOwnAccount, NotADukcapilRole, RegionOutsideReach
from core.auth import CurrentUser
from core.offices import covers
from core.service import users
from core.tables import DUKCAPIL_ROLES, Role


async def create_staff(
    username: str, password: str, role: Role, display_name: str, actor: CurrentUser, region: str | None = None
) -> CurrentUser:
    """A new account working where the admin works, or (for a province or national admin) in a region within
    their reach: an office's admin makes accounts of that office only."""
    if role not in DUKCAPIL_ROLES:
        raise NotADukcapilRole()
    region = actor.region if region is None else region
    if region is not None and not covers(actor.region, region):
        raise RegionOutsideReach(region=region or "")
    return await users.create_user(username, password, role, display_name, region=region, actor=actor)


async def list_staff(reader: CurrentUser) -> list[dict[str, Any]]:
    return await users.list_users(DUKCAPIL_ROLES, reader)


async def get_staff(user_id: uuid.UUID, reader: CurrentUser) -> dict[str, Any]:
    """The account, if it is a Dukcapil account within the reader's reach; another office's answers 404."""
    return await users.get_user_record(user_id, DUKCAPIL_ROLES, reader)


async def update_staff(user_id: uuid.UUID, active: bool | None, password: str | None, actor: CurrentUser) -> None:
    await get_staff(user_id, actor)
    if active is False and user_id == actor.id:
        raise CannotDisableOwnAccount()
    if password is not None:
        await users.set_password(user_id, password, actor=actor)
    if active is not None:
        await users.set_active(user_id, active, actor=actor)
