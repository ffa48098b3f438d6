"""HTTP for a partner's point-of-sale API keys."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_partner_manager
from core.openapi import raises
from partners.controllers.deps import provide_managed_partner
from partners.errors import ApiKeyNotFound, OutletNotFound, PartnerNotFound
from partners.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from partners.service import api_keys
from partners.service.access import Membership


class ApiKeyController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/api-keys"
    tags = ["api keys"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="The partner's API keys (never the keys themselves)", opt=raises(PartnerNotFound))
    async def list_keys(self, membership: NamedDependency[Membership]) -> list[ApiKeyRead]:
        return await api_keys.list_api_keys(membership.partner_id)

    @post(
        "/",
        summary="Create a key for one outlet; the response is the only time it is shown",
        opt=raises(PartnerNotFound, Invalid, OutletNotFound),
    )
    async def create(
        self, data: JSONBody[ApiKeyCreate], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> ApiKeyCreated:
        return await api_keys.create_api_key(membership.partner_id, data, request.user)

    @post(
        "/{key_id:uuid}/revoke",
        status_code=HTTP_200_OK,
        summary="Revoke a key at once",
        opt=raises(PartnerNotFound, ApiKeyNotFound),
    )
    async def revoke(
        self, key_id: FromPath[uuid.UUID], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> ApiKeyRead:
        return await api_keys.revoke_api_key(membership.partner_id, key_id, request.user)
