"""HTTP for Dukcapil's signing keys: see their states, rotate, retire, revoke."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from admin.schemas import KeyRead
from core.auth import AuthedRequest
from core.guards import requires_national_admin
from core.openapi import raises
from core.settings import Settings
from verification.errors import KeyTransitionRefused, SigningKeyNotFound
from verification.service import keys
from verification.service.keys import KeyRing


def _read(info: keys.KeyInfo) -> KeyRead:
    return KeyRead(**{field: getattr(info, field) for field in KeyRead.__struct_fields__})


class KeyController(Controller):
    path = "/api/v1/admin/keys"
    tags = ["admin"]
    guards = [requires_national_admin]  # one key ring for every office: rotating it is national work

    @get("/", summary="Signing keys and their states (public halves only)", opt=raises())
    async def list_keys(self) -> list[KeyRead]:
        return [_read(info) for info in await keys.list_keys()]

    @post("/rotate", summary="Create a key and make it the active one; the previous one retires", opt=raises())
    async def rotate(
        self, request: AuthedRequest, settings: NamedDependency[Settings], keyring: NamedDependency[KeyRing]
    ) -> KeyRead:
        kid = await keys.rotate(settings, request.user)
        keyring.invalidate()
        return next(_read(info) for info in await keys.list_keys() if info.kid == kid)

    @post(
        "/{kid:str}/retire",
        status_code=HTTP_200_OK,
        summary="Stop signing with a key (it still verifies)",
        opt=raises(SigningKeyNotFound, KeyTransitionRefused),
    )
    async def retire(self, kid: FromPath[str], request: AuthedRequest, keyring: NamedDependency[KeyRing]) -> KeyRead:
        await keys.retire_key(kid, request.user)
        keyring.invalidate()
        return next(_read(info) for info in await keys.list_keys() if info.kid == kid)

    @post(
        "/{kid:str}/revoke",
        status_code=HTTP_200_OK,
        summary="Stop trusting a key: its cards must be reissued",
        opt=raises(SigningKeyNotFound, KeyTransitionRefused),
    )
    async def revoke(self, kid: FromPath[str], request: AuthedRequest, keyring: NamedDependency[KeyRing]) -> KeyRead:
        await keys.revoke_key(kid, request.user)
        keyring.invalidate()
        return next(_read(info) for info in await keys.list_keys() if info.kid == kid)
