"""The status snapshot an offline till keeps: each office's prints in W3C Bitstring Status Lists, signed, with a ttl;
checked here only with what a third party has (the published JWK Set, jwcrypto, gzip)."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta

from tests.helpers import today
from tests.verification.cards_helpers import enroll_card
from verification.service import cards
from verification.service.status_lists import LIST_SIZE
from verification.tables import Credential

CURUP = "17.02.19.1003"  # a kelurahan of Kabupaten Rejang Lebong: another office


async def _slot(card_id, cv=None):
    query = Credential.select(Credential.status_slot, Credential.cv).where(Credential.card == card_id)
    rows = await query.order_by(Credential.cv)
    return [row["status_slot"] for row in rows if cv is None or row["cv"] == cv][-1]


async def _fetch(till, number):
    """The list as a verifier reads it: signature checked against the JWK Set, the bits unpacked."""
    from jwcrypto import jwk, jwt

    response = await till.client.get(f"/api/v1/verification/status-lists/{number}", headers=till.world.cashier)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vc+jwt")
    key_set = jwk.JWKSet.from_json((await till.client.get("/.well-known/jwks.json")).text)
    token = jwt.JWT(jwt=response.text, key=key_set, algs=["ES256"], expected_type="JWS")
    assert json.loads(token.header)["typ"] == "vc+jwt"
    credential = json.loads(token.claims)
    subject = credential["credentialSubject"]
    assert subject["encodedList"].startswith("u")  # multibase base64url
    encoded = subject["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return credential, bits


def _entry(bits: bytes, slot: int) -> int:
    index = (slot % LIST_SIZE) * 2
    return (bits[index // 8] >> (6 - index % 8)) & 0b11


async def test_a_till_reads_each_print_state_from_its_signed_list(till):
    from tests.conftest import login
    from tests.helpers import PASSWORD

    dukcapil = await login(till.client, "dukcapil", PASSWORD)  # the till fixture's office admin
    kept, lost, ended = [await enroll_card(till.settings) for _ in range(3)]
    for card in (kept, lost, ended):
        await till.qr(card)  # printed: each print gets its slot
    seventeen = await enroll_card(till.settings, born=cards.birthday(today(), -17))
    await cards.print_version(seventeen, 1, till.keyring)

    listed = await till.client.get("/api/v1/verification/status-lists", headers=till.world.cashier)
    assert listed.status_code == 200
    (ref,) = listed.json()["lists"]
    assert ref["number"] == (await _slot(kept)) // LIST_SIZE
    assert listed.json()["ttl_seconds"] == till.settings.status_list_ttl

    credential, bits = await _fetch(till, ref["number"])
    subject = credential["credentialSubject"]
    assert len(bits) * 8 == LIST_SIZE * 2 == 262_144  # 131,072 entries of 2 bits: fetching it reveals no card
    assert (subject["type"], subject["statusPurpose"], subject["statusSize"]) == ("BitstringStatusList", "message", 2)
    assert [m["message"] for m in subject["statusMessage"]] == ["active", "revoked", "superseded", "expired"]
    valid_from, valid_until = (datetime.fromisoformat(credential[k]) for k in ("validFrom", "validUntil"))
    assert valid_until - valid_from == timedelta(milliseconds=subject["ttl"]) == timedelta(hours=6)
    assert [_entry(bits, await _slot(c)) for c in (kept, lost, ended, seventeen)] == [0, 0, 0, 3]

    # Dukcapil's changes are in the very next fetch.
    old = await _slot(lost)
    for card, action, reason in ((lost, "reissue", "lost"), (ended, "revoke", "deceased")):
        changed = await till.client.post(
            f"/api/v1/admin/cards/{card}/{action}", json={"reason": reason}, headers=dukcapil
        )
        assert changed.status_code == 200, changed.text
    await till.qr(lost)
    _, bits = await _fetch(till, ref["number"])
    assert _entry(bits, old) == 2  # superseded
    assert _entry(bits, await _slot(lost, cv=2)) == 0
    assert _entry(bits, await _slot(ended)) == 1  # revoked
    assert _entry(bits, await _slot(kept)) == 0


async def test_slots_are_random_and_another_offices_list_is_not_the_tills(till):
    printed = [await enroll_card(till.settings) for _ in range(40)]
    slots = [await _slot(card) for card in printed if await till.qr(card)]
    assert len(set(slots)) == 40
    assert slots != sorted(slots)  # not in print order: a slot does not date the sticker
    assert len({slot // LIST_SIZE for slot in slots}) == 1

    elsewhere = await enroll_card(till.settings, kelurahan_code=CURUP)
    await cards.print_version(elsewhere, 1, till.keyring)
    number = (await _slot(elsewhere)) // LIST_SIZE
    assert number != slots[0] // LIST_SIZE  # each office has its own lists
    listed = await till.client.get("/api/v1/verification/status-lists", headers=till.world.cashier)
    assert number not in [ref["number"] for ref in listed.json()["lists"]]
    refused = await till.client.get(f"/api/v1/verification/status-lists/{number}", headers=till.world.cashier)
    assert refused.status_code == 404
    assert refused.json()["code"] == "status_list_not_found"
