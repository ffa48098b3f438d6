"""Dukcapil's own staff accounts; the accounts themselves live in core."""

from __future__ import annotations

import uuid
from typing import Any

from admin.errors import CannotDisableOwnAccount, NotADukcapilRole
from core.auth import CurrentUser
from core.service import users
from core.tables import DUKCAPIL_ROLES, Role


async def create_staff(username: str, password: str, role: Role, display_name: str, actor: CurrentUser) -> CurrentUser:
    if role not in DUKCAPIL_ROLES:
        raise NotADukcapilRole()
    return await users.create_user(username, password, role, display_name, actor=actor)


async def list_staff() -> list[dict[str, Any]]:
    return await users.list_users(DUKCAPIL_ROLES)


async def get_staff(user_id: uuid.UUID) -> dict[str, Any]:
    return await users.get_user_record(user_id, DUKCAPIL_ROLES)


async def update_staff(user_id: uuid.UUID, active: bool | None, password: str | None, actor: CurrentUser) -> None:
    await get_staff(user_id)
    if active is False and user_id == actor.id:
        raise CannotDisableOwnAccount()
    if password is not None:
        await users.set_password(user_id, password, actor=actor)
    if active is not None:
        await users.set_active(user_id, active, actor=actor)
