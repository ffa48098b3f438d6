"""HTML for the partner's webhooks at /mitra/webhook: the endpoints, a new one (its secret shown once, on the page
that answers the form), an endpoint's delivery log with "send again" and a test event, switching it off or on,
rotating its secret and deleting it. The same service and messages as /api/v1/partners/{id}/webhooks."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.confirm import Acting, ConfirmedAction
from core.errors import Invalid
from core.forms import checked, problems_by_field, text, to_struct
from core.pages import Form
from core.settings import Settings
from partners.controllers.deps import Manager, manager_pages
from partners.controllers.key_pages import NO_STORE
from partners.schemas import WebhookCreate, WebhookRead, WebhookUpdate
from partners.service import webhook_endpoints, webhooks
from partners.service.access import Membership, own_membership
from partners.tables import WebhookEvent

BASE = "/mitra/webhook"


class WebhookPages(Controller):
    path = "/webhook"

    @get("/", name="partner_webhooks", media_type=MediaType.HTML)
    async def list_webhooks(self, membership: NamedDependency[Membership]) -> Template:
        return Template(
            "mitra/webhook.html", context={"endpoints": await webhook_endpoints.list_webhooks(membership.partner_id)}
        )

    @get("/baru", name="partner_webhook_new", media_type=MediaType.HTML)
    async def new(self) -> Template:
        return _form({f"event.{event.value}": "on" for event in WebhookEvent})

    @post("/baru", media_type=MediaType.HTML, status_code=200)
    async def create(self, data: Form, manager: NamedDependency[Manager], settings: NamedDependency[Settings]) -> Any:
        try:
            body = to_struct(
                WebhookCreate,
                {"url": text(data, "url"), "description": text(data, "description"),
                 "events": [e.value for e in WebhookEvent if checked(data, f"event.{e.value}")]},
            )  # fmt: skip
            created = await webhook_endpoints.create_webhook(manager.partner_id, body, manager.user, settings)
        except Invalid as problem:
            return _form(data, problems_by_field(problem, manager.language))
        return Template("mitra/webhook_rahasia.html", context={"created": created, "new": True}, headers=NO_STORE)

    @get("/{webhook_id:uuid}", name="partner_webhook", media_type=MediaType.HTML)
    async def detail(self, webhook_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> Template:
        endpoint = await webhook_endpoints.get_webhook(membership.partner_id, webhook_id)  # another partner's: 404
        deliveries = await webhooks.list_deliveries(membership.partner_id, webhook_id)
        return Template("mitra/webhook_log.html", context={"endpoint": endpoint, "deliveries": deliveries})

    @post("/{webhook_id:uuid}/uji", media_type=MediaType.HTML, status_code=303)
    async def test(self, webhook_id: FromPath[uuid.UUID], manager: NamedDependency[Manager]) -> Redirect:
        await webhooks.send_test(manager.partner_id, webhook_id, manager.user)
        return Redirect(f"{BASE}/{webhook_id}?ok=uji-dikirim", status_code=303)

    @post("/{webhook_id:uuid}/pengiriman/{delivery_id:uuid}/kirim-lagi", media_type=MediaType.HTML, status_code=303)
    async def send_again(
        self, webhook_id: FromPath[uuid.UUID], delivery_id: FromPath[uuid.UUID], manager: NamedDependency[Manager]
    ) -> Redirect:
        await webhooks.send_again(manager.partner_id, webhook_id, delivery_id, manager.user)
        return Redirect(f"{BASE}/{webhook_id}?ok=dikirim-lagi#pengiriman-{delivery_id}", status_code=303)

    @post("/{webhook_id:uuid}/status", media_type=MediaType.HTML, status_code=303)
    async def switch(
        self,
        webhook_id: FromPath[uuid.UUID],
        data: Form,
        manager: NamedDependency[Manager],
        settings: NamedDependency[Settings],
    ) -> Redirect:
        on = text(data, "aktif") == "ya"
        await webhook_endpoints.update_webhook(
            manager.partner_id, webhook_id, WebhookUpdate(enabled=on), manager.user, settings
        )
        return Redirect(f"{BASE}/{webhook_id}?ok={'dinyalakan' if on else 'dimatikan'}", status_code=303)

    @post("/{webhook_id:uuid}/rahasia", media_type=MediaType.HTML, status_code=200)
    async def rotate(
        self, webhook_id: FromPath[uuid.UUID], manager: NamedDependency[Manager], settings: NamedDependency[Settings]
    ) -> Template:
        rotated = await webhook_endpoints.rotate_secret(manager.partner_id, webhook_id, manager.user, settings)
        return Template("mitra/webhook_rahasia.html", context={"created": rotated, "new": False}, headers=NO_STORE)


def _form(values: dict[str, str], problems: dict[str, str] | None = None) -> Template:
    return Template(
        "mitra/webhook_form.html",
        context={"values": values, "problems": problems or {}, "events": [event.value for event in WebhookEvent]},
        status_code=422 if problems else 200,
    )


async def _endpoint(acting: Acting) -> WebhookRead:
    membership = await own_membership(acting.user)
    return await webhook_endpoints.get_webhook(membership.partner_id, acting.path("webhook_id"))


async def _delete(acting: Acting, endpoint: WebhookRead) -> None:
    membership = await own_membership(acting.user)
    await webhook_endpoints.delete_webhook(membership.partner_id, endpoint.id, acting.user)


DELETE = ConfirmedAction(
    path="/webhook/{webhook_id:uuid}/hapus", name="partner_webhook_delete",
    template="mitra/konfirmasi/webhook_hapus.html",
    load=_endpoint, act=_delete, done=lambda _: f"{BASE}?ok=webhook-dihapus",
)  # fmt: skip

webhook_pages = manager_pages(WebhookPages, *DELETE.handlers())
