"""HTTP for Dukcapil's own staff accounts."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.security.jwt import Token

from admin.errors import CannotDisableOwnAccount, NotADukcapilRole, RegionOutsideReach
from admin.service import staff as service
from core.auth import CurrentUser
from core.errors import Invalid, StaffUserNotFound, UsernameTaken
from core.guards import requires_dukcapil_admin
from core.openapi import raises
from core.schemas import StaffUserCreate, StaffUserRead, StaffUserUpdate


class StaffAccountController(Controller):
    path = "/api/v1/admin/staff"
    tags = ["admin"]
    guards = [requires_dukcapil_admin]

    @get("/", summary="Dukcapil staff accounts", opt=raises())
    async def list_staff(self, request: Request[CurrentUser, Token, Any]) -> list[StaffUserRead]:
        return [StaffUserRead(**row) for row in await service.list_staff(request.user)]

    @post(
        "/",
        summary="Create a Dukcapil staff account",
        opt=raises(Invalid, UsernameTaken, NotADukcapilRole, RegionOutsideReach),
    )
    async def create_staff(
        self, data: JSONBody[StaffUserCreate], request: Request[CurrentUser, Token, Any]
    ) -> StaffUserRead:
        user = await service.create_staff(
            data.username, data.password, data.role, data.display_name, request.user, data.region_code
        )
        return StaffUserRead(**(await service.get_staff(user.id, request.user)))

    @patch(
        "/{user_id:uuid}",
        summary="Disable, enable or reset the password of a Dukcapil staff account",
        opt=raises(StaffUserNotFound, Invalid, CannotDisableOwnAccount),
    )
    async def update_staff(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[StaffUserUpdate],
        request: Request[CurrentUser, Token, Any],
    ) -> StaffUserRead:
        await service.update_staff(user_id, data.active, data.password, request.user)
        return StaffUserRead(**(await service.get_staff(user_id, request.user)))
