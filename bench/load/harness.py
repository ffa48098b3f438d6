"""What the load benchmarks (run.py, partners.py) share: a wrk run with wrk.lua, PostgreSQL's CPU time, and a
fresh database."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent


def app_env(database_url: str, redis_url: str, secret: str) -> dict[str, str]:
    """The app's production settings on the given database and Redis. Every request comes from one address and a
    few keys, as no real till population would: the till's rate limits still count every request (the same work)
    but never refuse one, so that 200s and 201s are measured, not 429s."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")},
        "MITRAKIA_DATABASE_URL": database_url,
        "MITRAKIA_REDIS_URL": redis_url,
        "MITRAKIA_SECRET_KEY": secret,
        "MITRAKIA_HOST": "127.0.0.1",
        "MITRAKIA_PASSWORD_HASH_PROFILE": "owasp_minimum",  # only the seed's accounts; tills use API keys
        "MITRAKIA_TILL_REQUESTS_PER_MINUTE": "10000000",
        "MITRAKIA_TILL_OUTLET_REQUESTS_PER_MINUTE": "10000000",
        "MITRAKIA_TILL_ADDRESS_REQUESTS_PER_MINUTE": "10000000",
    }


def wrk(url: str, file: Path | None, mode: str, seconds: int, connections: int, offset: int = 0) -> dict[str, Any]:
    """One wrk run with wrk.lua: "post" (scan), "redeem" (a fresh Idempotency-Key each) or "get"."""
    nonce = secrets.token_hex(6)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s",
               str(HERE / "wrk.lua"), url, "--", str(file or "-"), mode, nonce, str(offset), "1"]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(row for row in output.splitlines() if row.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds_taken = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / seconds_taken, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests": raw["requests"],
        "sent": raw["sent"],
        "ok": raw["ok"],
        "conflict_409": raw["conflict"],
        "other_4xx": raw["client_error"],
        "5xx": raw["server_error"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
    }


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (a server and its workers)."""
    found, pending = [], [pid]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        pending += [int(child) for child in children]
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) these processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time the PostgreSQL server's processes (every backend) have used so far."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                pids.append(int(entry.name))
        except OSError:
            continue
    return cpu_seconds(pids)


class RedeemCursor:
    """Where the next redeem run starts in its request file, kept across runs and invocations, so that no (card,
    offer) pair is redeemed twice while the pairs last (then the limits answer 409, and the results count them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.value = int(self.path.read_text()) if self.path.exists() else 0

    def advance(self, sent: int, connections: int) -> None:
        self.value += sent + connections  # requests in flight at the end may have been served too
        self.path.write_text(str(self.value))


def forget_cursors(work: Path) -> None:
    """A database seeded anew: every redeem run starts from its request file's first line again."""
    for cursor in work.glob("redeem-cursor-*.txt"):
        cursor.unlink()


async def recreate_database(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
