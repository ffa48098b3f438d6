"""Test harness: one backend per run (SQLite + memory, or PostgreSQL + Redis), real migrations, real ASGI app.

The backend is chosen before anything imports piccolo_conf: MITRAKIA_TEST_DATABASE_URL and MITRAKIA_TEST_REDIS_URL
select PostgreSQL and Redis; without them the run uses a temporary SQLite file and in-memory stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

WORKDIR = Path(tempfile.mkdtemp(prefix="mitrakia-tests-"))
TEST_DATABASE_URL = os.environ.get("MITRAKIA_TEST_DATABASE_URL") or ""
TEST_REDIS_URL = os.environ.get("MITRAKIA_TEST_REDIS_URL") or ""
TEMPLATE_SQLITE = WORKDIR / "template.sqlite3"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-the-settings-check"
FOUNDING_CITY = "17.71"  # Kota Bengkulu: the city the tests' data lives in, and its Dukcapil office

for name in [name for name in os.environ if name.startswith("MITRAKIA_") and not name.startswith("MITRAKIA_TEST_")]:
    del os.environ[name]
os.environ["MITRAKIA_DATABASE_URL"] = TEST_DATABASE_URL or f"sqlite:///{TEMPLATE_SQLITE}"
if TEST_REDIS_URL:
    os.environ["MITRAKIA_REDIS_URL"] = TEST_REDIS_URL
os.environ["MITRAKIA_SECRET_KEY"] = TEST_SECRET
os.environ["MITRAKIA_LOG_LEVEL"] = "INFO"
# OWASP's minimum Argon2id parameters: a real production profile, about 3x cheaper than the default.
os.environ["MITRAKIA_PASSWORD_HASH_PROFILE"] = "owasp_minimum"
# Workers check the till cache stamp before every use (production: once a second), so that a test's change is seen
# by the very next request, and a table the stamp's triggers forget fails the test that changes it
# (tests/verification/test_till_cache.py measures the one-second propagation itself).
os.environ["MITRAKIA_TILL_CACHE_CHECK_SECONDS"] = "0"
# Webhooks go to receivers the tests start on 127.0.0.1. The in-process app's sender waits an hour between rounds:
# a test sends what is due itself (partners.service.webhook_sending.send_due), at the time it says; a test that
# wants the background sender starts a server of its own (tests.browser.live_server).
os.environ["MITRAKIA_WEBHOOK_ALLOW_LOCAL"] = "true"
os.environ["MITRAKIA_WEBHOOK_SEND_INTERVAL_SECONDS"] = "3600"

# tests/cluster starts a whole deployment of its own (`make test-cluster`); the suite's runs leave it out.
collect_ignore = [] if os.environ.get("MITRAKIA_TEST_CLUSTER") else ["cluster"]

if TEST_DATABASE_URL:
    database_name = urlsplit(TEST_DATABASE_URL).path.lstrip("/")
    if "test" not in database_name:
        raise pytest.UsageError(
            f"MITRAKIA_TEST_DATABASE_URL names database {database_name!r}; the suite wipes it, so its name "
            "must contain 'test'"
        )

import httpx  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine  # noqa: E402

from core.database.engine import engine  # noqa: E402
from core.settings import Settings, get_settings  # noqa: E402

# Reference data loaded by migrations, and Piccolo's own bookkeeping: kept between tests.
KEPT_TABLES = {"region", "migration"}
# On PostgreSQL, the region table as migrated (91,599 rows): a test that changes it asks for `regions_restored`.
REGIONS_AS_MIGRATED = "test_reference.region"
BACKEND = ("PostgreSQL" if TEST_DATABASE_URL else "SQLite") + (" + Redis" if TEST_REDIS_URL else " + memory store")


def pytest_report_header(config: pytest.Config) -> str:
    return f"mitrakia backend: {BACKEND}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"mitrakia backend that ran: {BACKEND}")


async def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="all", migration_id="all", fake=False)
    assert result.success, result.message


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> AsyncIterator[None]:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.run_ddl("DROP SCHEMA public CASCADE")
        await db.run_ddl("CREATE SCHEMA public")
        await _migrate()
        await db.run_ddl("DROP SCHEMA IF EXISTS test_reference CASCADE")
        await db.run_ddl("CREATE SCHEMA test_reference")
        await db.run_ddl(f"CREATE TABLE {REGIONS_AS_MIGRATED} AS TABLE region")
        await db.start_connection_pool(min_size=1, max_size=20)
    else:
        await _migrate()
    yield
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    shutil.rmtree(WORKDIR, ignore_errors=True)


_test_counter = iter(range(1_000_000))


@pytest.fixture(autouse=True)
async def clean_state(migrated_database: None) -> AsyncIterator[None]:
    """Each test starts from the freshly migrated database, an empty store and nothing kept in memory."""
    from core.service import stamped

    stamped.forget()
    db = engine()
    if isinstance(db, SQLiteEngine):
        copy = WORKDIR / f"test-{next(_test_counter)}.sqlite3"
        shutil.copyfile(TEMPLATE_SQLITE, copy)
        db.path = str(copy)
    else:
        rows = await db.run_ddl("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", in_pool=True)
        tables = [row["tablename"] for row in rows if row["tablename"] not in KEPT_TABLES]
        if tables:
            await db.run_ddl(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE", in_pool=True)
    if TEST_REDIS_URL:
        from redis.asyncio import Redis

        client = Redis.from_url(TEST_REDIS_URL)
        await client.flushdb()
        await client.aclose()
    yield
    if isinstance(db, SQLiteEngine):
        await db.close_shared()  # type: ignore[attr-defined]
        Path(db.path).unlink(missing_ok=True)
        db.path = str(TEMPLATE_SQLITE)


@pytest.fixture
async def regions_restored() -> AsyncIterator[None]:
    """For a test that changes the region table (an import): PostgreSQL keeps that table between tests, so it is put
    back as migrated afterwards; on SQLite each test's copy of the database is dropped anyway."""
    yield
    from core.service.regions import forget_cached_regions

    db = engine()
    if isinstance(db, PostgresEngine):
        await db.run_ddl("DELETE FROM region", in_pool=True)
        await db.run_ddl(f"INSERT INTO region SELECT * FROM {REGIONS_AS_MIGRATED}", in_pool=True)
    forget_cached_regions()


