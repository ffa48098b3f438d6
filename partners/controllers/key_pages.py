"""HTML for the partner's point-of-sale API keys at /mitra/kunci-api: the list, a new key (shown once, on the page
that answers the form, never stored in a page or URL after that) and revoking one after a confirmation. The same
service and messages as /api/v1/partners/{id}/api-keys."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Template

from core.confirm import Acting, ConfirmedAction
from core.errors import Invalid
from core.forms import checked, problems_by_field, text, to_struct
from core.pages import Form
from partners.controllers.deps import Manager, manager_pages
from partners.schemas import ApiKeyCreate, ApiKeyRead, ApiScope
from partners.service import api_keys, outlets
from partners.service.access import Membership, own_membership

# The page with the key itself must not stay in a browser's or a proxy's cache.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ApiKeyPages(Controller):
    path = "/kunci-api"

    @get("/", name="partner_api_keys", media_type=MediaType.HTML)
    async def list_keys(self, membership: NamedDependency[Membership]) -> Template:
        return Template(
            "mitra/kunci_api.html",
            context={
                "keys": await api_keys.list_api_keys(membership.partner_id),
                "outlet_names": {o.id: o.name for o in await outlets.list_outlets(membership.partner_id)},
            },
        )

    @get("/baru", name="partner_api_key_new", media_type=MediaType.HTML)
    async def new(self, membership: NamedDependency[Membership]) -> Template:
        return await _form(membership.partner_id, {f"scope.{s.value}": "on" for s in ApiScope})

    @post("/baru", media_type=MediaType.HTML, status_code=200)
    async def create(self, data: Form, manager: NamedDependency[Manager]) -> Any:
        try:
            body = to_struct(
                ApiKeyCreate,
                {"name": text(data, "name"), "outlet_id": text(data, "outlet_id"),
                 "scopes": [s.value for s in ApiScope if checked(data, f"scope.{s.value}")]},
            )  # fmt: skip
            created = await api_keys.create_api_key(manager.partner_id, body, manager.user)
        except Invalid as problem:
            return await _form(manager.partner_id, data, problems_by_field(problem, manager.language))
        outlet = await outlets.get_outlet(manager.partner_id, created.outlet_id)
        context = {"key": created, "outlet_name": outlet.name}
        return Template("mitra/kunci_api_baru.html", context=context, headers=NO_STORE)


async def _form(partner_id: uuid.UUID, values: dict[str, str], problems: dict[str, str] | None = None) -> Template:
    return Template(
        "mitra/kunci_api_form.html",
        context={
            "values": values,
            "problems": problems or {},
            "outlets": await outlets.list_outlets(partner_id, active_only=True),
            "scopes": [scope.value for scope in ApiScope],
        },
        status_code=422 if problems else 200,
    )


async def _key(acting: Acting) -> ApiKeyRead:
    membership = await own_membership(acting.user)
    return await api_keys.get_api_key(membership.partner_id, acting.path("key_id"))  # another partner's key: 404


async def _revoke(acting: Acting, key: ApiKeyRead) -> None:
    membership = await own_membership(acting.user)
    await api_keys.revoke_api_key(membership.partner_id, key.id, acting.user)


REVOKE = ConfirmedAction(
    path="/kunci-api/{key_id:uuid}/cabut", name="partner_api_key_revoke",
    template="mitra/konfirmasi/kunci_api_cabut.html",
    load=_key, act=_revoke, done=lambda _: "/mitra/kunci-api?ok=kunci-dicabut",
)  # fmt: skip

api_key_pages = manager_pages(ApiKeyPages, *REVOKE.handlers())
