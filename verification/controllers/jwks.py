"""HTTP for the public keys that verify card credentials: a JWK Set (version 1, JWS) and a COSE_KeySet (version 2)."""

from __future__ import annotations

from typing import Any

import cbor2
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

    @get(
        "/cose-keys",
        media_type="application/cose-key-set",
        summary="Public keys (ES256) that verify version 2 credentials, as a COSE_KeySet (RFC 9052 §7, CBOR)",
        opt=raises(),
    )
    async def cose_keys(self) -> Response[bytes]:
        return Response(cbor2.dumps(await keys.cose_key_set()), headers={"Cache-Control": JWKS_CACHE})
