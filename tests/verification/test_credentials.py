"""The card credential, versions 2 (COSE, printed now) and 1 (JWS, on older stickers): what the QR holds, who
signed it, and every way a forged or stale one is refused."""

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
    """What Dukcapil prints today: version 2."""
    text, _ = await cards.issue_qr_text(card_id, keyring, settings, None)
    return text


async def v1_for(card_id, keyring, settings, cv=1) -> str:
    """What a sticker printed before version 2 carries."""
    return credentials.qr_text(await credentials.sign_jws(keyring, settings, card_id, cv, utc_now()))


async def resolve(text, keyring, settings):
    return await cards.resolve(text, keyring, Stores(settings.redis_url), settings, today())


async def test_version_1_qr_text_is_kia_numeric_of_a_minimal_es256_jws(card, keyring, settings):
    text = await v1_for(card, keyring, settings)

    assert text.startswith("kia:/")
    digits = text[len("kia:/") :]
    assert digits.isdigit()
    assert len(digits) % 2 == 0
    jws = "".join(chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2))
    header_b64, payload_b64, signature_b64 = jws.split(".")
    header = json.loads(unb64(header_b64))
    payload = json.loads(unb64(payload_b64))
    kid = (await keyring.signing_key()).kid

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


async def test_a_valid_credential_resolves_by_either_qr_bare_jws_and_manual_code(card, keyring, settings):
    text = await v1_for(card, keyring, settings)
    jws = credentials.from_numeric(text[len("kia:/") :])
    _, code = await cards.current_credential(card)
    v2 = await qr_for(card, keyring, settings)

    for presented in (v2, f" {v2}\n", text, text.upper(), jws, code, credentials.format_manual_code(code).lower()):
        state = await resolve(presented, keyring, settings)
        assert state.card_id == card


async def test_manual_code_check_character_catches_typos(card, keyring, settings):
    _, code = await cards.current_credential(card)
    typo = ("1" if code[3] != "1" else "2") + code[1:] if code[0] != "1" else "2" + code[1:]
    swapped = code[1] + code[0] + code[2:]
    for wrong in (typo, swapped if swapped != code else typo, code[:-1], "ABC"):
        with pytest.raises((QrUnreadable, CardUnknown)):
            await resolve(wrong, keyring, settings)


@pytest.mark.parametrize("printed", [qr_for, v1_for], ids=["version 2", "version 1"])
async def test_a_retired_keys_credentials_still_verify_a_revoked_keys_do_not(card, keyring, settings, printed):
    old_text = await printed(card, keyring, settings)
    old_kid = (await keyring.signing_key()).kid

    await keys.rotate(settings, None)
    keyring.invalidate()
    assert (await resolve(old_text, keyring, settings)).card_id == card  # retired: still verifies
    new_text = await printed(card, keyring, settings)
    assert (await keyring.signing_key()).kid != old_kid

    await keys.revoke_key(old_kid, None)
    keyring.invalidate()
    with pytest.raises(KeyRevoked):
        await resolve(old_text, keyring, settings)
    assert (await resolve(new_text, keyring, settings)).card_id == card


async def test_tampered_payload_is_refused(card, keyring, settings):
    other = await enroll_card(settings)
    jws = credentials.from_numeric((await v1_for(card, keyring, settings))[5:])
    header, payload, signature = jws.split(".")
    claims = json.loads(unb64(payload))
    claims["sub"] = credentials.card_sub(other)
    forged = f"{header}.{b64(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"
    with pytest.raises(SignatureInvalid):
        await resolve(forged, keyring, settings)
    with pytest.raises(SignatureInvalid):
        await resolve(credentials.qr_text(forged), keyring, settings)


async def test_alg_none_is_refused(card, keyring, settings):
    jws = credentials.from_numeric((await v1_for(card, keyring, settings))[5:])
    _, payload, _ = jws.split(".")
    kid = (await keyring.signing_key()).kid
    unsigned = f"{b64(json.dumps({'alg': 'none', 'kid': kid}).encode())}.{payload}."
    with pytest.raises(SignatureInvalid):
        await resolve(unsigned, keyring, settings)


