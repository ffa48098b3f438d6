"""HTTP for a partner's staff accounts."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from core.auth import AuthedRequest
from core.guards import requires_partner_manager
from partners.controllers.deps import provide_managed_partner
from partners.schemas import StaffCreate, StaffRead, StaffUpdate
from partners.service import staff
from partners.service.access import Membership


class StaffController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/staff"
    tags = ["staff"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="Managers and cashiers of the partner")
    async def list_staff(self, membership: NamedDependency[Membership]) -> list[StaffRead]:
        return await staff.list_staff(membership.partner_id)

    @post("/", summary="Create a cashier (bound to one outlet) or another manager")
    async def create(
        self, data: JSONBody[StaffCreate], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> StaffRead:
        return await staff.create_staff(membership.partner_id, data, request.user)

    @get("/{user_id:uuid}", summary="One staff member")
    async def read(self, user_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> StaffRead:
        return await staff.get_staff(membership.partner_id, user_id)

    @patch("/{user_id:uuid}", summary="Disable or enable, reset the password, move a cashier to another outlet")
    async def update(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[StaffUpdate],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
    ) -> StaffRead:
        return await staff.update_staff(membership.partner_id, user_id, data, request.user)
