"""HTML for the partner's point-of-sale API keys at /mitra/kunci-api: the list, a new key (shown once, on the page
that answers the form, never stored in a page or URL after that) and revoking one after a confirmation. The same
service and messages as /api/v1/partners/{id}/api-keys."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth import PUBLIC
from core.errors import Invalid
from core.forms import Confirmation, checked, confirmation_page, notice, problems_by_field, text, to_struct
from core.i18n import Language, Text
from core.pages import page_language
from core.settings import Settings
from partners.controllers.pages import Form, manager
from partners.errors import ApiKeyNotFound
from partners.schemas import ApiKeyCreate, ApiKeyRead, ApiScope
from partners.service import api_keys, outlets

SCOPES = {
    ApiScope.SCAN: Text("Pindai: memeriksa kartu dan penawaran yang berlaku", "Scan: check a card and its offers"),
    ApiScope.REDEEM: Text("Tukar: memberikan manfaat dan membatalkannya", "Redeem: give a benefit and void it"),
}
SAVED = {"kunci-dicabut": Text("Kunci dicabut: tidak dapat dipakai lagi.", "Key revoked: it no longer works.")}
# The page with the key itself must not stay in a browser's or a proxy's cache.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ApiKeyPages(Controller):
    path = "/mitra/kunci-api"
    opt = {PUBLIC: True}  # pages: `manager()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_api_keys", media_type=MediaType.HTML)
    async def list_keys(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        return Template(
            "mitra/kunci_api.html",
            context={
                "keys": await api_keys.list_api_keys(partner_id),
                "outlet_names": {o.id: o.name for o in await outlets.list_outlets(partner_id)},
                "scopes": _scopes(language),
                "notice": notice(request, SAVED, language),
            },
        )

    @get("/baru", name="partner_api_key_new", media_type=MediaType.HTML)
    async def new(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        return await _form(request, settings, partner_id, {f"scope.{s.value}": "on" for s in ApiScope})

    @post("/baru", media_type=MediaType.HTML, status_code=200)
    async def create(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user, partner_id = await manager(request, settings)
        try:
            body = to_struct(
                ApiKeyCreate,
                {"name": text(data, "name"), "outlet_id": text(data, "outlet_id"),
                 "scopes": [s.value for s in ApiScope if checked(data, f"scope.{s.value}")]},
            )  # fmt: skip
            created = await api_keys.create_api_key(partner_id, body, user)
        except Invalid as problem:
            return await _form(request, settings, partner_id, data, problem)
        language = page_language(request, settings.language)
        return Template(
            "mitra/kunci_api_baru.html",
            context={
                "key": created,
                "outlet_name": (await outlets.get_outlet(partner_id, created.outlet_id)).name,
                "scopes": _scopes(language),
            },
            headers=NO_STORE,
        )

    @get("/{key_id:uuid}/cabut", name="partner_api_key_revoke", media_type=MediaType.HTML)
    async def confirm_revoke(
        self, request: Request[Any, Any, Any], key_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, partner_id = await manager(request, settings)
        key = await _key(partner_id, key_id)  # another partner's key: 404
        language = page_language(request, settings.language)
        return confirmation_page(_revoking(key, language), language)

    @post("/{key_id:uuid}/cabut", media_type=MediaType.HTML, status_code=303)
    async def revoke(
        self, request: Request[Any, Any, Any], key_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        user, partner_id = await manager(request, settings)
        await api_keys.revoke_api_key(partner_id, key_id, user)  # another partner's key: 404
        return Redirect("/mitra/kunci-api?ok=kunci-dicabut", status_code=303)


def _scopes(language: Language) -> dict[str, str]:
    return {scope.value: name.render(language) for scope, name in SCOPES.items()}


async def _key(partner_id: uuid.UUID, key_id: uuid.UUID) -> ApiKeyRead:
    found = [key for key in await api_keys.list_api_keys(partner_id) if key.id == key_id]
    if not found:
        raise ApiKeyNotFound()
    return found[0]


def _revoking(key: ApiKeyRead, language: Language) -> Confirmation:
    def t(indonesian: str, english: str) -> str:
        return Text(indonesian, english).render(language)

    return Confirmation(
        layout="mitra/layout.html",
        title=t("Cabut kunci API", "Revoke an API key"),
        subject=f"{key.name} ({key.prefix}…)",
        consequences=[
            t(
                "Mesin kasir yang memakai kunci ini langsung ditolak, sejak permintaan berikutnya.",
                "A till using this key is refused from its next request on.",
            ),
            t(
                "Kunci yang dicabut tidak dapat dipulihkan. Bila masih perlu, buat kunci baru dan pasang di mesinnya.",
                "A revoked key cannot be restored. If the till still needs one, create a new key and install it.",
            ),
            t(
                "Penukaran yang sudah tercatat tetap ada di riwayat.",
                "Redemptions already recorded stay in the history.",
            ),
        ],
        action=f"/mitra/kunci-api/{key.id}/cabut",
        button=t("Cabut kunci", "Revoke the key"),
        back="/mitra/kunci-api",
    )


async def _form(
    request: Request[Any, Any, Any],
    settings: Settings,
    partner_id: uuid.UUID,
    values: dict[str, str],
    problem: Invalid | None = None,
) -> Template:
    language = page_language(request, settings.language)
    return Template(
        "mitra/kunci_api_form.html",
        context={
            "values": values,
            "problems": problems_by_field(problem, language),
            "outlets": await outlets.list_outlets(partner_id, active_only=True),
            "scopes": _scopes(language),
        },
        status_code=422 if problem else 200,
    )
