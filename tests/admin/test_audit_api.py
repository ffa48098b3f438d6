"""The audit log's API: a void, a print, a QR download and a card's details read each leave an event with who did it and
why, read back by the office's admin (filtered, as CSV) and by no one else."""

from __future__ import annotations

import csv
import io

import pypdfium2

from tests.conftest import login
from tests.helpers import PASSWORD
from tests.till import Till
from tests.verification.cards_helpers import enroll_card


async def test_a_void_a_print_and_a_qr_download_are_in_the_audit_api(till: Till, create_staff):
    client = till.client
    dukcapil = await login(client, "dukcapil", PASSWORD)
    offer = await till.offer()
    receipt = (await till.redeem(await till.card(), offer["id"])).json()
    voided = await client.post(
        f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void",
        json={"reason": "salah pilih penawaran"},
        headers=till.world.cashier,
    )
    assert voided.status_code == 200
    card_id = await enroll_card(till.settings)
    assert (await client.get(f"/api/v1/admin/cards/{card_id}/qr.png", headers=dukcapil)).status_code == 200
    assert (await client.get(f"/api/v1/admin/cards/{card_id}", headers=dukcapil)).status_code == 200

    listed = await client.get("/api/v1/admin/audit", headers=dukcapil)
    assert listed.status_code == 200
    events = {event["action"]: event for event in listed.json()["events"]}
    void = events["redemption.voided"]
    assert (void["object_id"], void["actor_role"]) == (receipt["redemption_id"], "cashier")
    assert void["after"]["reason"] == "salah pilih penawaran"
    printed = events["card.printed"]
    assert (printed["object_id"], printed["actor_username"], printed["after"]) == (
        str(card_id),
        "dukcapil",
        {"cards": 1, "via": "api_qr_png"},
    )
    assert (events["card.viewed"]["object_id"], events["card.viewed"]["after"]) == (str(card_id), {"via": "api"})
    assert len(void["hash"]) == 64  # every event is chained

    only_voids = await client.get("/api/v1/admin/audit", params={"action": "redemption.voided"}, headers=dukcapil)
    assert [e["action"] for e in only_voids.json()["events"]] == ["redemption.voided"]
    as_csv = await client.get("/api/v1/admin/audit", params={"format": "csv"}, headers=dukcapil)
    actions = {row["action"] for row in csv.DictReader(io.StringIO(as_csv.text))}
    assert {"redemption.voided", "card.printed"} <= actions
    backwards = await client.get(
        "/api/v1/admin/audit", params={"from": "2026-12-05", "to": "2026-12-01"}, headers=dukcapil
    )
    assert (backwards.status_code, backwards.json()["errors"][0]["code"]) == (422, "date_range_backwards")

    # Another office's admin does not see this office's events; an analyst may not read the log at all.
    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    elsewhere = await client.get("/api/v1/admin/audit", headers=await login(client, "dukcapil.rl", PASSWORD))
    assert "redemption.voided" not in {e["action"] for e in elsewhere.json()["events"]}
    await create_staff("analis", "dukcapil_analyst")
    refused = await client.get("/api/v1/admin/audit", headers=await login(client, "analis", PASSWORD))
    assert refused.status_code == 403


async def test_a_parents_access_request_gives_this_childs_data_only_and_is_audited(till: Till, create_staff):
    client = till.client
    dukcapil = await login(client, "dukcapil", PASSWORD)
    offer = await till.offer(limits=[])
    card_id, other_id = await enroll_card(till.settings), await enroll_card(till.settings)
    first = (await till.redeem(await till.qr(card_id), offer["id"])).json()
    await till.redeem(await till.qr(card_id), offer["id"])
    await till.redeem(await till.qr(other_id), offer["id"])
    await client.post(
        f"/api/v1/verification/redemptions/{first['redemption_id']}/void", json={"reason": "salah"},
        headers=till.world.cashier,
    )  # fmt: skip

    answer = await client.get(f"/api/v1/admin/cards/{card_id}/access-request", headers=dukcapil)
    assert answer.status_code == 200
    body = answer.json()
    assert body["card"]["id"] == str(card_id)
    assert body["card"]["consent_guardian"] == "ibu"
    assert [(r["status"], r["partner"], r["void_reason"]) for r in body["redemptions"]] == [
        ("voided", "Toko Buku Pelangi", "salah"), ("completed", "Toko Buku Pelangi", None)
    ]  # fmt: skip
    other_receipts = {r["receipt_code"] for r in (await client.get(
        f"/api/v1/admin/cards/{other_id}/access-request", headers=dukcapil)).json()["redemptions"]}  # fmt: skip
    assert not other_receipts & {r["receipt_code"] for r in body["redemptions"]}
    assert "NIK" in body["what_is_kept"]
    printed = await client.get(
        f"/api/v1/admin/cards/{card_id}/access-request", params={"format": "pdf"}, headers=dukcapil
    )
    assert printed.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(printed.content)
    text = "".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    assert "Permintaan akses orang tua" in text
    assert text.count("Toko Buku Pelangi") == 2  # this child's two redemptions, not the other child's
    assert "salah" in text  # the void's reason
    events = await client.get("/api/v1/admin/audit", params={"action": "card.access_request"}, headers=dukcapil)
    assert str(card_id) in {e["object_id"] for e in events.json()["events"]}

    await create_staff("dukcapil.rl", "dukcapil_admin", region="17.02")
    elsewhere = await login(client, "dukcapil.rl", PASSWORD)
    assert (await client.get(f"/api/v1/admin/cards/{card_id}/access-request", headers=elsewhere)).status_code == 404
