"""HTTP for registration, the signed-in partner staff's own partner, and the partner profile."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from core.auth import PUBLIC, AuthedRequest, client_ip
from core.errors import Invalid, UsernameTaken
from core.guards import requires_partner_manager, requires_partner_staff
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores
from partners.controllers.deps import provide_managed_partner
from partners.errors import InvalidTransition, OfficeAlreadyApplied, PartnerNotFound, RegistrationThrottled
from partners.schemas import (
    MeRead,
    OfficeApplication,
    OfflineBounds,
    PartnerProfile,
    PartnerRead,
    PartnerRegistration,
    Registered,
    RegisteredManager,
)
from partners.service import onboarding, outlets
from partners.service.access import Membership, own_membership


class RegistrationController(Controller):
    path = "/api/v1/partners"
    tags = ["partners"]

    @post(
        "/registrations",
        opt={PUBLIC: True, **raises(Invalid, UsernameTaken, RegistrationThrottled)},
        summary="A merchant applies: the partner and its first manager",
    )
    async def register(
        self,
        data: JSONBody[PartnerRegistration],
        request: Request[Any, Any, Any],
        stores: NamedDependency[Stores],
        settings: NamedDependency[Settings],
    ) -> Registered:
        partner_id, manager = await onboarding.register_partner(
            data.partner, data.manager, data.city_code, client_ip(request), stores, settings
        )
        return Registered(
            partner=await onboarding.read_partner(partner_id),
            manager=RegisteredManager(id=str(manager.id), username=manager.username),
        )

    @get(
        "/me",
        guards=[requires_partner_staff],
        summary="My partner (and, for a cashier, my outlet)",
        opt=raises(PartnerNotFound),
    )
    async def me(self, request: AuthedRequest) -> MeRead:
        membership = await own_membership(request.user)
        outlet = None
        if membership.outlet_id is not None:
            outlet = await outlets.get_outlet(membership.partner_id, membership.outlet_id)
        return MeRead(partner=await onboarding.read_partner(membership.partner_id), outlet=outlet)


class PartnerProfileController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}"
    tags = ["partners"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="The partner, its status and Dukcapil's reasons", opt=raises(PartnerNotFound))
    async def read(self, membership: NamedDependency[Membership]) -> PartnerRead:
        return await onboarding.read_partner(membership.partner_id)

    @put("/", summary="Edit the partner's profile", opt=raises(PartnerNotFound, Invalid))
    async def update(
        self, data: JSONBody[PartnerProfile], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> PartnerRead:
        return await onboarding.update_profile(membership.partner_id, data, request.user)

    @put(
        "/offline",
        summary="How much each till may confirm without a connection (redemptions, hours)",
        opt=raises(PartnerNotFound),
    )
    async def set_offline(
        self, data: JSONBody[OfflineBounds], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> PartnerRead:
        return await onboarding.set_offline_bounds(membership.partner_id, data, request.user)

    @post(
        "/resubmit",
        status_code=HTTP_200_OK,
        summary="Apply again after a rejection",
        opt=raises(PartnerNotFound, InvalidTransition),
    )
    async def resubmit(self, membership: NamedDependency[Membership], request: AuthedRequest) -> PartnerRead:
        return await onboarding.resubmit(membership.partner_id, request.user)

    @post(
        "/offices",
        status_code=HTTP_200_OK,
        summary="Apply to another kabupaten/kota's Dukcapil (outlets there need its approval)",
        opt=raises(PartnerNotFound, Invalid, OfficeAlreadyApplied),
    )
    async def apply(
        self, data: JSONBody[OfficeApplication], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> PartnerRead:
        return await onboarding.apply_to_office(membership.partner_id, data.city_code, request.user)
