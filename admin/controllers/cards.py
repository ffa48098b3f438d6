"""HTTP for Dukcapil's work on cards: find by manual code, read, revoke, reissue, withdraw consent, QR image."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from admin.errors import CampaignAlreadyAttributed
from admin.schemas import CampaignCode, Reissued, Revocation
from admin.service import access_request as parents_access
from admin.service import campaigns
from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_office_admin
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores
from core.web import private_file
from verification.errors import CardChanged, CardNotActive, CardNotFound, NoActiveSigningKey, ReissueReasonRefused
from verification.schemas import CardDetail
from verification.service import cards, credentials
from verification.service.keys import KeyRing

NO_STORE = {"Cache-Control": "no-store"}
ManualCode = Annotated[str, QueryParameter(min_length=10, max_length=20, description="The code printed under the QR")]


class CardController(Controller):
    path = "/api/v1/admin/cards"
    tags = ["admin"]
    guards = [requires_office_admin]

    @get("/", summary="Find a card by its manual code (never by name or NIK)", opt=raises(CardNotFound))
    async def find(
        self, manual_code: ManualCode, request: AuthedRequest, settings: NamedDependency[Settings]
    ) -> CardDetail:
        card_id = await cards.find_by_manual_code(manual_code, request.user)
        found = await cards.detail(card_id, settings.today(), request.user)
        await cards.viewed(card_id, request.user, "api_manual_code")
        return found

    @get("/{card_id:uuid}", summary="A card's status, consent and history", opt=raises(CardNotFound))
    async def read(
        self, card_id: FromPath[uuid.UUID], request: AuthedRequest, settings: NamedDependency[Settings]
    ) -> CardDetail:
        found = await cards.detail(card_id, settings.today(), request.user)
        await cards.viewed(card_id, request.user, "api")
        return found

    @post(
        "/{card_id:uuid}/revoke",
        status_code=HTTP_200_OK,
        summary="Revoke a card with a reason (consent_withdrawn also erases its personal data)",
        opt=raises(CardNotFound, CardNotActive, CardChanged),
    )
    async def revoke(
        self,
        card_id: FromPath[uuid.UUID],
        data: JSONBody[Revocation],
        request: AuthedRequest,
        stores: NamedDependency[Stores],
        settings: NamedDependency[Settings],
    ) -> CardDetail:
        await cards.revoke(card_id, data.reason, request.user, stores, data.expected_cv)
        return await cards.detail(card_id, settings.today(), request.user)

    @post(
        "/{card_id:uuid}/reissue",
        status_code=HTTP_200_OK,
        summary="New credential version (lost or damaged)",
        opt=raises(CardNotFound, CardNotActive, CardChanged, ReissueReasonRefused),
    )
    async def reissue(
        self,
        card_id: FromPath[uuid.UUID],
        data: JSONBody[Revocation],
        request: AuthedRequest,
        stores: NamedDependency[Stores],
    ) -> Reissued:
        cv, code = await cards.reissue(card_id, data.reason, request.user, stores, data.expected_cv)
        return Reissued(cv=cv, manual_code=credentials.format_manual_code(code))

    @post(
        "/{card_id:uuid}/campaign",
        status_code=HTTP_200_OK,
        summary="Record the outreach campaign a parent names for the card (once: an attributed card keeps its own)",
        opt=raises(CardNotFound, Invalid, CampaignAlreadyAttributed),
    )
    async def attribute_campaign(
        self, card_id: FromPath[uuid.UUID], data: JSONBody[CampaignCode], request: AuthedRequest
    ) -> CampaignCode:
        return CampaignCode(code=await campaigns.attribute_card(card_id, data.code, request.user))

    @post(
        "/{card_id:uuid}/consent-withdrawal",
        status_code=HTTP_200_OK,
        summary="The parent withdraws consent: revoke and erase personal data",
        opt=raises(CardNotFound),
    )
    async def withdraw_consent(
        self,
        card_id: FromPath[uuid.UUID],
        request: AuthedRequest,
        stores: NamedDependency[Stores],
        settings: NamedDependency[Settings],
    ) -> CardDetail:
        await cards.withdraw_consent(card_id, request.user, stores)
        return await cards.detail(card_id, settings.today(), request.user)

    @get(
        "/{card_id:uuid}/access-request",
        summary="A parent's access request: everything held about this child, to hand over",
        description="The card and its history, the consent record and every redemption (partner, outlet, date, "
        "amounts); never another child's. Recorded in the audit log.",
        opt=raises(CardNotFound),
    )
    async def access_request(
        self, card_id: FromPath[uuid.UUID], request: AuthedRequest, settings: NamedDependency[Settings],
        format: Annotated[str, QueryParameter(pattern="^(json|pdf)$", description="`pdf` to print and hand over")]
        = "json",
    ) -> Any:  # fmt: skip
        today = settings.today()
        document = await parents_access.access_request(card_id, request.user, today)
        if format == "pdf":
            return private_file(
                parents_access.as_pdf(document, settings.timezone), "application/pdf", f"data-anak-{card_id}.pdf"
            )
        return document

    @get(
        "/{card_id:uuid}/qr.png",
        media_type="image/png",
        summary="The card's QR, freshly signed (PNG)",
        opt=raises(CardNotFound, CardNotActive, NoActiveSigningKey),
    )
    async def qr_png(
        self,
        card_id: FromPath[uuid.UUID],
        request: AuthedRequest,
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        text, _ = await cards.issue_qr_text(card_id, keyring, settings, request.user)
        await cards.mark_printed([card_id], request.user, via="api_qr_png")
        return Response(credentials.qr_png(text), media_type="image/png", headers=NO_STORE)

    @get(
        "/{card_id:uuid}/qr.svg",
        media_type="image/svg+xml",
        summary="The card's QR, freshly signed (SVG)",
        opt=raises(CardNotFound, CardNotActive, NoActiveSigningKey),
    )
    async def qr_svg(
        self,
        card_id: FromPath[uuid.UUID],
        request: AuthedRequest,
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        text, _ = await cards.issue_qr_text(card_id, keyring, settings, request.user)
        await cards.mark_printed([card_id], request.user, via="api_qr_svg")
        return Response(credentials.qr_svg(text), media_type="image/svg+xml", headers=NO_STORE)
