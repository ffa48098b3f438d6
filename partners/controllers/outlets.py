"""HTTP for a partner's outlets."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_partner_manager
from core.openapi import raises
from partners.controllers.deps import provide_managed_partner
from partners.errors import OutletNotFound, PartnerNotFound
from partners.schemas import OutletIn, OutletRead
from partners.service import outlets
from partners.service.access import Membership


class OutletController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/outlets"
    tags = ["outlets"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="The partner's outlets", opt=raises(PartnerNotFound))
    async def list_outlets(self, membership: NamedDependency[Membership]) -> list[OutletRead]:
        return await outlets.list_outlets(membership.partner_id)

    @post("/", summary="Add an outlet", opt=raises(PartnerNotFound, Invalid))
    async def create(
        self, data: JSONBody[OutletIn], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> OutletRead:
        return await outlets.create_outlet(membership.partner_id, data, request.user)

    @get("/{outlet_id:uuid}", summary="One outlet", opt=raises(PartnerNotFound, OutletNotFound))
    async def read(self, outlet_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> OutletRead:
        return await outlets.get_outlet(membership.partner_id, outlet_id)

    @put(
        "/{outlet_id:uuid}",
        summary="Edit an outlet (name, address, hours, active)",
        opt=raises(PartnerNotFound, OutletNotFound, Invalid),
    )
    async def update(
        self,
        outlet_id: FromPath[uuid.UUID],
        data: JSONBody[OutletIn],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
    ) -> OutletRead:
        return await outlets.update_outlet(membership.partner_id, outlet_id, data, request.user)
