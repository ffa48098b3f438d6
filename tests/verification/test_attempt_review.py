"""Disputes and fraud review (issue 16): every attempt is a row, and partner managers (their outlets) and Dukcapil
(their reach) read them per outlet and cashier, with the attempts behind each figure and never a child."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.auth import CurrentUser
from core.stores import Stores
from tests.conftest import login
from tests.helpers import approved_partner, today
from tests.till import Till
from verification.errors import VoidWindowClosed
from verification.service import void
from verification.service.abuse import MANUAL_CODES_PER_WINDOW

WIB = ZoneInfo("Asia/Jakarta")


async def _refused_void_and_throttle(till: Till) -> None:
    offer = await till.offer()
    receipt = (await till.redeem(await till.card(), offer["id"], **{"X-Device-Id": "hp-01"})).json()
    me = (await till.client.get("/api/v1/auth/me", headers=till.world.cashier)).json()
    cashier = CurrentUser(id=uuid.UUID(me["id"]), username=me["username"], role="cashier", display_name="Kasir")
    tomorrow = datetime.combine(today() + timedelta(days=1), datetime.min.time(), tzinfo=WIB) + timedelta(minutes=1)
    with pytest.raises(VoidWindowClosed):
        await void.void(uuid.UUID(receipt["redemption_id"]), None, cashier, Stores(None), now=tomorrow)
    answers = [
        (await till.scan(f"{index:04d}-{index:04d}-{index:04d}")).status_code
        for index in range(MANUAL_CODES_PER_WINDOW + 3)
    ]
    assert answers[-1] == 429


async def test_a_refused_void_and_a_manual_code_throttle_are_attempts_the_manager_can_read(till):
    await _refused_void_and_throttle(till)
    url = till.world.url("/reports/attempts/")

    voids = await till.client.get(url, params={"kind": "void"}, headers=till.world.manager)
    throttles = await till.client.get(url, params={"kind": "throttle"}, headers=till.world.manager)

    assert voids.status_code == 200, voids.text
    (refused,) = voids.json()
    assert (refused["outcome"], refused["reason_code"]) == ("refused", "void_window_closed")
    assert refused["receipt_code"].startswith("R")
    assert refused["cashier"] == "Kasir (pelangi.kasir)"
    assert refused["occurred_at"].endswith("WIB")
    (throttle,) = throttles.json()  # one row per throttle episode, not one per refused guess
    assert (throttle["outcome"], throttle["reason_code"]) == ("throttled", "manual_code_rate_limited")
    assert all("card" not in key and "holder" not in key for row in voids.json() + throttles.json() for key in row)

    summary = (await till.client.get(till.world.url("/reports/attempts/summary"), headers=till.world.manager)).json()
    (cell,) = [row for row in summary["rows"] if row["cashier"] == "Kasir (pelangi.kasir)"]
    assert (cell["redemptions"], cell["refused_voids"], cell["throttles"]) == (1, 1, 1)
    # The typed codes among everything presented (the typed scans and the one scanned QR redeemed).
    assert cell["manual_code_share_percent"] == round(100 * MANUAL_CODES_PER_WINDOW / (MANUAL_CODES_PER_WINDOW + 1))
    assert sum(cell["refusals"].values()) == MANUAL_CODES_PER_WINDOW, cell  # each typed guess, refused


async def test_dukcapil_reads_the_attempts_in_its_reach_and_another_partner_reads_nothing(till, client):
    await _refused_void_and_throttle(till)

    dukcapil = await client.get("/api/v1/admin/attempts/", params={"kind": "void"}, headers=till.world.dukcapil)
    assert [row["reason_code"] for row in dukcapil.json()] == ["void_window_closed"]

    other = await approved_partner(client, till.world.dukcapil, name="Kolam Renang Contoh", slug="kolam")
    theirs = await client.get(till.world.url("/reports/attempts/"), headers=other.manager)
    assert theirs.status_code == 404
    own = await client.get(other.url("/reports/attempts/"), headers=other.manager)
    assert own.json() == []


async def test_a_cashier_voiding_far_more_than_the_outlets_others_is_highlighted(till, client):
    offer = await till.offer(limits=[])
    second = await client.post(
        till.world.url("/staff"),
        json={"username": "pelangi.kasir2", "password": "rahasia-kasir-2026", "display_name": "Kasir Dua",
              "role": "cashier", "outlet_id": till.world.outlet_id},
        headers=till.world.manager,
    )  # fmt: skip
    assert second.status_code == 201, second.text
    for _ in range(5):
        receipt = (await till.redeem(await till.card(), offer["id"])).json()
        await client.post(
            f"/api/v1/verification/redemptions/{receipt['redemption_id']}/void", headers=till.world.cashier
        )
    colleague = await login(client, "pelangi.kasir2", "rahasia-kasir-2026")
    for _ in range(3):  # the same outlet's other cashier: redemptions, no voids
        assert (await till.redeem(await till.card(), offer["id"], **colleague)).status_code == 201

    rows = (await client.get(till.world.url("/reports/attempts/summary"), headers=till.world.manager)).json()["rows"]

    flagged = {row["cashier"]: row["outlier"] for row in rows}
    assert flagged == {"Kasir (pelangi.kasir)": True, "Kasir Dua (pelangi.kasir2)": False}


async def test_the_review_pages_show_the_figures_and_the_attempts_behind_them(till, make_client):
    from tests.core.test_pages import page_client, sign_in

    await _refused_void_and_throttle(till)
    manager = await page_client(make_client)
    await sign_in(manager, "pelangi.manajer")
    page = await manager.get("/mitra/tinjauan")
    assert page.status_code == 200, page.text
    assert "Kasir (pelangi.kasir)" in page.text
    drill = await manager.get("/mitra/tinjauan/percobaan", params={"outlet": till.world.outlet_id})
    assert "Batas waktu pembatalan sudah lewat" in drill.text  # the refused void, by its reason
    office = await page_client(make_client)
    await sign_in(office, "dukcapil")
    seen = await office.get("/admin/tinjauan")
    assert "Pelangi Pasar Baru" in seen.text
