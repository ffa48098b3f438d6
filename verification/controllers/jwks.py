"""HTTP for the public keys that verify card credentials (a standard JWK Set)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from core.auth import PUBLIC
from core.openapi import raises
from verification.service import keys

# Verifiers may cache the set; a rotation is announced well before old credentials stop verifying.
JWKS_CACHE = "public, max-age=300"


class JwksController(Controller):
    path = "/.well-known"
    tags = ["credentials"]
    opt = {PUBLIC: True}

    @get("/jwks.json", summary="Public keys (ES256) that verify Mitra KIA card credentials", opt=raises())
    async def jwks(self) -> Response[dict[str, Any]]:
        return Response(await keys.jwks(), headers={"Cache-Control": JWKS_CACHE})
