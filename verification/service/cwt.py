"""The card credential, version 2: a COSE_Sign1 (RFC 9052) over a CWT claims set (RFC 8392) that holds only the
print's status slot, signed ES256 with a canonical (low-s) signature, as base45 text (RFC 9285) for a QR in
alphanumeric mode: 83 bytes, 125 characters, QR version 7 at error correction Q. docs/credentials.md has the bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from verification.errors import QrUnreadable, SignatureInvalid
from verification.service.keys import COSE_ES256, KeyRing, Signer, cose_kid

# COSE header labels (RFC 9052 §3.1) and the CWT claim (RFC 8392 §4) a version 2 credential uses.
HEADER_ALG, HEADER_KID = 1, 4
CLAIM_EXP, CLAIM_CTI = 4, 7
# The protected header is always exactly {alg: ES256}, so it is one constant: a1 01 26.
PROTECTED = cbor2.dumps({HEADER_ALG: COSE_ES256})
SLOT_BYTES = 4  # the status slot as the token id: 2^32 slots, 32,768 lists of 131,072 entries
HANDLE_BYTES = 8  # a presentation's token id: random, known to the service for a few minutes
SIGNATURE_BYTES = 64  # r || s, 32 bytes each (RFC 9053 §2.1)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = P256_ORDER // 2

BASE45_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
# A version 2 text is 125 characters (more once there are over 255 keys); a manual code is 11 to 14.
MIN_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Verified:
    """What a verified version 2 credential says: which key signed it and its print's status slot; or, for a
    presentation shown on a parent's phone, its one-time handle and when it expires (seconds since 1970)."""

    key_number: int
    slot: int | None
    handle: bytes | None = None
    expires: int | None = None


def looks_like(text: str) -> bool:
    """Whether a scanned text is meant as a version 2 credential (base45, and far longer than a manual code)."""
    return len(text) >= MIN_LENGTH and set(text) <= BASE45_ALPHABET


def _to_be_signed(payload: bytes) -> bytes:
    """The Sig_structure of a COSE_Sign1 (RFC 9052 §4.4) with no external data."""
    return cbor2.dumps(["Signature1", PROTECTED, b"", payload])


def _claims(slot: int) -> bytes:
    return cbor2.dumps({CLAIM_CTI: slot.to_bytes(SLOT_BYTES, "big")})


def sign(signer: Signer, slot: int) -> str:
    """The QR text of one print: its slot signed by the active key, s made low (the one canonical signature)."""
    return _signed(signer, _claims(slot))


def sign_presentation(signer: Signer, handle: bytes, expires: int) -> str:
    """A presentation for a parent's phone: a random handle instead of the slot, and an expiry. Two presentations of
    one card share nothing but the fixed header bytes, so merchants cannot link them."""
    return _signed(signer, cbor2.dumps({CLAIM_EXP: expires, CLAIM_CTI: handle}))


def _signed(signer: Signer, payload: bytes) -> str:
    der = signer.private_key.sign(_to_be_signed(payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    if s > HALF_ORDER:
        s = P256_ORDER - s  # (r, n − s) verifies too; only the low one is ever issued or accepted
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    message = cbor2.dumps([PROTECTED, {HEADER_KID: cose_kid(signer.number)}, payload, signature])
    return base45.b45encode(message).decode()


def _parse(text: str) -> tuple[int, bytes, bytes]:
    """(key number, payload, signature) of a well-formed message; any other shape is refused. Every part must be
    exactly what `sign` writes, byte for byte (re-encoding gives the same bytes), so there is one text per print."""
    try:
        message = base45.b45decode(text)
        decoded = cbor2.loads(message)
    except (ValueError, cbor2.CBORDecodeError):
        raise QrUnreadable() from None
    if not isinstance(decoded, Sequence) or len(decoded) != 4 or cbor2.dumps(decoded) != message:
        raise QrUnreadable()
    protected, unprotected, payload, signature = decoded
    # The algorithm is ours alone (no "none", no other curve) and the key is named only by its kid.
    if protected != PROTECTED or not isinstance(unprotected, Mapping) or set(unprotected) != {HEADER_KID}:
        raise SignatureInvalid()
    kid = unprotected[HEADER_KID]
    if not isinstance(kid, bytes) or not 1 <= len(kid) <= 4 or kid[0] == 0:  # the shortest bytes, as cose_kid
        raise SignatureInvalid()
    if not isinstance(payload, bytes) or not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise SignatureInvalid()
    return int.from_bytes(kid, "big"), payload, signature


def _claims_of(number: int, payload: bytes) -> Verified:
    """A print's {cti: slot} or a presentation's {exp, cti: handle}, exactly; anything else is refused."""
    try:
        claims = cbor2.loads(payload)
    except cbor2.CBORDecodeError:
        raise SignatureInvalid() from None
    if not isinstance(claims, Mapping) or cbor2.dumps(claims) != payload:
        raise SignatureInvalid()
    cti = claims.get(CLAIM_CTI)
    if set(claims) == {CLAIM_CTI} and isinstance(cti, bytes) and len(cti) == SLOT_BYTES:
        return Verified(key_number=number, slot=int.from_bytes(cti, "big"))
    expires = claims.get(CLAIM_EXP)
    if (
        set(claims) == {CLAIM_EXP, CLAIM_CTI}
        and isinstance(cti, bytes)
        and len(cti) == HANDLE_BYTES
        and isinstance(expires, int)
        and not isinstance(expires, bool)
    ):
        return Verified(key_number=number, slot=None, handle=cti, expires=expires)
    raise SignatureInvalid()


async def verify(text: str, keyring: KeyRing) -> Verified:
    """The key and slot of a version 2 text whose signature is ours and canonical; a typed refusal otherwise."""
    number, payload, signature = _parse(text)
    public_key = await keyring.verifying_key_numbered(number)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < P256_ORDER and 1 <= s <= HALF_ORDER):
        raise SignatureInvalid()  # a high s is the same signature mirrored: a second text for one print
    try:
        public_key.verify(encode_dss_signature(r, s), _to_be_signed(payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalid() from None
    return _claims_of(number, payload)
