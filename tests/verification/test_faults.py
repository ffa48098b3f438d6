"""Faults in the middle of a shift: Redis stops and PostgreSQL connections are killed while tills keep redeeming.

A real uvicorn server takes a steady stream of scans and redeems from concurrent tills. Every request must answer
(a success, or 503 with a problem body and a stable code), every receipt must be in the database exactly once,
nothing may be half-written, and the same server process must serve normally again once the dependency is back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from shutil import which
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.database.engine import engine
from core.database.outages import database_unreachable
from core.database.transactions import write_transaction
from tests.browser import free_port, live_server
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, login
from tests.helpers import PASSWORD
from tests.verification.cards_helpers import enroll_card
from tests.verification.test_rollups import snapshot
from verification.service import rollups
from verification.tables import Attempt, IdempotencyRecord, OfferUsage, Redemption

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="fault injection needs PostgreSQL + Redis (there is no connection to kill or Redis to stop on SQLite + "
    "memory)",
)

TILLS = 6  # concurrent tills, each with its own cashier (scan limits are per cashier)
# Six tills at one outlet on one address, each scanning and redeeming as fast as it can: far above what a counter
# serves, so the till's request limits are lifted (the faults, not the limits, are under test here).
BUSY_OUTLET = {f"MITRAKIA_TILL_{limit}REQUESTS_PER_MINUTE": "100000" for limit in ("", "OUTLET_", "ADDRESS_")}
CARDS = 24
ANSWER_TIMEOUT = 15.0  # a request that takes longer has not answered
PHASE_DEADLINE = 15.0
PROBLEM = "application/problem+json"


@dataclass
class Answer:
    kind: str  # "scan" or "redeem"
    payload: dict[str, Any]
    headers: dict[str, str]
    status: int | None  # None: no answer (connection error or timeout)
    body: Any
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status in {200, 201}


@dataclass
class Stream:
    """Tills that scan (every `scan_every`-th time, if set) and redeem, one request after another, until stopped."""

    base: str
    cashiers: list[dict[str, str]]
    offer_id: str
    cards: list[str]
    scan_every: int = 0
    answers: list[Answer] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def _send(self, http: httpx.AsyncClient, kind: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
        path = "/api/v1/verification/scan" if kind == "scan" else "/api/v1/verification/redemptions"
        try:
            response = await http.post(path, json=payload, headers=headers)
            content_type = response.headers.get("content-type", "")
            body = response.json() if "json" in content_type else response.text
            answer = Answer(kind, payload, headers, response.status_code, body, content_type)
        except httpx.HTTPError as error:
            answer = Answer(kind, payload, headers, None, repr(error))
        self.answers.append(answer)
        async with self.changed:
            self.changed.notify_all()

    async def _till(self, http: httpx.AsyncClient, index: int) -> None:
        cashier, turn = self.cashiers[index], 0
        while not self.stopping.is_set():
            qr = self.cards[(index + turn * len(self.cashiers)) % len(self.cards)]
            if self.scan_every and turn % self.scan_every == 0:
                await self._send(http, "scan", {"qr": qr}, cashier)
            payload = {"qr": qr, "offer_id": self.offer_id, "purchase_amount": 20_000 + turn}
            await self._send(http, "redeem", payload, {**cashier, "Idempotency-Key": str(uuid.uuid4())})
            turn += 1

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Stream]:
        limits = httpx.Limits(max_connections=len(self.cashiers))
        async with httpx.AsyncClient(base_url=self.base, timeout=ANSWER_TIMEOUT, limits=limits) as http:
            tills = [asyncio.create_task(self._till(http, i)) for i in range(len(self.cashiers))]
            try:
                yield self
            finally:
                self.stopping.set()
                await asyncio.gather(*tills)

    async def until(self, what: str, done: Callable[[list[Answer]], bool], within: float = PHASE_DEADLINE) -> int:
        """Wait (without sleeping) until `done(answers)` holds; the number of answers so far."""
        try:
            async with asyncio.timeout(within), self.changed:
                await self.changed.wait_for(lambda: done(self.answers))
        except TimeoutError:
            pytest.fail(f"{what}: not within {within} s; answers so far {self.tally()}")
        return len(self.answers)

    async def more(self, count: int) -> int:
        target = len(self.answers) + count
        return await self.until(f"{count} more answers", lambda answers: len(answers) >= target)

    async def recovered(self, since: int, in_a_row: int = 3 * TILLS) -> int:
        """Wait until the last `in_a_row` answers after `since` are all successes."""

        def done(answers: list[Answer]) -> bool:
            tail = answers[since:][-in_a_row:]
            return len(tail) == in_a_row and all(a.ok for a in tail)

        return await self.until(f"{in_a_row} successes in a row", done)

    def tally(self) -> Counter[object]:
        return Counter(
            (a.kind, a.status, a.body.get("code") if isinstance(a.body, dict) else None) for a in self.answers
        )


async def cashiers_at_the_outlet(till: Any, count: int) -> list[dict[str, str]]:
    """`count` cashiers of the till's outlet, each signed in (a till each, as in a busy shop)."""
    headers = []
    for index in range(count):
        created = await till.client.post(
            till.world.url("/staff"),
            json={
                "username": f"kasir.{index}",
                "password": PASSWORD,
                "display_name": f"Kasir {index}",
                "role": "cashier",
                "outlet_id": till.world.outlet_id,
            },
            headers=till.world.manager,
        )
        assert created.status_code == 201, created.text
        headers.append(await login(till.client, f"kasir.{index}", PASSWORD))
    return headers


