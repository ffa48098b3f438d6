"""ES256 signing keys: create, activate (one at a time), retire, revoke, rotate; JWKS; an in-process key ring."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from piccolo.query.functions.aggregate import Max

from core.auth import CurrentUser, derive_key
from core.database.transactions import write_transaction
from core.localtime import utc_now
from core.service import stamped
from core.service.audit import record_event
from core.settings import Settings
from verification.errors import (
    KeyRevoked,
    KeyTransitionRefused,
    NoActiveSigningKey,
    SigningKeyNotFound,
    UnknownKey,
)
from verification.tables import KeyStatus, SigningKey

log = structlog.get_logger()

ALGORITHM = "ES256"
# How long a worker trusts its copy of the key list; a key revoked elsewhere stops verifying here within this time.
KEY_RING_TTL_SECONDS = 30.0
# An unknown kid makes a worker re-read the keys (a key just activated elsewhere), at most this often.
UNKNOWN_KID_RELOAD_SECONDS = 1.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }


KID_LENGTH = 16  # characters of the thumbprint kept: 96 bits, and a QR one version smaller than the full 43


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace, base64url."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def key_id(jwk: dict[str, str]) -> str:
    """The `kid`: the start of the RFC 7638 thumbprint (as the EU DCC keeps the start of a certificate hash)."""
    return thumbprint(jwk)[:KID_LENGTH]


def _at_rest_password(settings: Settings) -> bytes:
    return derive_key(settings.secret_key, "signing-key-at-rest")


def public_key_from_jwk(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    return ec.EllipticCurvePublicNumbers(number(jwk["x"]), number(jwk["y"]), ec.SECP256R1()).public_key()


@dataclass(frozen=True, slots=True)
class KeyInfo:
    kid: str
    number: int
    status: KeyStatus
    public_jwk: dict[str, str]
    created_at: Any
    activated_at: Any
    retired_at: Any
    revoked_at: Any


@dataclass(frozen=True, slots=True)
class Signer:
    """The active key as a credential needs it: its JWS kid, its number (the COSE kid) and the private key."""

    kid: str
    number: int
    private_key: ec.EllipticCurvePrivateKey


class KeyRing:
    """This worker's copy of the keys: public keys by kid (and by number) with their status, and the decrypted
    signing key."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: dict[str, tuple[KeyStatus, ec.EllipticCurvePublicKey]] = {}
        self._numbers: dict[int, str] = {}
        self._loaded_at = float("-inf")
        self._signing: Signer | None = None
        self._stamp: int | None = None  # the till cache stamp the keys were loaded under (core.service.stamped)

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self._signing = None

    async def _current(self) -> bool:
        """Whether the keys as loaded still stand: a rotation or a revocation on any node moves the stamp."""
        stamp = await stamped.version()
        return stamp == self._stamp and time.monotonic() - self._loaded_at <= KEY_RING_TTL_SECONDS

    async def _load(self) -> None:
        self._stamp = await stamped.version()
        rows = await SigningKey.select(
            SigningKey.kid, SigningKey.number, SigningKey.status, SigningKey.public_jwk
        ).output(load_json=True)
        self._keys = {row["kid"]: (KeyStatus(row["status"]), public_key_from_jwk(row["public_jwk"])) for row in rows}
        self._numbers = {row["number"]: row["kid"] for row in rows if row["number"] is not None}
        self._loaded_at = time.monotonic()
        if self._signing and self._keys.get(self._signing.kid, (None,))[0] is not KeyStatus.ACTIVE:
            self._signing = None

    async def verifying_key(self, kid: str) -> ec.EllipticCurvePublicKey:
        """The public key for `kid` if it still verifies; UnknownKey or KeyRevoked otherwise."""
        age = time.monotonic() - self._loaded_at
        if not await self._current() or (kid not in self._keys and age > UNKNOWN_KID_RELOAD_SECONDS):
            await self._load()
        entry = self._keys.get(kid)
        if entry is None or entry[0] is KeyStatus.PENDING:
            raise UnknownKey()
        if entry[0] is KeyStatus.REVOKED:
            raise KeyRevoked()
        return entry[1]

    async def verifying_key_numbered(self, number: int) -> ec.EllipticCurvePublicKey:
        """The public key whose number is `number` (a version 2 credential's kid), as `verifying_key`."""
        age = time.monotonic() - self._loaded_at
        if not await self._current() or (number not in self._numbers and age > UNKNOWN_KID_RELOAD_SECONDS):
            await self._load()
        kid = self._numbers.get(number)
        if kid is None:
            raise UnknownKey()
        return await self.verifying_key(kid)

    async def signing_key(self) -> Signer:
        if not await self._current():
            await self._load()  # drops the signing key if it is no longer the active one
        if self._signing is None:
            row = (
                await SigningKey.select(SigningKey.kid, SigningKey.number, SigningKey.private_pem_encrypted)
                .where(SigningKey.status == KeyStatus.ACTIVE)
                .first()
            )
            if row is None:
                raise NoActiveSigningKey()
            private = serialization.load_pem_private_key(
                row["private_pem_encrypted"].encode(), password=_at_rest_password(self._settings)
            )
            assert isinstance(private, ec.EllipticCurvePrivateKey)
            self._signing = Signer(row["kid"], row["number"], private)
        return self._signing


