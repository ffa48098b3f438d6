"""The till's hot path keeps what almost never changes in each worker's memory, writes its attempt log in batches and
moves the reports' rollups off the redemption's transaction. None of it may change what a user sees beyond a second:
a change made anywhere reaches every worker within the check interval, buffered attempts survive a clean shutdown,
and a redemption reaches the rollups without anyone asking for a report."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from app import create_app
from core.database.engine import engine
from core.localtime import utc_now
from core.service import stamped
from core.tables import CacheStamp
from partners.tables import ApiKey, Offer
from verification.service.keys import KeyRing
from verification.tables import Attempt, RedemptionDaily, SigningKey

SCAN = "/api/v1/verification/scan"


async def stamp() -> int:
    row = await CacheStamp.select(CacheStamp.version).where(CacheStamp.name == stamped.STAMP).first()
    return row["version"] if row else 0


async def worker(make_client, settings) -> httpx.AsyncClient:
    """Another worker of the same deployment, checking the stamp once a second as in production."""
    return await make_client(settings.replace(till_cache_check_seconds=1.0))


def verdicts(response: httpx.Response) -> dict[str, str | None]:
    assert response.status_code == 200, response.text
    return {offer["offer_id"]: offer["reason_code"] for offer in response.json()["offers"]}


async def test_an_offer_paused_elsewhere_is_refused_within_a_second(till, make_client, settings):
    offer = await till.offer()
    qr = await till.card()
    other = await worker(make_client, settings)
    assert verdicts(await other.post(SCAN, json={"qr": qr}, headers=till.world.cashier)) == {offer["id"]: None}
    # Another node (or SQL typed by hand) pauses it: not through this worker.
    await Offer.update({Offer.status: "paused"}).where(Offer.id == uuid.UUID(offer["id"]))
    await asyncio.sleep(1.2)
    after = await other.post(SCAN, json={"qr": qr}, headers=till.world.cashier)
    assert verdicts(after) == {offer["id"]: "offer_paused"}


async def test_an_api_key_revoked_elsewhere_stops_working_within_a_second(till, make_client, settings):
    await till.offer()
    qr = await till.card()
    created = await till.client.post(
        till.world.url("/api-keys"), json={"name": "POS", "outlet_id": till.world.outlet_id, "scopes": ["scan"]},
        headers=till.world.manager,
    )  # fmt: skip
    key = {"X-API-Key": created.json()["key"]}
    other = await worker(make_client, settings)
    assert (await other.post(SCAN, json={"qr": qr}, headers=key)).status_code == 200
    await ApiKey.update({ApiKey.revoked_at: utc_now()}).where(ApiKey.id == uuid.UUID(created.json()["id"]))
    await asyncio.sleep(1.2)
    assert (await other.post(SCAN, json={"qr": qr}, headers=key)).status_code == 401


async def test_a_signing_key_revoked_elsewhere_refuses_its_cards_within_a_second(till, make_client, settings):
    await till.offer()
    qr = await till.card()
    other = await worker(make_client, settings)
    assert (await other.post(SCAN, json={"qr": qr}, headers=till.world.cashier)).json()["card"]["status"] == "active"
    await SigningKey.update({SigningKey.status: "revoked"}, force=True)
    await asyncio.sleep(1.2)
    refused = (await other.post(SCAN, json={"qr": qr}, headers=till.world.cashier)).json()["card"]
    assert refused["reason_code"] == "key_revoked"


async def test_every_table_the_till_keeps_in_memory_moves_the_stamp(till):
    """The triggers (verification migration 2026-12-06T22:30) cover each table whose rows a worker keeps: a change
    to any of them, whoever makes it, moves the stamp. An API key's last use does not (it changes every minute)."""
    await till.offer()
    await till.client.post(
        till.world.url("/api-keys"), json={"name": "POS", "outlet_id": till.world.outlet_id, "scopes": ["scan"]},
        headers=till.world.manager,
    )  # fmt: skip
    db = engine()
    for table, column in (("partner", "name"), ("partner_office", "status"), ("outlet", "name"),
                          ("partner_member", "outlet"), ("offer", "revision"), ("signing_key", "status"),
                          ("partner_api_key", "revoked_at")):  # fmt: skip
        before = await stamp()
        await db.run_ddl(f"UPDATE {table} SET {column} = {column}")
        assert await stamp() > before, table
    before = await stamp()
    await db.run_ddl("UPDATE partner_api_key SET last_used_at = created_at")
    assert await stamp() == before


async def test_buffered_attempts_are_written_on_a_clean_shutdown(till, settings):
    await till.offer()
    qr = await till.card()
    app = create_app(settings.replace(till_cache_check_seconds=1.0))
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for _ in range(5):
                assert (await client.post(SCAN, json={"qr": qr}, headers=till.world.cashier)).status_code == 200
    assert await Attempt.count().where(Attempt.kind == "scan") == 5


async def test_a_redemption_reaches_the_rollups_within_seconds_without_a_report_read(till):
    offer = await till.offer()
    qr = await till.card()
    assert (await till.redeem(qr, offer["id"])).status_code == 201
    for _ in range(30):  # the worker's background drain, about once a second
        cells = await RedemptionDaily.select(RedemptionDaily.redemptions)
        if cells:
            break
        await asyncio.sleep(0.1)
    assert [cell["redemptions"] for cell in cells] == [1]


async def test_a_worker_keyring_follows_a_rotation_made_elsewhere(till, settings):
    """A card printed after another node rotated the signing key verifies here within a second."""
    from verification.service import keys

    ring = KeyRing(settings)
    await ring.signing_key()  # loaded, under the stamp as it is
    stamped.configure(1.0)
    try:
        new_kid = await keys.rotate(settings, None)
        await asyncio.sleep(1.2)
        assert (await ring.signing_key()).kid == new_kid
    finally:
        stamped.configure(0)
