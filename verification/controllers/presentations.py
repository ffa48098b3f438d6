"""HTTP for a parent's rotating card code: the printed QR in, a short-lived presentation out (public, throttled)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from core.auth import PUBLIC, client_ip
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores
from verification.errors import CardRefused, CredentialRefused, PresentationThrottled
from verification.schemas import PresentationRequest, PresentationResponse
from verification.service import credentials, presentations
from verification.service.keys import KeyRing


class PresentationController(Controller):
    path = "/api/v1/cards/presentations"
    tags = ["credentials"]
    opt = {PUBLIC: True}

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="A rotating code for a parent's phone: valid 5 minutes, new each time, unlinkable by merchants",
        opt=raises(CredentialRefused, CardRefused, PresentationThrottled),
    )
    async def present(
        self,
        data: JSONBody[PresentationRequest],
        request: Request[Any, Any, Any],
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Response[PresentationResponse]:
        made = await presentations.present(data.qr, client_ip(request), keyring, settings, stores)
        body = PresentationResponse(
            qr=made.qr,
            expires_at=datetime.fromtimestamp(made.expires, UTC),
            svg=credentials.qr_svg(made.qr).decode(),
        )
        return Response(body, headers={"Cache-Control": "no-store"})
