"""The card credential as printed: version 2 (verification.service.cwt: COSE in base45, 125 characters) for every
new print; version 1 (a compact ES256 JWS with {iss, sub, cv, iat}, as `kia:/` numeric text), still accepted from
the cards printed with it; the manual code printed under either. Reading scanned text back into (card, version) or a
typed refusal.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
import qrcode
import qrcode.image.svg
from jwt.exceptions import InvalidTokenError
from qrcode.constants import ERROR_CORRECT_Q

from core.settings import Settings
from core.stores import Stores
from verification.errors import CardUnknown, PresentationExpired, QrUnreadable, SignatureInvalid
from verification.service import cwt
from verification.service.keys import ALGORITHM, KeyRing
from verification.tables import Credential

QR_PREFIX = "kia:/"
ALLOWED_HEADER = {"alg", "kid", "typ"}
CLAIMS = {"iss", "sub", "cv", "iat"}

# Crockford base32: no I, L, O, U. The check symbol is the value mod 37 (the extra five: * ~ $ = U).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = CROCKFORD + "*~$=U"
MANUAL_CODE_DATA_LENGTH = 10  # 50 random bits, then one check symbol: 11 characters, printed XXXX-XXXX-XXX
_DECODE = {**{c: c for c in CROCKFORD}, "O": "0", "I": "1", "L": "1"}
_NUMERIC = re.compile(r"^(?:\d\d)+$")


def card_sub(card_id: uuid.UUID) -> str:
    """The card id as the `sub` claim: its 128 bits in base64url (22 characters)."""
    return base64.urlsafe_b64encode(card_id.bytes).rstrip(b"=").decode()


def card_id_from_sub(sub: object) -> uuid.UUID:
    if not isinstance(sub, str) or len(sub) != 22:
        raise QrUnreadable()
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(sub + "=="))
    except (ValueError, TypeError):
        raise QrUnreadable() from None


def to_numeric(jws: str) -> str:
    """SMART Health Cards numeric encoding: each character as two digits, ord(c) - 45."""
    return "".join(f"{ord(char) - 45:02d}" for char in jws)


def from_numeric(digits: str) -> str:
    if not _NUMERIC.match(digits):
        raise QrUnreadable()
    characters = [chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2)]
    return "".join(characters)


def qr_text(jws: str) -> str:
    return QR_PREFIX + to_numeric(jws)


async def sign_jws(keyring: KeyRing, settings: Settings, card_id: uuid.UUID, cv: int, issued_at: datetime) -> str:
    """A version 1 credential: a compact JWS whose protected header is exactly {"alg": "ES256", "kid": …}. No longer
    printed (`cards.issue_qr_text` prints version 2); kept to show and test what the cards printed before carry."""
    signer = await keyring.signing_key()
    kid, private_key = signer.kid, signer.private_key
    payload = json.dumps(
        {"iss": settings.issuer, "sub": card_sub(card_id), "cv": cv, "iat": int(issued_at.timestamp())},
        separators=(",", ":"),
    ).encode()
    return jwt.api_jws.encode(payload, private_key, algorithm=ALGORITHM, headers={"kid": kid, "typ": None})


def _qr(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=6, border=4)
    # Version 2: base45 in alphanumeric mode. Version 1: "kia:/" in byte mode, the digits in numeric mode.
    code.add_data(text, optimize=20)
    code.make(fit=True)
    return code


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    _qr(text).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(text: str) -> bytes:
    image = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").encode()


def qr_version(text: str) -> int:
    return int(_qr(text).version)


# --- manual codes -----------------------------------------------------------------------------------------------


def _value(code: str) -> int:
    value = 0
    for char in code:
        value = value * 32 + CROCKFORD.index(char)
    return value


def new_manual_code() -> str:
    """Ten random Crockford symbols and a check symbol, drawn so the check is a letter or digit (easy to type)."""
    while True:
        value = secrets.randbits(5 * MANUAL_CODE_DATA_LENGTH)
        data = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(MANUAL_CODE_DATA_LENGTH)))
        check = CHECK_SYMBOLS[value % 37]
        if check in CROCKFORD:
            return data + check


def normalize_manual_code(raw: str) -> str | None:
    """Upper-case, drop spaces and hyphens, read O as 0 and I/L as 1; None if not a well-formed code."""
    cleaned = re.sub(r"[\s-]", "", raw.upper())
    if len(cleaned) != MANUAL_CODE_DATA_LENGTH + 1:
        return None
    data, check = cleaned[:-1], cleaned[-1]
    try:
        data = "".join(_DECODE[c] for c in data)
    except KeyError:
        return None
    check = _DECODE.get(check, check)
    if check not in CHECK_SYMBOLS or CHECK_SYMBOLS[_value(data) % 37] != check:
        return None
    return data + check


def format_manual_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


# --- reading what a till scanned --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presented:
    """What a scanned text names: a card and the credential version it carries."""

    card_id: uuid.UUID
    cv: int
    via: str  # "qr" or "manual"
    slot: int | None = None  # a version 2 QR's status slot


PRESENTATION_CACHE = "presentation"  # a presentation's handle (hex) -> "card:cv", for its few minutes
SLOT_CACHE = "slot"
SLOT_CACHE_TTL_SECONDS = 86_400  # a slot belongs to its print for ever: the cache only bounds the store's memory


def card_version(card_id: uuid.UUID, cv: int) -> bytes:
    """A card and version as the store keeps them behind a slot or a presentation's handle."""
    return f"{card_id}:{cv}".encode()