async def test_hs256_signed_with_the_public_key_is_refused(card, keyring, settings):
    """Algorithm confusion: an attacker uses the published public key as an HMAC secret."""
    signer = await keyring.signing_key()
    kid, private = signer.kid, signer.private_key
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
    signer = await keyring.signing_key()
    kid, private = signer.kid, signer.private_key
    claims = {"iss": settings.issuer, "sub": credentials.card_sub(card), "cv": 1, "iat": int(time.time())}
    token = jwt.encode(
        claims, private, algorithm="ES256", headers={"kid": kid, "jku": "https://evil.example/jwks.json", "typ": None}
    )
    with pytest.raises(SignatureInvalid):
        await resolve(token, keyring, settings)


async def test_extra_claims_or_another_issuer_are_refused(card, keyring, settings):
    signer = await keyring.signing_key()
    kid, private = signer.kid, signer.private_key
    base = {"iss": settings.issuer, "sub": credentials.card_sub(card), "cv": 1, "iat": int(time.time())}
    for claims in ({**base, "name": "Budi"}, {**base, "iss": "https://elsewhere.example"}, {**base, "cv": 0}):
        token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": kid, "typ": None})
        with pytest.raises(SignatureInvalid):
            await resolve(token, keyring, settings)


@pytest.mark.parametrize("text", ["", "hello", "kia:/123", "kia:/12ab", "a.b.c", "https://example.com/x.y.z"])
async def test_garbage_is_unreadable(keyring, settings, text):
    with pytest.raises(QrUnreadable):
        await resolve(text, keyring, settings)


@pytest.mark.parametrize("printed", [qr_for, v1_for], ids=["version 2", "version 1"])
async def test_card_states(card, keyring, settings, printed):
    stores = Stores(settings.redis_url)
    old = await printed(card, keyring, settings)
    await resolve(old, keyring, settings)  # warms the status cache

    await cards.reissue(card, RevocationReason.LOST, _actor(), stores)
    with pytest.raises(CardSuperseded):
        await resolve(old, keyring, settings)
    new = await printed(card, keyring, settings, **({"cv": 2} if printed is v1_for else {}))
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

    never_enrolled = await credentials.sign_jws(keyring, settings, uuid.uuid4(), 1, utc_now())
    with pytest.raises(CardUnknown):
        await resolve(never_enrolled, keyring, settings)


async def _sign_anyway(card_id, keyring, settings) -> str:
    return await cards.print_version(card_id, 1, keyring)


def _actor():
    from core.auth import CurrentUser
    from core.tables import Role

    return CurrentUser(
        id=uuid.uuid4(), username="dukcapil", role=Role.DUKCAPIL_ADMIN, display_name="Dukcapil", region="17.71"
    )


async def test_jwks_alone_verifies_a_credential_with_an_independent_jose_library(client, card, keyring, settings):
    """A third-party verifier needs only /.well-known/jwks.json and any JOSE library: no Mitra KIA code."""
    from jwcrypto import jwk, jws

    text = await v1_for(card, keyring, settings)
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
    first = (await keyring.signing_key()).kid
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


# --- version 2 ----------------------------------------------------------------------------------------------------


def _parts(text: str) -> list:
    import base45
    import cbor2

    return list(cbor2.loads(base45.b45decode(text)))


def _text(parts: list) -> str:
    import base45
    import cbor2

    return base45.b45encode(cbor2.dumps(parts)).decode()


async def test_version_2_is_a_cose_sign1_of_the_print_slot_alone_in_qr_version_7_at_q(card, keyring, settings):
    import base45
    import cbor2
    from qrcode.constants import ERROR_CORRECT_Q

    from verification.tables import Credential

    text = await qr_for(card, keyring, settings)
    message = base45.b45decode(text)
    protected, unprotected, payload, signature = cbor2.loads(message)
    slot = (await Credential.select(Credential.status_slot).where(Credential.card == card).first())["status_slot"]
    number = (await keyring.signing_key()).number

    assert (len(message), len(text)) == (83, 125)
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode
    assert protected == bytes.fromhex("a10126")  # {alg: ES256}
    assert dict(unprotected) == {4: bytes([number])}  # kid
    assert dict(cbor2.loads(payload)) == {7: slot.to_bytes(4, "big")}  # cti: the print's status slot, nothing else
    assert len(signature) == 64
    # Nothing a merchant could read about the child or the card: not its id, not when it was printed.
    assert card.bytes not in message
    assert str(int(time.time()))[:6].encode() not in message
    # Fitted by the qrcode package itself, at error correction Q.
    code = credentials._qr(text)
    assert (code.version, code.error_correction) == (7, ERROR_CORRECT_Q)
    assert credentials.qr_version(await v1_for(card, keyring, settings)) == 13  # what version 1 needed


