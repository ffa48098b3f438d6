"""Redis is a cache, never the truth: with it unreachable, limits hold, answers stay right, /ready says so."""

from __future__ import annotations

import asyncio
import socket
import uuid

from tests.conftest import login
from tests.helpers import PASSWORD
from verification.tables import Redemption


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_limits_and_answers_hold_without_redis(till, make_client, settings):
    offer = await till.offer(limits=[{"period": "day", "count": 1}], quota=3)
    qr = await till.card()
    other_cards = [await till.card() for _ in range(4)]
    # The same service, its Redis gone (as if stopped mid-shift).
    client = await make_client(settings.replace(redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
    till.client = client
    till.world.cashier = await login(client, "pelangi.kasir", PASSWORD)

    scanned = await till.scan(qr)
    assert scanned.status_code == 200
    assert scanned.json()["offers"][0]["eligible"] is True

    racing = await asyncio.gather(*[till.redeem(qr, offer["id"], key=str(uuid.uuid4())) for _ in range(20)])
    assert sorted(r.status_code for r in racing).count(201) == 1
    assert {r.json()["code"] for r in racing if r.status_code != 201} <= {"holder_limit_reached"}

    others = await asyncio.gather(*[till.redeem(card, offer["id"]) for card in other_cards])
    assert sorted(r.status_code for r in others).count(201) == 2  # quota 3, one used above
    assert await Redemption.count() == 3

    key = str(uuid.uuid4())
    first = await till.redeem(other_cards[0], offer["id"], key=key)
    assert (await till.redeem(other_cards[0], offer["id"], key=key)).json() == first.json()

    strict = await client.get("/ready")
    assert strict.status_code == 503
    assert strict.json()["checks"]["redis"] == "unavailable"
    lenient = await client.get("/ready", params={"degraded_ok": "true"})
    assert lenient.status_code == 200
    assert lenient.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "unavailable"}}
