"""HTTP for a parent's check of their child's card: the page at /cek-kartu (camera or typed code) and its API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from core.auth import PUBLIC, client_ip
from core.i18n import request_language
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores
from core.web import tanggal
from verification.errors import CardCheckThrottled, CredentialRefused
from verification.schemas import CardCheckOffer, CardCheckRequest, CardCheckResponse
from verification.service import parent_check
from verification.service.keys import KeyRing


class CardCheckController(Controller):
    path = "/api/v1/cards/checks"
    tags = ["credentials"]
    opt = {PUBLIC: True}

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="A parent's check of a card: valid or not (and what to do), and the offers it gets today and where",
        description="Public and cookie-free; counted per address. Never answers with the child's name, NIK, birth "
        "date, address or redemptions; region rules are listed, not judged against the card.",
        opt=raises(CredentialRefused, CardCheckThrottled),
    )
    async def check(
        self,
        data: JSONBody[CardCheckRequest],
        request: Request[Any, Any, Any],
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Response[CardCheckResponse]:
        found = await parent_check.check_for_parent(data.code, client_ip(request), keyring, settings, stores)
        language = request_language(request)
        title, advice = parent_check.ADVICE[found.status]
        today = settings.today()
        body = CardCheckResponse(
            status=found.status,  # type: ignore[arg-type]
            title=title.render(language),
            what_to_do=advice.render(language),
            guide_url=f"/cara-mendapat-kia/{found.city_code}" if found.city_code else None,
            offers=[
                CardCheckOffer(
                    offer_id=item.offer.id,
                    title=(item.offer.title_en or item.offer.title) if language == "en" else item.offer.title,
                    partner_name=item.offer.partner_name,
                    benefit_text=item.offer.benefit_text,
                    summary=item.offer.summary,
                    page_url=f"/penawaran/{item.offer.id}",
                    today=item.next_day == today,
                    next_day=item.next_day,
                    next_day_text=tanggal(item.next_day, language),
                    regions=item.regions,
                    outlets=item.outlets,
                )
                for item in found.offers
            ],
        )
        return Response(body, headers={"Cache-Control": "no-store"})


class CardCheckPage(Controller):
    """Public, no account and no cookie: the page scans the sticker with the phone's camera or takes the typed code."""

    path = "/cek-kartu"
    # No CSRF cookie either: the page has no form of its own; it posts to the public API without credentials.
    opt = {PUBLIC: True, "exclude_from_csrf": True}
    include_in_schema = False

    @get("/", name="parent_card_check")
    async def page(self) -> Template:
        return Template("kartu/cek.html")
