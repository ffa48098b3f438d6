"""HTTP for a partner's offers: drafts, revisions, submit, pause, resume, end."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_partner_manager
from core.openapi import raises
from partners.controllers.deps import provide_managed_partner
from partners.errors import InvalidTransition, OfferNotEditable, OfferNotFound, PartnerNotApproved, PartnerNotFound
from partners.schemas import Decision, OfferRead, OfferRules
from partners.service import offers
from partners.service.access import Membership
from partners.tables import OfferStatus


class OfferController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/offers"
    tags = ["offers"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="The partner's offers with their status and history", opt=raises(PartnerNotFound))
    async def list_offers(self, membership: NamedDependency[Membership]) -> list[OfferRead]:
        return await offers.list_offers(membership.partner_id)

    @post("/", summary="Create an offer (as a draft)", opt=raises(PartnerNotFound, Invalid))
    async def create(
        self, data: JSONBody[OfferRules], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> OfferRead:
        return await offers.create_offer(membership.partner_id, data, request.user)

    @get("/{offer_id:uuid}", summary="One offer", opt=raises(PartnerNotFound, OfferNotFound))
    async def read(self, offer_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> OfferRead:
        return await offers.read_offer(membership.partner_id, offer_id)

    @put(
        "/{offer_id:uuid}",
        summary="Change the rules: a new revision",
        opt=raises(PartnerNotFound, OfferNotFound, Invalid, OfferNotEditable),
    )
    async def update(
        self,
        offer_id: FromPath[uuid.UUID],
        data: JSONBody[OfferRules],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
    ) -> OfferRead:
        return await offers.update_offer(membership.partner_id, offer_id, data, request.user)

    @post(
        "/{offer_id:uuid}/submit",
        status_code=HTTP_200_OK,
        summary="Send to Dukcapil for review",
        opt=raises(PartnerNotFound, OfferNotFound, InvalidTransition, PartnerNotApproved),
    )
    async def submit(
        self, offer_id: FromPath[uuid.UUID], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> OfferRead:
        return await offers.move_by_manager(membership.partner_id, offer_id, OfferStatus.SUBMITTED, None, request.user)

    @post(
        "/{offer_id:uuid}/pause",
        status_code=HTTP_200_OK,
        summary="Stop offering it for now",
        opt=raises(PartnerNotFound, OfferNotFound, InvalidTransition),
    )
    async def pause(
        self,
        offer_id: FromPath[uuid.UUID],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
        data: JSONBody[Decision | None] = None,
    ) -> OfferRead:
        reason = data.reason if data else None
        return await offers.move_by_manager(membership.partner_id, offer_id, OfferStatus.PAUSED, reason, request.user)

    @post(
        "/{offer_id:uuid}/resume",
        status_code=HTTP_200_OK,
        summary="Offer it again",
        opt=raises(PartnerNotFound, OfferNotFound, InvalidTransition),
    )
    async def resume(
        self, offer_id: FromPath[uuid.UUID], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> OfferRead:
        return await offers.move_by_manager(membership.partner_id, offer_id, OfferStatus.PUBLISHED, None, request.user)

    @post(
        "/{offer_id:uuid}/end",
        status_code=HTTP_200_OK,
        summary="End it for good",
        opt=raises(PartnerNotFound, OfferNotFound, InvalidTransition, Invalid),
    )
    async def end(
        self,
        offer_id: FromPath[uuid.UUID],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
        data: JSONBody[Decision | None] = None,
    ) -> OfferRead:
        reason = data.reason if data else None
        return await offers.move_by_manager(membership.partner_id, offer_id, OfferStatus.ENDED, reason, request.user)