async def create_key(settings: Settings, actor: CurrentUser | None) -> str:
    """A new key, pending until activated. The private half never leaves this function unencrypted."""
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(private.public_key())
    kid = key_id(jwk)
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_at_rest_password(settings)),
    ).decode()
    async with write_transaction():
        last = await SigningKey.select(Max(SigningKey.number).as_alias("last")).first()
        number = ((last or {}).get("last") or 0) + 1
        await SigningKey.insert(
            SigningKey(
                kid=kid, number=number, status=KeyStatus.PENDING, public_jwk=jwk, private_pem_encrypted=encrypted
            )
        )
        await record_event("signing_key.created", "signing_key", kid, actor=actor)
    log.info("signing_key.created", kid=kid)
    return kid


async def _transition(kid: str, target: KeyStatus, allowed_from: set[KeyStatus], actor: CurrentUser | None) -> None:
    row = await SigningKey.select(SigningKey.status).where(SigningKey.kid == kid).first()
    if row is None:
        raise SigningKeyNotFound()
    current = KeyStatus(row["status"])
    if current not in allowed_from:
        raise KeyTransitionRefused(current=current.value, target=target.value)
    stamp = {
        KeyStatus.ACTIVE: SigningKey.activated_at,
        KeyStatus.RETIRED: SigningKey.retired_at,
        KeyStatus.REVOKED: SigningKey.revoked_at,
    }[target]
    await SigningKey.update({SigningKey.status: target, stamp: utc_now()}).where(SigningKey.kid == kid)
    await record_event(
        f"signing_key.{target.value}",
        "signing_key",
        kid,
        actor=actor,
        before={"status": current.value},
        after={"status": target.value},
    )
    log.info("signing_key.status_changed", kid=kid, to=target.value)


async def activate_key(kid: str, actor: CurrentUser | None) -> None:
    """Make `kid` the one signing key; the key that signed until now retires (and keeps verifying)."""
    async with write_transaction():
        active = await SigningKey.select(SigningKey.kid).where(SigningKey.status == KeyStatus.ACTIVE)
        for row in active:
            await _transition(row["kid"], KeyStatus.RETIRED, {KeyStatus.ACTIVE}, actor)
        await _transition(kid, KeyStatus.ACTIVE, {KeyStatus.PENDING}, actor)


async def retire_key(kid: str, actor: CurrentUser | None) -> None:
    async with write_transaction():
        await _transition(kid, KeyStatus.RETIRED, {KeyStatus.ACTIVE}, actor)


async def revoke_key(kid: str, actor: CurrentUser | None) -> None:
    """Stop trusting a key (it leaked): every credential it signed answers `key_revoked` until reissued."""
    async with write_transaction():
        await _transition(kid, KeyStatus.REVOKED, {KeyStatus.PENDING, KeyStatus.ACTIVE, KeyStatus.RETIRED}, actor)


async def rotate(settings: Settings, actor: CurrentUser | None) -> str:
    """Create a key and make it the active one."""
    kid = await create_key(settings, actor)
    await activate_key(kid, actor)
    return kid


async def list_keys() -> list[KeyInfo]:
    rows = await (
        SigningKey.select(
            SigningKey.kid,
            SigningKey.number,
            SigningKey.status,
            SigningKey.public_jwk,
            SigningKey.created_at,
            SigningKey.activated_at,
            SigningKey.retired_at,
            SigningKey.revoked_at,
        )
        .order_by(SigningKey.created_at)
        .output(load_json=True)
    )
    return [KeyInfo(**{**row, "status": KeyStatus(row["status"])}) for row in rows]


async def verifying_keys() -> list[KeyInfo]:
    """The keys whose signatures still verify: the active one and the retired ones (what every key set publishes)."""
    return [key for key in await list_keys() if key.status in {KeyStatus.ACTIVE, KeyStatus.RETIRED}]


async def jwks() -> dict[str, list[dict[str, str]]]:
    """The public keys that still verify, as a standard JWK Set."""
    keys = await verifying_keys()
    return {"keys": [{**key.public_jwk, "kid": key.kid, "alg": ALGORITHM, "use": "sig"} for key in keys]}


# COSE (RFC 9052 §7) labels of an EC2 key: kty, kid, alg; crv, x, y.
COSE_KTY, COSE_KID, COSE_ALG, COSE_CRV, COSE_X, COSE_Y = 1, 2, 3, -1, -2, -3
COSE_EC2, COSE_ES256, COSE_P256 = 2, -7, 1


def cose_kid(number: int) -> bytes:
    """A key's COSE key id: its number as the shortest big-endian bytes (one byte for the first 255 keys)."""
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


async def cose_key_set() -> list[dict[int, int | bytes]]:
    """The keys that verify, as a COSE_KeySet: what a version 2 credential's kid names."""
    keys = await verifying_keys()
    return [
        {
            COSE_KTY: COSE_EC2,
            COSE_KID: cose_kid(key.number),
            COSE_ALG: COSE_ES256,
            COSE_CRV: COSE_P256,
            COSE_X: base64.urlsafe_b64decode(key.public_jwk["x"] + "=="),
            COSE_Y: base64.urlsafe_b64decode(key.public_jwk["y"] + "=="),
        }
        for key in keys
    ]
