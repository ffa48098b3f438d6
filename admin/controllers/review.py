"""HTTP for Dukcapil's review queues: partner applications and submitted offers, decided with reasons."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from admin.errors import RegionTooSmall
from admin.schemas import AgreementNumber, OfferDecision, PartnerDecision, PartnerSummary, PartnerTerms
from admin.service import review
from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_dukcapil, requires_office_admin
from core.openapi import raises
from core.settings import Settings
from partners.errors import InvalidTransition, NoRevisionPending, OfferNotFound, PartnerNotFound, ReasonRequired
from partners.schemas import OfferRead, PartnerRead
from partners.service import offers, onboarding
from partners.tables import OfferStatus, PartnerStatus

PartnerStatusQuery = Annotated[PartnerStatus | None, QueryParameter(description="e.g. pending for the queue")]
OfferStatusQuery = Annotated[OfferStatus | None, QueryParameter(description="e.g. submitted for the queue")]


class PartnerReviewController(Controller):
    path = "/api/v1/admin/partners"
    tags = ["admin"]
    guards = [requires_dukcapil]

    @get("/", summary="Partners, filterable by status (pending = the review queue)", opt=raises())
    async def list_partners(self, request: AuthedRequest, status: PartnerStatusQuery = None) -> list[PartnerSummary]:
        rows = await onboarding.list_partners(status, request.user)
        return [PartnerSummary(**{key: row[key] for key in PartnerSummary.__struct_fields__}) for row in rows]

    @get("/{partner_id:uuid}", summary="One partner with its decision history", opt=raises(PartnerNotFound))
    async def read(self, partner_id: FromPath[uuid.UUID], request: AuthedRequest) -> PartnerRead:
        return await onboarding.read_partner(partner_id, request.user)

    @patch(
        "/{partner_id:uuid}/agreement",
        guards=[requires_office_admin],
        summary="Set or correct the number of this office's agreement (PKS) with the partner",
        opt=raises(PartnerNotFound, Invalid),
    )
    async def set_agreement(
        self, partner_id: FromPath[uuid.UUID], data: JSONBody[AgreementNumber], request: AuthedRequest
    ) -> PartnerRead:
        return await onboarding.set_agreement_number(partner_id, data.agreement_number, request.user)

    async def _decide(
        self, partner_id: uuid.UUID, target: PartnerStatus, data: PartnerDecision | None, request: AuthedRequest
    ) -> PartnerRead:
        data = data or PartnerDecision()
        return await onboarding.decide(partner_id, target, data.reason, request.user, data.agreement_number)

    @post(
        "/{partner_id:uuid}/approve",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(PartnerNotFound, InvalidTransition),
    )
    async def approve(
        self, partner_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[PartnerDecision | None] = None
    ) -> PartnerRead:
        return await self._decide(partner_id, PartnerStatus.APPROVED, data, request)

    @post(
        "/{partner_id:uuid}/reject",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(PartnerNotFound, InvalidTransition, ReasonRequired),
    )
    async def reject(
        self, partner_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[PartnerDecision | None] = None
    ) -> PartnerRead:
        return await self._decide(partner_id, PartnerStatus.REJECTED, data, request)

    @post(
        "/{partner_id:uuid}/suspend",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(PartnerNotFound, InvalidTransition, ReasonRequired),
    )
    async def suspend(
        self, partner_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[PartnerDecision | None] = None
    ) -> PartnerRead:
        return await self._decide(partner_id, PartnerStatus.SUSPENDED, data, request)

    @patch(
        "/{partner_id:uuid}/terms",
        guards=[requires_office_admin],
        summary="Set agreement terms (void window)",
        opt=raises(PartnerNotFound),
    )
    async def set_terms(
        self, partner_id: FromPath[uuid.UUID], data: JSONBody[PartnerTerms], request: AuthedRequest
    ) -> PartnerRead:
        await onboarding.read_partner(partner_id, request.user)  # not a partner of this office: 404
        await onboarding.set_void_window(partner_id, data.void_window_minutes, request.user)
        return await onboarding.read_partner(partner_id, request.user)

    @post(
        "/{partner_id:uuid}/reinstate",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(PartnerNotFound, InvalidTransition),
    )
    async def reinstate(
        self, partner_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[PartnerDecision | None] = None
    ) -> PartnerRead:
        return await self._decide(partner_id, PartnerStatus.APPROVED, data, request)


class OfferReviewController(Controller):
    path = "/api/v1/admin/offers"
    tags = ["admin"]
    guards = [requires_dukcapil]

    @get(
        "/",
        summary="Offers of every partner, by status; ?awaiting_review=true: the review queue (submitted offers and "
        "edits of live offers)",
        opt=raises(),
    )
    async def list_offers(
        self,
        request: AuthedRequest,
        status: OfferStatusQuery = None,
        awaiting_review: Annotated[bool, QueryParameter()] = False,
    ) -> list[OfferRead]:
        found = await offers.list_offers(status=status, partners=await onboarding.partners_of(request.user))
        return [offer for offer in found if offers.awaits_review(offer)] if awaiting_review else found

    @post(
        "/{offer_id:uuid}/revision/approve",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        summary="Approve a live offer's edit: the catalog and the till use it from now on",
        opt=raises(OfferNotFound, NoRevisionPending, RegionTooSmall),
    )
    async def approve_revision(
        self, offer_id: FromPath[uuid.UUID], request: AuthedRequest, settings: NamedDependency[Settings]
    ) -> OfferRead:
        return await review.approve_revision(offer_id, request.user, settings)

    @post(
        "/{offer_id:uuid}/revision/reject",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        summary="Turn down a live offer's edit, with a reason for the partner; the reviewed revision keeps serving",
        opt=raises(OfferNotFound, NoRevisionPending, ReasonRequired),
    )
    async def reject_revision(
        self, offer_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[OfferDecision | None] = None
    ) -> OfferRead:
        await review.reviewed_offer(offer_id, request.user)
        return await offers.decide_revision(offer_id, False, data.reason if data else None, request.user)

    @get("/{offer_id:uuid}", summary="One offer with its rules and history", opt=raises(OfferNotFound))
    async def read(self, offer_id: FromPath[uuid.UUID], request: AuthedRequest) -> OfferRead:
        return await review.reviewed_offer(offer_id, request.user)

    @post(
        "/{offer_id:uuid}/publish",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(OfferNotFound, InvalidTransition, RegionTooSmall),
    )
    async def publish(
        self,
        offer_id: FromPath[uuid.UUID],
        request: AuthedRequest,
        settings: NamedDependency[Settings],
        data: JSONBody[OfferDecision | None] = None,
    ) -> OfferRead:
        return await review.publish(offer_id, request.user, settings, data.reason if data else None)

    @post(
        "/{offer_id:uuid}/reject",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(OfferNotFound, InvalidTransition, ReasonRequired),
    )
    async def reject(
        self, offer_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[OfferDecision | None] = None
    ) -> OfferRead:
        await review.reviewed_offer(offer_id, request.user)
        return await offers.move_by_dukcapil(
            offer_id, OfferStatus.REJECTED, data.reason if data else None, request.user
        )

    @post(
        "/{offer_id:uuid}/suspend",
        guards=[requires_office_admin],
        status_code=HTTP_200_OK,
        opt=raises(OfferNotFound, InvalidTransition, ReasonRequired),
    )
    async def suspend(
        self, offer_id: FromPath[uuid.UUID], request: AuthedRequest, data: JSONBody[OfferDecision | None] = None
    ) -> OfferRead:
        await review.reviewed_offer(offer_id, request.user)
        return await offers.move_by_dukcapil(
            offer_id, OfferStatus.SUSPENDED, data.reason if data else None, request.user
        )