@pytest.fixture
async def cli_env(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """The environment of a `mitrakia` command on a database of the suite's backend that only this test uses
    (empty: the test migrates it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")}
    env["MITRAKIA_SECRET_KEY"] = TEST_SECRET
    env["MITRAKIA_PASSWORD_HASH_PROFILE"] = "owasp_minimum"
    if not TEST_DATABASE_URL:
        env["MITRAKIA_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        yield env
        return
    import asyncpg

    name = f"mitrakia_test_cli_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(TEST_DATABASE_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(TEST_DATABASE_URL)
    env["MITRAKIA_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def settings() -> Settings:
    return get_settings()


AppFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_client() -> AsyncIterator[AppFactory]:
    """Build the real app (optionally with other settings) and an httpx client on it, lifespan included."""
    from app import create_app

    stops: list[tuple[asyncio.Event, asyncio.Task[None]]] = []
    clients: list[httpx.AsyncClient] = []

    async def factory(settings: Settings | None = None, client_ip: str = "127.0.0.1") -> httpx.AsyncClient:
        app = create_app(settings or get_settings())
        started, stop = asyncio.Event(), asyncio.Event()

        async def run_lifespan() -> None:
            # One task enters and leaves the lifespan: its task groups must not cross tasks.
            async with app.lifespan():
                started.set()
                await stop.wait()

        task = asyncio.create_task(run_lifespan())
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            waiter.cancel()
            task.result()
        stops.append((stop, task))
        transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        client.app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
    for stop, task in stops:
        stop.set()
        await task


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    return await make_client()


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def create_staff() -> Callable[..., Awaitable[Any]]:
    from core.service.users import create_user
    from core.tables import DUKCAPIL_ROLES, Role

    async def factory(
        username: str, role: Role | str, password: str = "correct-horse-battery", region: str | None = FOUNDING_CITY
    ) -> Any:
        """A staff account; a Dukcapil one works for Kota Bengkulu's office unless given another `region` (a
        province's code, or None for national)."""
        role = Role(role)
        return await create_user(
            username,
            password,
            role,
            username.replace(".", " ").title(),
            region=region if role in DUKCAPIL_ROLES else None,
        )

    return factory


class _DemoSnapshot:
    """The whole demo (`seed_demo` with its registry), seeded once per session by the first test that asks for it
    (25 s on either backend), kept as data, and put back for every other test in a fraction of a second: the
    tests that read the demo test what it shows, not how it is seeded (tests/admin/test_demo.py does that)."""

    def __init__(self) -> None:
        self.accounts: list[Any] = []
        self.files = WORKDIR / "demo-files"  # what the seed writes beside the database (cards.csv, the SIAK file)
        self.sqlite = WORKDIR / "demo.sqlite3"
        self.tables: list[str] = []
        self.sequences: list[tuple[str, int, bool]] = []

    async def put_back(self, output_dir: Path) -> list[Any]:
        if not self.accounts:
            await self._take()
        else:
            await self._restore()
        shutil.copytree(self.files, output_dir, dirs_exist_ok=True)
        from core.service import stamped

        stamped.forget()
        return self.accounts

    async def _take(self) -> None:
        from admin.demo import seed_demo

        self.accounts = await seed_demo(self.files)
        db = engine()
        if isinstance(db, SQLiteEngine):
            import sqlite3

            with (
                contextlib.closing(sqlite3.connect(db.path)) as live,
                contextlib.closing(sqlite3.connect(self.sqlite)) as kept,
            ):
                live.backup(kept)
            return
        rows = await db.run_ddl(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
            in_pool=True,
        )
        self.tables = [row["relname"] for row in rows if row["relname"] not in KEPT_TABLES]
        await _script(
            db,
            "DROP SCHEMA IF EXISTS test_demo CASCADE; CREATE SCHEMA test_demo; "
            + "; ".join(f'CREATE TABLE test_demo."{table}" AS TABLE public."{table}"' for table in self.tables),
        )
        rows = await db.run_ddl(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'", in_pool=True
        )
        self.sequences = [(row["sequencename"], row["last_value"] or 1, row["last_value"] is not None) for row in rows]

    async def _restore(self) -> None:
        db = engine()
        if isinstance(db, SQLiteEngine):
            import sqlite3

            # SQLite's backup API writes the pages into the live file, under its locks: connections the test's app
            # already holds see the demo on their next statement.
            with (
                contextlib.closing(sqlite3.connect(self.sqlite)) as kept,
                contextlib.closing(sqlite3.connect(db.path)) as live,
            ):
                kept.backup(live)
            return
        tables = ", ".join(f'public."{table}"' for table in self.tables)
        copies = "; ".join(f'INSERT INTO public."{t}" SELECT * FROM test_demo."{t}"' for t in self.tables)
        sequences = "; ".join(
            f"SELECT setval('public.\"{name}\"', {value}, {str(called).lower()})"
            for name, value, called in self.sequences
        )
        # One connection: foreign keys and triggers wait (replica role) while the rows go back in any order.
        await _script(
            db,
            f"BEGIN; SET LOCAL session_replication_role = replica; TRUNCATE {tables} RESTART IDENTITY CASCADE; "
            f"{copies}; {sequences + ';' if sequences else ''} COMMIT",
        )


async def _script(db: Any, sql: str) -> None:
    """Several statements in one round trip, on one connection (asyncpg's simple query protocol)."""
    async with db.pool.acquire() as connection:
        await connection.execute(sql)


_DEMO = _DemoSnapshot()


@pytest.fixture
async def demo(tmp_path: Path) -> list[Any]:
    """The demo's two cities, as `make demo` seeds them (its files in tmp_path); returns the demo accounts."""
    return await _DEMO.put_back(tmp_path)


from tests.till import till  # noqa: E402, F401 - a fixture shared by verification, report and page tests
