"""Reports read the streaming replica (MITRAKIA_DATABASE_REPLICA_URL); the till, guards and writes never do.

The replica here is a read-only session on the test database whose `search_path` shows an empty copy of the
monthly rollup first: a replica that has not replayed the last redemptions yet. tests/cluster runs a real one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.database import replica
from core.database.engine import engine, is_sqlite
from core.database.piccolo_internals import ReconnectingPostgresEngine
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(is_sqlite(), reason="a streaming replica is PostgreSQL's")

REPORT = "/api/v1/admin/reports/redemptions?group=offer&suppress=false"


async def _attach(dsn: str, **server_settings: str) -> ReconnectingPostgresEngine:
    node = ReconnectingPostgresEngine(config={"dsn": dsn, "timeout": 2, "server_settings": server_settings})
    await node.start_connection_pool(min_size=0, max_size=2)
    engine().extra_nodes = {replica.REPLICA: node}  # type: ignore[attr-defined]
    return node


@pytest.fixture
async def lagging_replica() -> AsyncIterator[None]:
    db = engine()
    await db.run_ddl("DROP SCHEMA IF EXISTS lagging CASCADE")
    await db.run_ddl("CREATE SCHEMA lagging")
    await db.run_ddl(
        "CREATE TABLE lagging.rollup_redemption_monthly (LIKE public.rollup_redemption_monthly INCLUDING ALL)"
    )
    node = await _attach(TEST_DATABASE_URL, search_path="lagging,public", default_transaction_read_only="on")
    yield
    db.extra_nodes = {}  # type: ignore[attr-defined]
    await node.close_connection_pool()
    await db.run_ddl("DROP SCHEMA lagging CASCADE")


@pytest.fixture
async def unreachable_replica() -> AsyncIterator[None]:
    node = await _attach("postgresql://postgres@127.0.0.1:1/nothing")
    yield
    engine().extra_nodes = {}  # type: ignore[attr-defined]
    await node.close_connection_pool()


def offer_count(response: Any, offer_id: str) -> int:
    assert response.status_code == 200, response.text
    return sum(row["redemptions"] for row in response.json() if row.get("offer") == offer_id)


async def test_a_report_reads_the_replica_while_the_till_counts_limits_on_the_primary(till, lagging_replica):
    offer = await till.offer(limits=[{"period": "day", "count": 1}])
    qr = await till.card()
    assert (await till.redeem(qr, offer["id"])).status_code == 201
    # The replica has not seen it: the report says so, the limit does not.
    assert offer_count(await till.client.get(REPORT, headers=till.world.dukcapil), offer["id"]) == 0
    again = await till.redeem(qr, offer["id"])
    assert again.status_code == 409
    assert again.json()["code"] == "holder_limit_reached"
    engine().extra_nodes = {}  # type: ignore[attr-defined]  # without a replica: the primary's figure
    assert offer_count(await till.client.get(REPORT, headers=till.world.dukcapil), offer["id"]) == 1


async def test_ready_says_the_replica_answers(client, lagging_replica):
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database_replica"] == "ok"


async def test_inside_a_report_a_statement_that_writes_runs_on_the_primary(lagging_replica):
    await engine().run_ddl("INSERT INTO cache_stamp (name, version) VALUES ('replica-test', 1)")
    moved = (
        "WITH moved AS (UPDATE cache_stamp SET version = version + 1 WHERE name = 'replica-test' RETURNING version) "
        "SELECT version FROM moved"
    )
    read_only = "SELECT current_setting('default_transaction_read_only') AS value"
    with replica.reports():
        assert (await engine().run_ddl(read_only))[0]["value"] == "on"
        assert (await engine().run_ddl(moved))[0]["version"] == 2  # refused by the replica, run by the primary
        with replica.primary():
            assert (await engine().run_ddl(read_only))[0]["value"] == "off"
    assert (await engine().run_ddl(read_only))[0]["value"] == "off"


@pytest.mark.filterwarnings("ignore:.*Unable to connect")  # Piccolo's own note of the replica that is down
async def test_a_replica_that_cannot_be_reached_leaves_reports_to_the_primary(till, unreachable_replica):
    offer = await till.offer()
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
    assert offer_count(await till.client.get(REPORT, headers=till.world.dukcapil), offer["id"]) == 1
    # Operators see it; the load balancer's degraded check keeps the node in.
    ready = await till.client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database_replica"] == "unavailable"
    degraded = await till.client.get("/ready", params={"degraded_ok": "true"})
    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
