"""Every reason a redemption is refused: its stable code, its message in Indonesian and English, and nothing
written (no redemption, no change to the offer's usage)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import base45
import pytest

from core.auth import CurrentUser
from core.stores import Stores
from core.tables import Role
from tests.helpers import outlet_body, today
from verification.service import cards, credentials, cwt, keys
from verification.tables import OfferUsage, Redemption, RevocationReason

DUKCAPIL = CurrentUser(
    id=__import__("uuid").uuid4(), username="dukcapil", role=Role.DUKCAPIL_ADMIN, display_name="D", region="17.71"
)


def hours_excluding_now() -> dict[str, str]:
    """Opening hours that leave out the current hour in WIB, computed when the test runs (a suite started before the
    hour turned would otherwise open the offer right now)."""
    hour = datetime.now(ZoneInfo("Asia/Jakarta")).hour
    start = hour + 2 if hour < 21 else 1  # an hour's margin: the test may run across the turn of the hour
    return {"start": f"{start:02d}:00", "end": f"{start + 1:02d}:00"}


async def revoked(till):
    card_id = await _card_id(till)
    text = await till.qr(card_id)
    await cards.revoke(card_id, RevocationReason.DECEASED, DUKCAPIL, Stores(till.settings.redis_url))
    return text


async def superseded(till):
    card_id = await _card_id(till)
    text = await till.qr(card_id)
    await cards.reissue(card_id, RevocationReason.LOST, DUKCAPIL, Stores(till.settings.redis_url))
    return text


async def expired(till):
    from tests.verification.cards_helpers import enroll_card
    from verification.service.cards import birthday

    card_id = await enroll_card(till.settings, born=birthday(today(), -17))
    return await cards.print_version(card_id, 1, till.keyring)


async def unknown(till):
    """Signed by our key, for a print this database never made."""
    return cwt.sign(await till.keyring.signing_key(), 4_000_000_000)


async def unknown_v1(till):
    import uuid

    return credentials.qr_text(
        await credentials.sign_jws(till.keyring, till.settings, uuid.uuid4(), 1, datetime.now(ZoneInfo("UTC")))
    )


async def forged(till):
    message = bytearray(base45.b45decode(await till.card()))
    message[-1] ^= 0x01  # the signature's last byte
    return base45.b45encode(bytes(message)).decode()


async def unknown_key(till):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    card_id = await _card_id(till)
    claims = {"iss": till.settings.issuer, "sub": credentials.card_sub(card_id), "cv": 1, "iat": 1_700_000_000}
    return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                      headers={"kid": "someone-elses-k", "typ": None})  # fmt: skip


async def _card_id(till):
    from tests.verification.cards_helpers import enroll_card

    return await enroll_card(till.settings)


# code, HTTP status, offer overrides, how to make the card text (None: an ordinary 8-year-old), purchase amount
CASES = [
    ("card_revoked", 409, {}, revoked, 100_000),
    ("card_expired", 409, {}, expired, 100_000),
    ("card_superseded", 409, {}, superseded, 100_000),
    ("card_unknown", 409, {}, unknown, 100_000),
    ("card_unknown", 409, {}, unknown_v1, 100_000),
    ("signature_invalid", 422, {}, forged, 100_000),
    ("unknown_key", 422, {}, unknown_key, 100_000),
    ("age_below_minimum", 409, {"age_min": 10}, None, 100_000),
    ("age_above_maximum", 409, {"age_max": 5}, None, 100_000),
    ("region_not_eligible", 409, {"regions": ["17.71.09"]}, None, 100_000),
    # Dates are worked out when the test runs, not when it is collected: a run that crosses midnight in WIB would
    # otherwise judge today's redemption by yesterday's weekday and blackout.
    ("outside_dates", 409, {"valid_from": lambda: (today() + timedelta(days=3)).isoformat()}, None, 100_000),
    ("outside_hours", 409, {"hours": hours_excluding_now}, None, 100_000),
    ("weekday_not_eligible", 409, {"weekdays": lambda: [d for d in range(1, 8) if d != today().isoweekday()]}, None, 1),
    (
        "blackout_date",
        409,
        {
            "blackout_dates": lambda: [
                {"from": today().isoformat(), "until": today().isoformat(), "label": "Libur sekolah"}
            ]
        },
        None,
        1,
    ),
    ("minimum_purchase_not_met", 422, {"min_purchase": 150_000}, None, 149_999),
]
MESSAGES = {
    "age_below_minimum": ("Khusus anak usia 10–16 tahun.", "For children aged 10–16 only."),
    "age_above_maximum": ("Khusus anak usia 0–5 tahun.", "For children aged 0–5 only."),
    "blackout_date": ("Tidak berlaku hari ini (Libur sekolah).", "Not valid today (Libur sekolah)."),
    "minimum_purchase_not_met": ("Minimal belanja Rp150.000.", "The minimum purchase is Rp150.000."),
    "card_revoked": (
        "Kartu ini sudah dicabut oleh Dukcapil dan tidak dapat dipakai.",
        "Dukcapil has revoked this card; it cannot be used.",
    ),
}


async def assert_refused(till, qr, offer_id, code, status, purchase):
    usage_before = await OfferUsage.select()
    indonesian = await till.redeem(qr, offer_id, purchase=purchase)
    english = await till.redeem(qr, offer_id, purchase=purchase, **{"Accept-Language": "en"})
    assert indonesian.status_code == status, indonesian.text
    assert english.status_code == status
    assert indonesian.json()["code"] == english.json()["code"] == code
    assert indonesian.json()["detail"]
    assert english.json()["detail"]
    assert indonesian.json()["detail"] != english.json()["detail"]
    if code in MESSAGES:
        assert (indonesian.json()["detail"], english.json()["detail"]) == MESSAGES[code]
    assert await Redemption.count() == 0
    assert await OfferUsage.select() == usage_before
    return indonesian.json(), english.json()


@pytest.mark.parametrize(("code", "status", "overrides", "make_card", "purchase"), CASES, ids=[c[0] for c in CASES])
async def test_reason_code(till, code, status, overrides, make_card, purchase):
    for region in overrides.get("regions", []):  # published only where a kecamatan holds enough children
        figure = {"region_code": region, "as_of": today().isoformat(), "children": 12_000}
        await till.client.post("/api/v1/admin/population", json=[figure], headers=till.world.dukcapil)
    offer = await till.offer(**{name: value() if callable(value) else value for name, value in overrides.items()})
    qr = await make_card(till) if make_card else await till.card(age_years=8)
    await assert_refused(till, qr, offer["id"], code, status, purchase)
    if status != 422 or code == "minimum_purchase_not_met":
        scanned = await till.scan(qr)
        if scanned.status_code == 200 and code != "minimum_purchase_not_met":
            reasons = {o["reason_code"] for o in scanned.json()["offers"]}
            assert reasons == {code}


async def test_outlet_not_eligible(till, client):
    other = await client.post(
        till.world.url("/outlets"), json=outlet_body("Cabang Lain", "17.71.09.1001"), headers=till.world.manager
    )
    offer = await till.offer(outlet_ids=[other.json()["id"]])
    await assert_refused(till, await till.card(), offer["id"], "outlet_not_eligible", 409, 100_000)


async def test_holder_limit_reached(till):
    offer = await till.offer(limits=[{"period": "week", "count": 1}])
    qr = await till.card()
    assert (await till.redeem(qr, offer["id"])).status_code == 201
    before = await Redemption.count()
    response = await till.redeem(qr, offer["id"])
    english = await till.redeem(qr, offer["id"], **{"Accept-Language": "en"})
    assert response.json()["code"] == "holder_limit_reached"
    assert response.json()["detail"] == "Sudah dipakai minggu ini — bisa lagi hari Senin"
    assert english.json()["detail"] == "Already used this week — available again on Monday"
    assert response.json()["period"] == "week"
    next_at = datetime.fromisoformat(response.json()["next_eligible_at"])
    assert next_at.weekday() == 0
    assert next_at.date() > today()
    assert await Redemption.count() == before


async def test_offer_quota_exhausted_pauses_the_offer(till, client):
    offer = await till.offer(quota=1, limits=[])
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
    response = await till.redeem(await till.card(), offer["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "offer_quota_exhausted"
    assert (await client.get("/api/v1/catalog/offers")).json() == []  # auto-paused, out of the catalog
    assert await Redemption.count() == 1


async def test_offer_budget_exhausted(till):
    offer = await till.offer(budget=15_000, benefit={"type": "fixed_amount", "amount": 10_000}, limits=[])
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
    response = await till.redeem(await till.card(), offer["id"])
    assert response.json()["code"] == "offer_budget_exhausted"
    english = await till.redeem(await till.card(), offer["id"], **{"Accept-Language": "en"})
    assert english.json()["detail"] == "This offer's budget is used up."
    assert await Redemption.count() == 1


async def test_offer_paused(till, client):
    offer = await till.offer()
    await client.post(till.world.url(f"/offers/{offer['id']}/pause"), headers=till.world.manager)
    await assert_refused(till, await till.card(), offer["id"], "offer_paused", 409, 100_000)


async def test_unreadable_text(till):
    offer = await till.offer()
    await assert_refused(till, "bukan kode", offer["id"], "qr_unreadable", 422, 1)


async def test_revoked_key(till, settings):
    offer = await till.offer()
    qr = await till.card()
    old_kid = (await till.keyring.signing_key()).kid
    await keys.rotate(settings, None)
    await keys.revoke_key(old_kid, None)
    await assert_refused(till, qr, offer["id"], "key_revoked", 422, 1)