async def test_version_2_signatures_are_low_s_and_a_mirrored_one_is_refused(card, keyring, settings):
    from verification.service import cwt

    texts = [await qr_for(card, keyring, settings) for _ in range(16)]
    assert len(set(texts)) == 16  # every print is freshly signed
    slots = set()
    for text in texts:
        parts = _parts(text)
        r, s = int.from_bytes(parts[3][:32], "big"), int.from_bytes(parts[3][32:], "big")
        assert s <= cwt.HALF_ORDER
        assert (await resolve(text, keyring, settings)).card_id == card
        slots.add(int.from_bytes(dict(__import__("cbor2").loads(parts[2]))[7], "big"))
        mirrored = [*parts[:3], r.to_bytes(32, "big") + (cwt.P256_ORDER - s).to_bytes(32, "big")]
        with pytest.raises(SignatureInvalid):  # a valid ECDSA signature, but not the canonical one
            await resolve(_text(mirrored), keyring, settings)
    assert len(slots) == 1  # reprints of one version keep its slot


async def test_version_2_tampering_is_refused(card, keyring, settings):
    import cbor2

    other = await enroll_card(settings)
    mine, theirs = _parts(await qr_for(card, keyring, settings)), _parts(await qr_for(other, keyring, settings))
    number = (await keyring.signing_key()).number
    cases = {
        "another print's slot under my signature": [mine[0], mine[1], theirs[2], mine[3]],
        "another algorithm": [cbor2.dumps({1: -35}), mine[1], mine[2], mine[3]],
        "an embedded key": [mine[0], {4: bytes([number]), -1: b"\x04" * 65}, mine[2], mine[3]],
        "a claim added": [mine[0], mine[1], cbor2.dumps({**cbor2.loads(mine[2]), 2: "anak"}), mine[3]],
        "a signature cut short": [mine[0], mine[1], mine[2], mine[3][:-1]],
    }
    refused = {}
    for name, parts in cases.items():
        try:
            await resolve(_text(parts), keyring, settings)
        except (SignatureInvalid, QrUnreadable) as error:
            refused[name] = error.code
    assert refused == dict.fromkeys(cases, "signature_invalid")
    with pytest.raises(UnknownKey):
        await resolve(_text([mine[0], {4: bytes([number + 7])}, mine[2], mine[3]]), keyring, settings)
    tagged = _text(cbor2.CBORTag(18, mine))  # the same message, tagged: not what is printed
    with pytest.raises(QrUnreadable):
        await resolve(tagged, keyring, settings)


async def test_a_reissue_prints_a_new_slot_and_the_old_one_is_superseded(card, keyring, settings):
    first = _parts(await qr_for(card, keyring, settings))[2]
    await cards.reissue(card, RevocationReason.DAMAGED, _actor(), Stores(settings.redis_url))
    second = _parts(await qr_for(card, keyring, settings))[2]
    assert first != second
    with pytest.raises(CardSuperseded):
        await resolve(_text([*_parts(await cards.print_version(card, 1, keyring))]), keyring, settings)


