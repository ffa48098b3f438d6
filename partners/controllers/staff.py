"""HTTP for a partner's staff accounts."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from core.auth import AuthedRequest
from core.errors import Invalid, UsernameTaken
from core.guards import requires_partner_manager
from core.openapi import raises
from partners.controllers.deps import provide_managed_partner
from partners.errors import CannotDisableSelf, PartnerNotFound, StaffMemberNotFound
from partners.schemas import StaffCreate, StaffRead, StaffUpdate
from partners.service import staff
from partners.service.access import Membership


class StaffController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/staff"
    tags = ["staff"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="Managers and cashiers of the partner", opt=raises(PartnerNotFound))
    async def list_staff(self, membership: NamedDependency[Membership]) -> list[StaffRead]:
        return await staff.list_staff(membership.partner_id)

    @post(
        "/",
        summary="Create a cashier (bound to one outlet) or another manager",
        opt=raises(PartnerNotFound, Invalid, UsernameTaken),
    )
    async def create(
        self, data: JSONBody[StaffCreate], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> StaffRead:
        return await staff.create_staff(membership.partner_id, data, request.user)

    @get("/{user_id:uuid}", summary="One staff member", opt=raises(PartnerNotFound, StaffMemberNotFound))
    async def read(self, user_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> StaffRead:
        return await staff.get_staff(membership.partner_id, user_id)

    @patch(
        "/{user_id:uuid}",
        summary="Disable or enable, reset the password, move a cashier to another outlet",
        opt=raises(PartnerNotFound, StaffMemberNotFound, Invalid, CannotDisableSelf),
    )
    async def update(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[StaffUpdate],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
    ) -> StaffRead:
        return await staff.update_staff(membership.partner_id, user_id, data, request.user)
