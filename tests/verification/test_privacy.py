"""A partner never learns a child's card id, NIK or birth date: not from a response, a log line or a CSV."""

from __future__ import annotations

from datetime import timedelta

from core.settings import Settings
from tests.helpers import today
from verification.service import cards, credentials
from verification.tables import Card


async def test_no_card_id_nik_or_birth_date_leaves_the_service(capsys, till, settings: Settings):
    from admin.synthetic import NikMaker
    from core.stores import Stores
    from verification.tables import Channel, Sex

    offer = await till.offer()
    born = today() - timedelta(days=365 * 9 + 17)
    nik = NikMaker().make("17.71.03.1002", born, "P")
    counts = await cards.enroll(
        [
            cards.Enrolment(
                nik_hash=cards.nik_hash(settings, nik), birth_date=born, sex=Sex.FEMALE,
                kelurahan_code="17.71.03.1002", kia_printed_on=born + timedelta(days=40), enrolled_on=today(),
                channel=Channel.SCHOOL, consent_guardian="ibu", consent_version="v1.0",
                consent_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            )
        ],
        None,
        Stores(None),
    )  # fmt: skip
    card_id = counts.created_ids[0]
    qr = await till.qr(card_id)
    capsys.readouterr()

    responses = [
        await till.scan(qr),
        await till.redeem(qr, offer["id"]),
        await till.redeem(qr, offer["id"]),  # refused: limit
        await till.client.get("/api/v1/verification/redemptions", headers=till.world.manager),
        await till.client.get("/api/v1/verification/redemptions", params={"format": "csv"},
                              headers=till.world.manager),
        await till.client.get("/api/v1/verification/redemptions", headers=till.world.cashier),
    ]  # fmt: skip
    receipt = responses[1].json()
    responses.append(
        await till.client.post(
            f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void", headers=till.world.cashier
        )
    )
    logs = capsys.readouterr().out

    secrets = {
        "card id": str(card_id),
        "card id (hex)": card_id.hex,
        "card id (sub)": credentials.card_sub(card_id),
        "NIK": nik,
        "NIK hash": cards.nik_hash(settings, nik),
        "birth date": born.isoformat(),
        "birth date (Indonesian)": f"{born.day:02d}-{born.month:02d}-{born.year}",
    }
    for response in responses:
        assert response.status_code < 500
        for name, value in secrets.items():
            assert value not in response.text, f"{name} in {response.request.url}"
    for name, value in secrets.items():
        assert value not in logs, f"{name} in the logs"
    assert await Card.count() == 1  # the card exists; it just never leaves