async def prepared_stream(till: Any, base: str, scan_every: int = 0) -> Stream:
    # A budget no stream exhausts: its running total is written with every redemption, and must be exact too.
    offer = await till.offer(limits=[], benefit={"type": "fixed_amount", "amount": 5_000}, budget=100_000_000)
    cards = [await till.qr(await enroll_card(till.settings)) for _ in range(CARDS)]
    return Stream(base, await cashiers_at_the_outlet(till, TILLS), offer["id"], cards, scan_every)


def assert_every_request_answered(stream: Stream, allowed_503: set[str]) -> None:
    """Success, or 503 with a problem body and a stable code; never a 5xx of another kind, never silence."""
    for answer in stream.answers:
        assert answer.status is not None, f"no answer: {answer.body}"
        if answer.ok:
            continue
        assert answer.status == 503, (answer.kind, answer.status, answer.body)
        assert answer.content_type.startswith(PROBLEM), answer.content_type
        assert answer.body["code"] in allowed_503, answer.body
        assert answer.body["status"] == 503
        assert answer.body["title"]


async def settle(base: str, stream: Stream) -> dict[str, dict[str, Any]]:
    """Every redeem's final answer by Idempotency-Key: those that did not succeed are retried with the same key
    (what a till does), so a redemption committed just before its connection died comes back as its receipt."""
    receipts = {}
    async with httpx.AsyncClient(base_url=base, timeout=ANSWER_TIMEOUT) as http:
        for answer in stream.answers:
            if answer.kind != "redeem":
                continue
            key = answer.headers["Idempotency-Key"]
            if not answer.ok:
                retried = await http.post(
                    "/api/v1/verification/redemptions", json=answer.payload, headers=answer.headers
                )
                assert retried.status_code == 201, retried.text
                receipts[key] = retried.json()
            else:
                receipts[key] = answer.body
    return receipts


async def assert_written_exactly_once(receipts: dict[str, dict[str, Any]], offer_id: str) -> None:
    """One row per receipt and no other; its attempt log, offer usage and every rollup moved with it."""
    ids = [r["redemption_id"] for r in receipts.values()]
    assert len(set(ids)) == len(ids), "two keys were answered with the same redemption"
    rows = await Redemption.select(Redemption.id, Redemption.receipt_code, Redemption.discount_amount)
    assert sorted(str(r["id"]) for r in rows) == sorted(ids)
    codes = {str(r["id"]): r["receipt_code"] for r in rows}
    assert all(codes[r["redemption_id"]] == r["receipt_code"] for r in receipts.values())

    logged = (
        await Attempt.select(Attempt.redemption).where(Attempt.kind == "redeem").where(Attempt.outcome == "redeemed")
    )
    assert sorted(str(r["redemption"]) for r in logged) == sorted(ids)
    usage = await OfferUsage.select().where(OfferUsage.offer == uuid.UUID(offer_id)).first()
    assert usage is not None
    assert (usage["redemptions"], usage["discount_total"]) == (len(rows), sum(r["discount_amount"] for r in rows))
    records = await IdempotencyRecord.select(IdempotencyRecord.key, IdempotencyRecord.outcome).output(load_json=True)
    assert {r["key"] for r in records} == set(receipts)
    assert all("receipt" in r["outcome"] for r in records), "an idempotency record was left in flight"

    kept = await snapshot()
    await rollups.rebuild()
    assert kept == await snapshot(), "the rollups drifted from the redemptions they count"


