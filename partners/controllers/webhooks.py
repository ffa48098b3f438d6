"""HTTP for a partner's webhook endpoints and their delivery log (docs/integrations.md)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_partner_manager
from core.openapi import raises
from core.settings import Settings
from partners.controllers.deps import provide_managed_partner
from partners.errors import PartnerNotFound, WebhookDeliveryNotFound, WebhookNotFound
from partners.schemas import WebhookCreate, WebhookDeliveryRead, WebhookRead, WebhookSecret, WebhookUpdate
from partners.service import webhook_endpoints, webhooks
from partners.service.access import Membership

# The answers that hold a secret must not stay in a browser's or a proxy's cache.
NO_STORE = [ResponseHeader(name="Cache-Control", value="no-store")]


class WebhookController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/webhooks"
    tags = ["webhooks"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get("/", summary="The partner's webhook endpoints (never their secrets)", opt=raises(PartnerNotFound))
    async def list_webhooks(self, membership: NamedDependency[Membership]) -> list[WebhookRead]:
        return await webhook_endpoints.list_webhooks(membership.partner_id)

    @post(
        "/",
        summary="Register an endpoint; the response is the only time its signing secret is shown",
        opt=raises(PartnerNotFound, Invalid),
        response_headers=NO_STORE,
    )
    async def create(
        self,
        data: JSONBody[WebhookCreate],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
        settings: NamedDependency[Settings],
    ) -> WebhookSecret:
        return await webhook_endpoints.create_webhook(membership.partner_id, data, request.user, settings)

    @get("/{webhook_id:uuid}", summary="One endpoint", opt=raises(PartnerNotFound, WebhookNotFound))
    async def read(self, webhook_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> WebhookRead:
        return await webhook_endpoints.get_webhook(membership.partner_id, webhook_id)

    @patch(
        "/{webhook_id:uuid}",
        summary="Change the URL, the events, the description, or switch the endpoint off or on again",
        opt=raises(PartnerNotFound, WebhookNotFound, Invalid),
    )
    async def update(
        self,
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookUpdate],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
        settings: NamedDependency[Settings],
    ) -> WebhookRead:
        return await webhook_endpoints.update_webhook(membership.partner_id, webhook_id, data, request.user, settings)

    @delete(
        "/{webhook_id:uuid}",
        summary="Delete an endpoint and its delivery log",
        opt=raises(PartnerNotFound, WebhookNotFound),
    )
    async def remove(
        self, webhook_id: FromPath[uuid.UUID], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> None:
        await webhook_endpoints.delete_webhook(membership.partner_id, webhook_id, request.user)

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        status_code=HTTP_200_OK,
        summary="A new signing secret, shown once; the previous one also signs for 24 hours",
        opt=raises(PartnerNotFound, WebhookNotFound),
        response_headers=NO_STORE,
    )
    async def rotate(
        self,
        webhook_id: FromPath[uuid.UUID],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
        settings: NamedDependency[Settings],
    ) -> WebhookSecret:
        return await webhook_endpoints.rotate_secret(membership.partner_id, webhook_id, request.user, settings)

    @post(
        "/{webhook_id:uuid}/test",
        status_code=HTTP_202_ACCEPTED,
        summary="Queue a webhook.test event for this endpoint, sent within a second",
        opt=raises(PartnerNotFound, WebhookNotFound),
    )
    async def test(
        self, webhook_id: FromPath[uuid.UUID], membership: NamedDependency[Membership], request: AuthedRequest
    ) -> WebhookDeliveryRead:
        return await webhooks.send_test(membership.partner_id, webhook_id, request.user)

    @get(
        "/{webhook_id:uuid}/deliveries",
        summary="The endpoint's latest 50 deliveries, newest first, each with its attempts",
        opt=raises(PartnerNotFound, WebhookNotFound),
    )
    async def deliveries(
        self, webhook_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]
    ) -> list[WebhookDeliveryRead]:
        return await webhooks.list_deliveries(membership.partner_id, webhook_id)

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/resend",
        status_code=HTTP_202_ACCEPTED,
        summary="Send a delivery again: the same id and body, signed anew, with a day of retries",
        opt=raises(PartnerNotFound, WebhookNotFound, WebhookDeliveryNotFound),
    )
    async def resend(
        self,
        webhook_id: FromPath[uuid.UUID],
        delivery_id: FromPath[uuid.UUID],
        membership: NamedDependency[Membership],
        request: AuthedRequest,
    ) -> WebhookDeliveryRead:
        return await webhooks.send_again(membership.partner_id, webhook_id, delivery_id, request.user)