def _card_version_of(value: bytes) -> tuple[uuid.UUID, int]:
    card, cv = value.decode().split(":")
    return uuid.UUID(card), int(cv)


async def _printed_in(slot: int, stores: Stores | None) -> tuple[uuid.UUID, int]:
    """The card and version whose print holds `slot` (cached in the store: it never changes)."""
    cached = await stores.cache_get(SLOT_CACHE, str(slot)) if stores else None
    if cached is not None:
        return _card_version_of(cached)
    row = await Credential.select(Credential.card, Credential.cv).where(Credential.status_slot == slot).first()
    if row is None:
        raise CardUnknown()  # signed by us, but not in this database
    if stores:
        await stores.cache_set(SLOT_CACHE, str(slot), card_version(row["card"], row["cv"]), SLOT_CACHE_TTL_SECONDS)
    return row["card"], row["cv"]


async def _presented_by_phone(verified: cwt.Verified, stores: Stores | None) -> Presented:
    """The card behind a presentation from a parent's phone, while it lasts."""
    if verified.handle is None or verified.expires is None or verified.expires <= int(time.time()):
        raise PresentationExpired()
    found = await stores.cache_get(PRESENTATION_CACHE, verified.handle.hex()) if stores else None
    if found is None:
        raise PresentationExpired()  # signed by us, but no longer (or never) known here
    card_id, cv = _card_version_of(found)
    return Presented(card_id=card_id, cv=cv, via="presentation")


def is_signed(text: str) -> bool:
    """Whether a scanned text is meant as a signed credential (either version, or a bare JWS), not a manual code."""
    stripped = text.strip()
    return stripped[: len(QR_PREFIX)].lower() == QR_PREFIX or stripped.count(".") == 2 or cwt.looks_like(stripped)


async def read(text: str, keyring: KeyRing, settings: Settings, stores: Stores | None = None) -> Presented:
    """The card a scanned QR text (version 2 or 1), bare JWS or typed manual code names; a typed refusal if it cannot
    be trusted."""
    stripped = text.strip()
    if stripped[: len(QR_PREFIX)].lower() == QR_PREFIX:  # first: upper-cased, it is base45 characters too
        return await _verify(from_numeric(stripped[len(QR_PREFIX) :]), keyring, settings)
    if cwt.looks_like(stripped):
        verified = await cwt.verify(stripped, keyring)
        if verified.slot is None:
            return await _presented_by_phone(verified, stores)
        card_id, cv = await _printed_in(verified.slot, stores)
        return Presented(card_id=card_id, cv=cv, via="qr", slot=verified.slot)
    if stripped.count(".") == 2:
        return await _verify(stripped, keyring, settings)
    code = normalize_manual_code(stripped)
    if code is None:
        raise QrUnreadable()
    row = await Credential.select(Credential.card, Credential.cv).where(Credential.manual_code == code).first()
    if row is None:
        raise CardUnknown()
    return Presented(card_id=row["card"], cv=row["cv"], via="manual")


async def _verify(jws: str, keyring: KeyRing, settings: Settings) -> Presented:
    try:
        header = jwt.get_unverified_header(jws)
    except InvalidTokenError:
        raise QrUnreadable() from None
    # Only our two members (and a harmless typ): jku, jwk, x5u, crit … would let the token pick its own key.
    if set(header) - ALLOWED_HEADER or header.get("alg") != ALGORITHM:
        raise SignatureInvalid()
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise SignatureInvalid()
    public_key = await keyring.verifying_key(kid)
    try:
        payload = jwt.api_jws.decode(jws, public_key, algorithms=[ALGORITHM])
        claims = json.loads(payload)
    except (InvalidTokenError, ValueError):
        raise SignatureInvalid() from None
    if not isinstance(claims, dict) or set(claims) != CLAIMS or claims["iss"] != settings.issuer:
        raise SignatureInvalid()
    if not isinstance(claims["cv"], int) or claims["cv"] < 1:
        raise SignatureInvalid()
    return Presented(card_id=card_id_from_sub(claims["sub"]), cv=claims["cv"], via="qr")
