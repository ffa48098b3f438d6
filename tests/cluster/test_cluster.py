"""Two app nodes behind HAProxy, one PostgreSQL primary with a streaming replica, one Redis (tests/cluster/stack.py,
the recipe of docs/deploy): what a till and Dukcapil notice when the service runs on more than one machine.

`make test-cluster` runs it (CI too); the suite's own runs leave it out.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import base45
import cbor2
import httpx
import jwt
import pytest

from tests.cluster.stack import VENV_BIN, Cluster, eventually, started
from tests.helpers import read_qr_codes
from verification.service import credentials

SCAN = "/api/v1/verification/scan"
REDEEM = "/api/v1/verification/redemptions"
# What a till does when it gets no answer, or "try again": the same request with the same Idempotency-Key.
TRANSIENT_STATUSES = {502, 503, 504}


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    running = started()
    yield running
    if request.session.testsfailed:
        print(running.logs())
    running.stop()


def app_data(cluster: Cluster) -> dict[str, Any]:
    data: dict[str, Any] = cluster.data["app"]  # type: ignore[assignment]
    return data


def till_keys(cluster: Cluster) -> list[str]:
    return [key for outlet in app_data(cluster)["keys"] for key in outlet]


class Till:
    """A till's client: a new connection for each request (so that every worker of a node gets some), retrying
    what got no answer with the same Idempotency-Key, as the cashier app does."""

    def __init__(self) -> None:
        self.client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
        self.retries = 0

    async def __aenter__(self) -> Till:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.aclose()

    async def redeem(
        self, doors: str | list[str], api_key: str, qr: str, offer_id: str, key: str | None = None
    ) -> httpx.Response:
        """Redeem through the first door (the proxy, or a node); without an answer, again through the next."""
        doors = [doors] if isinstance(doors, str) else doors
        key = key or str(uuid.uuid4())
        body = {"qr": qr, "offer_id": offer_id, "purchase_amount": 60_000}
        headers = {"X-API-Key": api_key, "Idempotency-Key": key}
        for attempt in range(40):
            try:
                response = await self.client.post(doors[attempt % len(doors)] + REDEEM, json=body, headers=headers)
            except httpx.TransportError:
                response = None
            in_flight = (
                response is not None
                and response.status_code == 409
                and (response.json().get("code") == "idempotency_key_in_flight")
            )
            if response is not None and response.status_code not in TRANSIENT_STATUSES and not in_flight:
                return response
            self.retries += 1
            await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
        raise AssertionError(f"no answer for Idempotency-Key {key} after 40 tries")

    async def scan(self, base: str, api_key: str, qr: str) -> httpx.Response:
        return await self.client.post(base + SCAN, json={"qr": qr}, headers={"X-API-Key": api_key})


def verdicts(response: httpx.Response) -> dict[str, str | None]:
    assert response.status_code == 200, response.text
    return {offer["offer_id"]: offer["reason_code"] for offer in response.json()["offers"]}


async def login(base: str, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/api/v1/auth/login", json={"username": username, "password": "demo"})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def redemptions_of(cluster: Cluster, offer_id: str) -> tuple[int, int]:
    """(redemptions, distinct cards) of an offer, as the primary holds them."""
    row = cluster.psql(f"SELECT count(*), count(DISTINCT card) FROM redemption WHERE offer = '{offer_id}'")
    count, cards = row.split("|")
    return int(count), int(cards)


async def test_a_hundred_tills_redeeming_one_card_at_once_on_both_nodes_give_it_once(cluster):
    data = app_data(cluster)
    qr, offer = data["cards"][0], data["offers"][0]  # at most once a day per child
    doors = [cluster.proxy_url, *(node.url for node in cluster.nodes)]
    keys = till_keys(cluster)
    async with Till() as till:
        answers = await asyncio.gather(
            *(till.redeem(doors[n % len(doors)], keys[n % len(keys)], qr, offer) for n in range(100))
        )
    given = [answer for answer in answers if answer.status_code == 201]
    assert len(given) == 1, [answer.text for answer in answers if answer.status_code != 409][:3]
    refused = {answer.json()["code"] for answer in answers if answer.status_code != 201}
    assert refused == {"holder_limit_reached"}
    assert redemptions_of(cluster, offer) == (1, 1)


async def test_replica_lag_never_lets_a_limit_be_exceeded_nor_a_report_miss_a_redemption(cluster):
    data = app_data(cluster)
    qr, offer = data["cards"][1], data["offers"][1]  # at most once a day per child
    first_node, second_node = (node.url for node in cluster.nodes)
    keys = till_keys(cluster)
    dukcapil = await login(cluster.proxy_url, "dukcapil")
    report = "/api/v1/admin/reports/redemptions?group=offer&suppress=false"

    async def reported() -> int:
        async with httpx.AsyncClient(base_url=second_node, headers=dukcapil) as client:
            response = await client.get(report)
        assert response.status_code == 200, response.text
        return sum(row["redemptions"] for row in response.json() if row.get("offer") == offer)

    assert await reported() == 0
    cluster.psql("SELECT pg_wal_replay_pause()", replica=True)  # the replica falls behind, as far as it likes
    try:
        async with Till() as till:
            given = await till.redeem(first_node, keys[0], qr, offer)
            assert given.status_code == 201, given.text
            again = await till.redeem(second_node, keys[-1], qr, offer)  # the other node, the other outlet
        assert again.status_code == 409
        assert again.json()["code"] == "holder_limit_reached"
        assert redemptions_of(cluster, offer) == (1, 1)
        # The replica has not seen the redemption: the report waits for it a moment, then reads the primary, and
        # counts it all the same; the node's log says why it was slower.
        behind = cluster.nodes[1].log.read_text().count("database.replica_behind")
        assert await reported() == 1
        assert cluster.nodes[1].log.read_text().count("database.replica_behind") == behind + 1
    finally:
        cluster.psql("SELECT pg_wal_replay_resume()", replica=True)
    eventually(cluster.replica_caught_up, 10, "the replica replaying again")
    # Replaying again: the report reads the replica once it has replayed what the report itself wrote first (the
    # redemption's rollup moves, applied on the primary just before the read).
    assert await reported() == 1
    log = cluster.nodes[1].log.read_text()
    assert log.count("database.replica_behind") == behind + 1
    assert "database.replica_unchecked" not in log


async def a_second_after(changed_at: float, probe: Any) -> list[httpx.Response]:
    """What the other node answers to requests that start one second after a change: eight of them, each on a new
    connection, so that both of its workers answer some."""
    await asyncio.sleep(max(0.0, changed_at + 1.0 - time.monotonic()))
    return [await probe() for _ in range(8)]


def qr_key_number(qr: str) -> int:
    """The number of the key that signed a version 2 print (its COSE kid)."""
    return int.from_bytes(dict(cbor2.loads(base45.b45decode(qr))[1])[4], "big")


def qr_card_id(qr: str) -> uuid.UUID:
    claims = jwt.decode(
        credentials.from_numeric(qr.removeprefix(credentials.QR_PREFIX)), options={"verify_signature": False}
    )
    return credentials.card_id_from_sub(claims["sub"])


async def test_a_change_made_on_one_node_is_in_force_on_the_other_within_a_second(cluster):
    data = app_data(cluster)
    qr, offer, partner = data["cards"][2], data["offers"][3], data["partner_id"]
    first_node, second_node = (node.url for node in cluster.nodes)
    key = till_keys(cluster)[0]
    manager = await login(first_node, "tokobench.manajer")

    async with Till() as till, httpx.AsyncClient(base_url=first_node, headers=manager) as console:
        assert verdicts(await till.scan(second_node, key, qr))[offer] is None

        # A partner pauses an offer on one node: the other refuses it; resumes it: the other offers it again.
        for action, verdict in (("pause", "offer_paused"), ("resume", None)):
            changed = await console.post(f"/api/v1/partners/{partner}/offers/{offer}/{action}")
            changed_at = time.monotonic()
            assert changed.status_code == 200, changed.text
            answers = await a_second_after(changed_at, lambda: till.scan(second_node, key, qr))
            assert [verdicts(answer)[offer] for answer in answers] == [verdict] * 8

        # A partner replaces a till's API key on one node: the old one stops working on the other.
        created = await console.post(
            f"/api/v1/partners/{partner}/api-keys", json={"name": "POS baru", "outlet_id": data["outlets"][0]}
        )
        assert created.status_code == 201, created.text
        old_key = created.json()["key"]
        assert (await till.scan(second_node, old_key, qr)).status_code == 200
        revoked = await console.post(f"/api/v1/partners/{partner}/api-keys/{created.json()['id']}/revoke")
        changed_at = time.monotonic()
        assert revoked.status_code == 200, revoked.text
        answers = await a_second_after(changed_at, lambda: till.scan(second_node, old_key, qr))
        assert [answer.status_code for answer in answers] == [401] * 8

    # The operator rotates the card-signing key: a card printed with the new key on one node passes on the other.
    rotated = await asyncio.to_thread(
        subprocess.run,
        [str(VENV_BIN / "mitrakia"), "keys", "rotate"],
        env=cluster.app_env(),
        capture_output=True,
        text=True,
    )
    changed_at = time.monotonic()
    assert rotated.returncode == 0, rotated.stderr
    dukcapil = await login(first_node, "dukcapil")
    await asyncio.sleep(max(0.0, changed_at + 1.0 - time.monotonic()))
    async with httpx.AsyncClient(base_url=first_node, headers=dukcapil) as console:
        printed = await console.get(f"/api/v1/admin/cards/{qr_card_id(qr)}/qr.png")
    assert printed.status_code == 200, printed.text
    (reprinted,) = read_qr_codes(printed.content)
    assert qr.startswith(credentials.QR_PREFIX)  # the seed's sticker: version 1, signed by key 1
    assert qr_key_number(reprinted) == 2  # the reprint: version 2, signed by the key just made
    async with Till() as till:
        answers = await a_second_after(changed_at, lambda: till.scan(second_node, key, reprinted))
    assert [answer.json()["card"]["status"] for answer in answers] == ["active"] * 8


async def test_a_node_killed_during_a_burst_loses_no_redemption_and_gives_none_twice(cluster):
    data = app_data(cluster)
    cards, offer = data["cards"][100:300], data["offers"][2]  # once in a lifetime per child
    keys = till_keys(cluster)
    killed_node, other_node = cluster.nodes
    # Half the tills go through HAProxy (which resends what a dead node never answered); half talk to a node
    # themselves and, without an answer, try the other one.
    doors = [[cluster.proxy_url], [killed_node.url, other_node.url], [other_node.url, killed_node.url]]
    answers: dict[str, list[httpx.Response]] = {}
    done = 0

    async with Till() as till:

        async def one(n: int) -> None:
            nonlocal done
            key, door = f"burst-{n}", doors[0] if n % 2 else doors[1 + n // 2 % 2]
            answer = await till.redeem(door, keys[n % len(keys)], cards[n], offer, key)
            answers.setdefault(key, []).append(answer)
            if n % 3 == 0:  # a till that missed the answer asks again, with the same key, later
                answers[key].append(await till.redeem(door, keys[n % len(keys)], cards[n], offer, key))
            done += 1
            if done == 60:
                killed_node.kill()  # mid-burst: requests are in flight on it

        limit = asyncio.Semaphore(24)

        async def paced(n: int) -> None:
            async with limit:
                await one(n)

        await asyncio.gather(*(paced(n) for n in range(len(cards))))
        retries = till.retries

    assert killed_node.process is not None
    assert killed_node.process.returncode is not None  # it did die, mid-burst
    assert retries > 0  # tills that were talking to it got no answer, and asked the other node
    statuses = {answer.status_code for replies in answers.values() for answer in replies}
    assert statuses == {201}, [a.text for replies in answers.values() for a in replies if a.status_code != 201][:3]
    receipts = {key: {answer.json()["redemption_id"] for answer in replies} for key, replies in answers.items()}
    assert all(len(ids) == 1 for ids in receipts.values())  # a retry gets the first answer, never a second benefit
    assert len({ids.pop() for ids in receipts.values()}) == len(cards)
    assert redemptions_of(cluster, offer) == (len(cards), len(cards))
    print(f"burst: {len(cards)} redemptions, node killed after 60, {retries} client retries")

    killed_node.start()  # restarted, it answers again (and HAProxy's check puts it back)