async def test_the_published_cose_keys_alone_verify_version_2_with_an_independent_cose_library(
    client, card, keyring, settings
):
    """A third-party verifier needs only /.well-known/cose-keys, base45 and any COSE library (here python-cwt)."""
    import base45
    import cbor2
    from cwt import COSE, COSEKey

    text = await qr_for(card, keyring, settings)
    await keys.rotate(settings, None)  # two keys published: the kid picks the one that signed
    response = await client.get("/.well-known/cose-keys")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/cose-key-set")
    published = {bytes(key[2]): dict(key) for key in cbor2.loads(response.content)}
    assert len(published) == 2

    message = b"\xd2" + base45.b45decode(text)  # printed untagged: the tag (18, COSE_Sign1) is implied
    kid = bytes(dict(cbor2.loads(message).value[1])[4])
    verifier = COSE.new()
    payload = verifier.decode(message, COSEKey.new(published[kid]))
    assert set(cbor2.loads(payload)) == {7}

    other = next(key for k, key in published.items() if k != kid)
    with pytest.raises(Exception, match=r"(?i)verif|signature"):
        verifier.decode(message, COSEKey.new({**other, 2: kid}))  # the other key, under this kid: refused
    tampered = bytearray(message)
    tampered[16] ^= 0x01  # a bit of the slot
    with pytest.raises(Exception, match=r"(?i)verif|signature"):
        verifier.decode(bytes(tampered), COSEKey.new(published[kid]))


# --- a rotating code on a parent's phone -----------------------------------------------------------------------------


async def test_a_parent_s_rotating_code_is_redeemable_new_each_time_and_short_lived(till):
    import base45
    import cbor2

    from verification.service import cwt

    client, keyring, settings = till.client, till.keyring, till.settings
    offer = await till.offer()
    card = await enroll_card(settings, age_years=8)
    printed = await qr_for(card, keyring, settings)
    shown = []
    for _ in range(3):
        answer = await client.post("/api/v1/cards/presentations", json={"qr": printed})
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert answer.json()["svg"].startswith("<")
        shown.append(answer.json()["qr"])
    assert len(set(shown)) == 3
    # Nothing in common between two codes but the header and the expiry, which is on a whole minute (the same for
    # every code made in that minute): not the slot, not the handle.
    first, second = (dict(cbor2.loads(cbor2.loads(base45.b45decode(text))[2])) for text in shown[:2])
    assert first[7] != second[7]
    assert first[4] % 60 == 0
    slot_bytes = dict(cbor2.loads(_parts(printed)[2]))[7]
    assert all(slot_bytes not in base45.b45decode(text) for text in shown)
    for text in shown:  # the till reads each as the card
        scanned = (await till.scan(text)).json()
        assert (scanned["card"]["status"], scanned["card"]["age_years"]) == ("active", 8)
    assert (await till.redeem(shown[2], offer["id"])).status_code == 201

    # A code past its minutes is refused, and neither a code nor a manual code makes another code.
    stale = cwt.sign_presentation(await keyring.signing_key(), b"\x01" * 8, int(time.time()) - 1)
    assert (await till.scan(stale)).json()["card"]["reason_code"] == "presentation_expired"
    _, code = await cards.current_credential(card)
    for not_a_sticker in (shown[0], code):
        refused = await client.post("/api/v1/cards/presentations", json={"qr": not_a_sticker})
        assert refused.status_code == 422
        assert refused.json()["code"] == "qr_unreadable"


async def test_a_revoked_card_gets_no_rotating_code(client, card, keyring, settings):
    printed = await qr_for(card, keyring, settings)
    await cards.revoke(card, RevocationReason.LOST, _actor(), Stores(settings.redis_url))
    refused = await client.post("/api/v1/cards/presentations", json={"qr": printed})
    assert refused.status_code == 409
    assert refused.json()["code"] == "card_revoked"


async def test_a_version_1_sticker_still_scans_and_redeems(till):
    offer = await till.offer()
    card = await enroll_card(till.settings, age_years=9)
    sticker = await v1_for(card, till.keyring, till.settings)
    assert sticker.startswith("kia:/")
    scanned = (await till.scan(sticker)).json()
    assert (scanned["card"]["status"], scanned["card"]["age_years"]) == ("active", 9)
    redeemed = await till.redeem(sticker, offer["id"])
    assert redeemed.status_code == 201
    # The same child's new version 2 print counts against the same limits: it is the same card.
    again = await till.redeem(await qr_for(card, till.keyring, till.settings), offer["id"])
    assert again.json()["code"] == "holder_limit_reached"
