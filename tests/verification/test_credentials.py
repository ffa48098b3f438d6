"""The card credential: what the QR holds, who signed it, and every way a forged or stale one is refused."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.localtime import utc_now
from core.stores import Stores
from tests.conftest import login
from tests.helpers import PASSWORD, today
from tests.verification.cards_helpers import enroll_card
from verification.errors import (
    CardExpired,
    CardRevoked,
    CardSuperseded,
    CardUnknown,
    KeyRevoked,
    QrUnreadable,
    SignatureInvalid,
    UnknownKey,
)
from verification.service import cards, credentials, keys
from verification.service.keys import KeyRing
from verification.tables import RevocationReason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
async def keyring(settings):
    await keys.rotate(settings, None)
    return KeyRing(settings)


@pytest.fixture
async def card(settings, keyring):
    return await enroll_card(settings, age_years=8)


async def qr_for(card_id, keyring, settings) -> str:
    text, _ = await cards.issue_qr_text(card_id, keyring, settings, None)
    return text


async def resolve(text, keyring, settings):
    return await cards.resolve(text, keyring, Stores(settings.redis_url), settings, today())


async def test_qr_text_is_kia_numeric_of_a_minimal_es256_jws(card, keyring, settings):
    text = await qr_for(card, keyring, settings)

    assert text.startswith("kia:/")
    digits = text[len("kia:/") :]
    assert digits.isdigit()
    assert len(digits) % 2 == 0
    jws = "".join(chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2))
    header_b64, payload_b64, signature_b64 = jws.split(".")
    header = json.loads(unb64(header_b64))
    payload = json.loads(unb64(payload_b64))
    kid = (await keyring.signing_key())[0]

    assert header == {"alg": "ES256", "kid": kid}
    assert set(payload) == {"iss", "sub", "cv", "iat"}
    assert payload["iss"] == settings.issuer
    assert uuid.UUID(bytes=unb64(payload["sub"])) == card
    assert payload["cv"] == 1
    assert abs(payload["iat"] - time.time()) < 60
    assert len(unb64(signature_b64)) == 64  # raw r || s of P-256
    assert credentials.qr_version(text) <= 13


async def test_kid_is_derived_from_the_rfc7638_thumbprint(keyring):
    import hashlib

    (jwk,) = (await keys.jwks())["keys"]
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    full = b64(hashlib.sha256(canonical.encode()).digest())
    assert len(jwk["kid"]) == 16
    assert full.startswith(jwk["kid"])


async def test_a_valid_credential_resolves_by_qr_bare_jws_and_manual_code(card, keyring, settings):
    text = await qr_for(card, keyring, settings)
    jws = credentials.from_numeric(text[len("kia:/") :])
    _, code = await cards.current_credential(card)

    for presented in (text, text.upper(), jws, code, credentials.format_manual_code(code).lower()):
        state = await resolve(presented, keyring, settings)
        assert state.card_id == card


async def test_manual_code_check_character_catches_typos(card, keyring, settings):
    _, code = await cards.current_credential(card)
    typo = ("1" if code[3] != "1" else "2") + code[1:] if code[0] != "1" else "2" + code[1:]
    swapped = code[1] + code[0] + code[2:]
    for wrong in (typo, swapped if swapped != code else typo, code[:-1], "ABC"):
        with pytest.raises((QrUnreadable, CardUnknown)):
            await resolve(wrong, keyring, settings)


async def test_a_retired_keys_credentials_still_verify_a_revoked_keys_do_not(card, keyring, settings):
    old_text = await qr_for(card, keyring, settings)
    old_kid = (await keyring.signing_key())[0]

    await keys.rotate(settings, None)
    keyring.invalidate()
    assert (await resolve(old_text, keyring, settings)).card_id == card  # retired: still verifies
    new_text = await qr_for(card, keyring, settings)
    assert (await keyring.signing_key())[0] != old_kid

    await keys.revoke_key(old_kid, None)
    keyring.invalidate()
    with pytest.raises(KeyRevoked):
        await resolve(old_text, keyring, settings)
    assert (await resolve(new_text, keyring, settings)).card_id == card


async def test_tampered_payload_is_refused(card, keyring, settings):
    other = await enroll_card(settings)
    jws = credentials.from_numeric((await qr_for(card, keyring, settings))[5:])
    header, payload, signature = jws.split(".")
    claims = json.loads(unb64(payload))
    claims["sub"] = credentials.card_sub(other)
    forged = f"{header}.{b64(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"
    with pytest.raises(SignatureInvalid):
        await resolve(forged, keyring, settings)
    with pytest.raises(SignatureInvalid):
        await resolve(credentials.qr_text(forged), keyring, settings)


async def test_alg_none_is_refused(card, keyring, settings):
    jws = credentials.from_numeric((await qr_for(card, keyring, settings))[5:])
    _, payload, _ = jws.split(".")
    kid = (await keyring.signing_key())[0]
    unsigned = f"{b64(json.dumps({'alg': 'none', 'kid': kid}).encode())}.{payload}."
    with pytest.raises(SignatureInvalid):
        await resolve(unsigned, keyring, settings)


async def test_hs256_signed_with_the_public_key_is_refused(card, keyring, settings):
    """Algorithm confusion: an attacker uses the published public key as an HMAC secret."""
    kid, private = await keyring.signing_key()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": settings.issuer, "sub": credentials.card_sub(card), "cv": 1, "iat": int(time.time())}
    header = b64(json.dumps({"alg": "HS256", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    import hashlib
    import hmac

    signature = b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises(SignatureInvalid):
        await resolve(f"{header}.{payload}.{signature}", keyring, settings)


async def test_unknown_kid_is_refused(card, keyring, settings):
    stranger = ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": settings.issuer, "sub": credentials.card_sub(card), "cv": 1, "iat": int(time.time())}
    token = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "not-one-of-ours", "typ": None})
    with pytest.raises(UnknownKey):
        await resolve(token, keyring, settings)


async def test_a_jku_header_is_refused_even_when_the_signature_is_ours(card, keyring, settings):
    kid, private = await keyring.signing_key()
    claims = {"iss": settings.issuer, "sub": credentials.card_sub(card), "cv": 1, "iat": int(time.time())}
    token = jwt.encode(
        claims, private, algorithm="ES256", headers={"kid": kid, "jku": "https://evil.example/jwks.json", "typ": None}
    )
    with pytest.raises(SignatureInvalid):
        await resolve(token, keyring, settings)


async def test_extra_claims_or_another_issuer_are_refused(card, keyring, settings):
    kid, private = await keyring.signing_key()
    base = {"iss": settings.issuer, "sub": credentials.card_sub(card), "cv": 1, "iat": int(time.time())}
    for claims in ({**base, "name": "Budi"}, {**base, "iss": "https://elsewhere.example"}, {**base, "cv": 0}):
        token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": kid, "typ": None})
        with pytest.raises(SignatureInvalid):
            await resolve(token, keyring, settings)


@pytest.mark.parametrize("text", ["", "hello", "kia:/123", "kia:/12ab", "a.b.c", "https://example.com/x.y.z"])
async def test_garbage_is_unreadable(keyring, settings, text):
    with pytest.raises(QrUnreadable):
        await resolve(text, keyring, settings)


async def test_card_states(card, keyring, settings):
    stores = Stores(settings.redis_url)
    old = await qr_for(card, keyring, settings)
    await resolve(old, keyring, settings)  # warms the status cache

    await cards.reissue(card, RevocationReason.LOST, _actor(), stores)
    with pytest.raises(CardSuperseded):
        await resolve(old, keyring, settings)
    new = await qr_for(card, keyring, settings)
    assert (await resolve(new, keyring, settings)).cv == 2

    await cards.revoke(card, RevocationReason.DECEASED, _actor(), stores)
    with pytest.raises(CardRevoked):
        await resolve(new, keyring, settings)

    seventeen = await enroll_card(settings, born=cards.birthday(today(), -17))
    with pytest.raises(CardExpired):
        await resolve(await _sign_anyway(seventeen, keyring, settings), keyring, settings)
    day_before = await enroll_card(
        settings, born=cards.birthday(today(), -17) + __import__("datetime").timedelta(days=1)
    )
    assert (await resolve(await qr_for(day_before, keyring, settings), keyring, settings)).card_id == day_before

    never_enrolled = await credentials.sign(keyring, settings, uuid.uuid4(), 1, utc_now())
    with pytest.raises(CardUnknown):
        await resolve(never_enrolled, keyring, settings)


async def _sign_anyway(card_id, keyring, settings) -> str:
    return credentials.qr_text(await credentials.sign(keyring, settings, card_id, 1, utc_now()))


def _actor():
    from core.auth import CurrentUser
    from core.tables import Role

    return CurrentUser(
        id=uuid.uuid4(), username="dukcapil", role=Role.DUKCAPIL_ADMIN, display_name="Dukcapil", region="17.71"
    )


async def test_jwks_alone_verifies_a_credential_with_an_independent_jose_library(client, card, keyring, settings):
    """A third-party verifier needs only /.well-known/jwks.json and any JOSE library: no Mitra KIA code."""
    from jwcrypto import jwk, jws

    text = await qr_for(card, keyring, settings)
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    published = response.json()
    for key in published["keys"]:
        assert set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")

    digits = text[len("kia:/") :]
    compact = "".join(chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2))
    key_set = jwk.JWKSet.from_json(response.text)
    token = jws.JWS()
    token.deserialize(compact)
    kid = token.jose_header["kid"]
    token.verify(key_set.get_key(kid), alg="ES256")
    claims = json.loads(token.payload)
    assert claims["sub"] == credentials.card_sub(card)


async def test_jwks_lists_only_keys_that_verify(client, settings, keyring):
    first = (await keyring.signing_key())[0]
    second = await keys.rotate(settings, None)
    pending = await keys.create_key(settings, None)
    kids = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {first, second}
    await keys.revoke_key(first, None)
    kids = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {second}
    assert pending not in kids


async def test_private_keys_are_encrypted_at_rest_and_never_in_api_output(client, create_staff, keyring, settings):
    from verification.tables import SigningKey

    row = await SigningKey.select(SigningKey.private_pem_encrypted).first()
    assert row["private_pem_encrypted"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    await create_staff("ditjen.admin", "dukcapil_admin", region=None)  # the key ring is national
    headers = await login(client, "ditjen.admin", PASSWORD)
    listed = await client.get("/api/v1/admin/keys", headers=headers)
    assert listed.status_code == 200
    assert "PRIVATE" not in listed.text
    assert all(set(key["public_jwk"]) == {"kty", "crv", "x", "y"} for key in listed.json())
