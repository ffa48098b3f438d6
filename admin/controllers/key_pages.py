"""HTML for the card-signing keys at /admin/kunci: their states, a rotation and a revocation, each behind a
confirmation page. The same service calls (and the same key ring refresh) as /api/v1/admin/keys; never a private
key."""

from __future__ import annotations

from litestar import Controller, Router, get
from litestar.enums import MediaType
from litestar.response import Template

from core.confirm import Acting, ConfirmedAction
from core.guards import requires_national_admin
from verification.errors import SigningKeyNotFound
from verification.service import keys
from verification.service.keys import KeyInfo, KeyRing
from verification.tables import KeyStatus

PATH = "/admin/kunci"


class SigningKeyPages(Controller):
    @get("/", name="signing_keys_page", media_type=MediaType.HTML)
    async def list_keys(self) -> Template:
        found = await keys.list_keys()
        return Template(
            "admin/kunci.html",
            context={
                "keys": found[::-1],  # newest first
                "has_active": any(key.status is KeyStatus.ACTIVE for key in found),
            },
        )


async def _active_kid(_: Acting) -> str | None:
    """What a rotation retires: the key active now, if any."""
    return next((key.kid for key in await keys.list_keys() if key.status is KeyStatus.ACTIVE), None)


async def _rotate(acting: Acting, _: str | None) -> None:
    await keys.rotate(acting.settings, acting.user)
    keyring: KeyRing = acting.state("keyring")
    keyring.invalidate()


async def _key(acting: Acting) -> KeyInfo:
    kid = acting.path("kid")
    key = next((key for key in await keys.list_keys() if key.kid == kid), None)
    if key is None:
        raise SigningKeyNotFound()
    return key


async def _revoke(acting: Acting, key: KeyInfo) -> None:
    await keys.revoke_key(key.kid, acting.user)
    keyring: KeyRing = acting.state("keyring")
    keyring.invalidate()


ROTATE = ConfirmedAction(
    path="/rotasi", name="signing_key_rotate_page", template="admin/konfirmasi/kunci_rotasi.html",
    load=_active_kid, act=_rotate, done=lambda _: f"{PATH}?ok=dirotasi",
)  # fmt: skip
REVOKE = ConfirmedAction(
    path="/{kid:str}/cabut", name="signing_key_revoke_page", template="admin/konfirmasi/kunci_cabut.html",
    load=_key, act=_revoke, done=lambda _: f"{PATH}?ok=dicabut",
)  # fmt: skip

signing_key_pages = Router(
    PATH,
    guards=[requires_national_admin],  # as the API's: one key ring for every office, a national admin's
    include_in_schema=False,
    route_handlers=[SigningKeyPages, *ROTATE.handlers(), *REVOKE.handlers()],
)