# --- Redis ------------------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of this test's own (never the shared one), to be killed, frozen and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: ASYNC220 - a child process, waited for below by polling it
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    await client.ping()
                    return
                except (RedisError, OSError):
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    await asyncio.sleep(0.02)  # polling another process's port, with a deadline
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a frozen server must be able to die
            self.process.kill()
            self.process.wait(timeout=10)

    def freeze(self, frozen: bool) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    async def keys(self, pattern: str) -> list[bytes]:
        client = Redis.from_url(self.url)
        try:
            return await client.keys(pattern)  # type: ignore[no-any-return]
        finally:
            await client.aclose()


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisServer]:
    if which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer()
    await server.start()
    try:
        yield server
    finally:
        server.kill()


async def test_redeems_go_on_while_redis_stops_hangs_and_comes_back(till, own_redis):
    async with live_server(MITRAKIA_REDIS_URL=own_redis.url, **BUSY_OUTLET) as base:
        stream = await prepared_stream(till, base, scan_every=3)
        async with stream.running(), httpx.AsyncClient(base_url=base) as http:
            await stream.more(3 * TILLS)
            assert await own_redis.keys("mitrakia:counter:till:*"), "scans count in Redis while it is up"

            own_redis.kill()  # stopped mid-shift, requests in flight
            await stream.more(8 * TILLS)
            assert (await http.get("/ready")).json()["checks"]["redis"] == "unavailable"

            await own_redis.start()  # back on the same port, empty
            back = len(stream.answers)
            deadline = time.monotonic() + PHASE_DEADLINE
            while not await own_redis.keys("mitrakia:counter:till:*"):
                assert time.monotonic() < deadline, "the server never went back to Redis"
                await stream.more(1)
            await stream.recovered(back)
            ready = await http.get("/ready")
            assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok", "redis": "ok"})

            own_redis.freeze(True)  # hung rather than gone: calls must time out, not wait forever
            await stream.more(8 * TILLS)
            own_redis.freeze(False)
            await stream.recovered(len(stream.answers))

        assert_every_request_answered(stream, allowed_503=set())  # Redis is a cache: no request may fail for it
        await assert_written_exactly_once(await settle(base, stream), stream.offer_id)


# --- PostgreSQL -------------------------------------------------------------------------------------------------


def with_application_name(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


async def terminate_connections(application_name: str) -> int:
    """pg_terminate_backend on the server's connections to this test database only; how many were ended."""
    rows = await engine().run_ddl(
        "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity "
        f"WHERE datname = current_database() AND application_name = '{application_name}'",  # our own constant
        in_pool=True,
    )
    return int(rows[0]["ended"])


async def test_redeems_survive_killed_database_connections(till):
    name = f"mitrakia-faults-{uuid.uuid4().hex[:8]}"
    async with live_server(MITRAKIA_DATABASE_URL=with_application_name(TEST_DATABASE_URL, name), **BUSY_OUTLET) as base:
        stream = await prepared_stream(till, base)
        async with stream.running():
            await stream.more(3 * TILLS)
            for _ in range(4):  # killed again and again, mid-query
                assert await terminate_connections(name) >= 1
                await stream.more(2 * TILLS)
            killed_last = len(stream.answers)
            await stream.recovered(killed_last)

        print("fault stream:", stream.tally())
        assert_every_request_answered(stream, allowed_503={"database_unavailable"})
        await assert_written_exactly_once(await settle(base, stream), stream.offer_id)


async def test_a_transaction_whose_connection_is_killed_reports_why_and_gives_the_connection_back():
    import asyncpg

    db = engine()
    killer = await asyncpg.connect(TEST_DATABASE_URL)

    async def killed_mid_transaction() -> None:
        async with write_transaction():
            pid = (await db.run_ddl("SELECT pg_backend_pid() AS pid"))[0]["pid"]
            await killer.execute("SELECT pg_terminate_backend($1)", pid)
            await db.run_ddl("SELECT 1")

    try:
        with pytest.raises(Exception) as raised:  # noqa: PT011 - which error is what this test asserts below
            await killed_mid_transaction()
    finally:
        await killer.close()
    # The cause (the connection ended), not "cannot call Transaction.rollback()": what the log and the 503 see.
    assert "rollback" not in str(raised.value), repr(raised.value)
    assert database_unreachable(raised.value), repr(raised.value)
    # No connection was lost to the pool: every one of them can be held at once, and the next transaction works.
    pool = db.pool  # type: ignore[attr-defined]
    async with asyncio.timeout(10):
        held = [await pool.acquire() for _ in range(pool.get_max_size())]
        for connection in held:
            await pool.release(connection)
        async with write_transaction():
            assert (await db.run_ddl("SELECT 1 AS one"))[0]["one"] == 1
