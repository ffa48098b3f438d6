"""An open-loop load generator: sends POST requests at a fixed rate whatever the server's speed, and times each one
from the moment it was due (so a slow server shows up in the latency instead of slowing the client, the
"coordinated omission" a closed loop such as wrk hides). wrk2 would do this; Debian has no package of it.

A request due while all connections are busy waits for one (as a till's client would), and its wait counts in its
latency. Requests still unanswered 5 s after the last was due count as timed out (and as slower than any answer).

    python bench/load/openloop.py <url> <request file> <rate per second> <seconds> [connections] [redeem offset]

With a redeem offset, each request carries a fresh Idempotency-Key and the lines are sent from that offset on (run.py
keeps where redeem runs stopped, so that each is a real redemption).

The request file has one request a line, "<X-API-Key>\\t<JSON body>" (as for wrk.lua). Raw HTTP/1.1 over keep-alive
connections on uvloop, so the client costs the shared CPU as little as possible. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

import uvloop


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def call(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status


async def run(
    url: str, lines: list[tuple[str, str]], rate: float, seconds: float, connections: int, offset: int | None = None
) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(*await asyncio.open_connection(host, port)))
    nonce = f"{time.time_ns():x}"
    total = int(rate * seconds)
    if offset is not None:  # redeem: this run's share of the lines, each with its own Idempotency-Key
        lines = [lines[(offset + n) % len(lines)] for n in range(total)]
    requests = [
        (
            f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            + (f"Idempotency-Key: ol-{nonce}-{n}\r\n" if offset is not None else "")
            + f"X-API-Key: {key}\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}"
        ).encode()
        for n, (key, body) in enumerate(lines)
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0

    async def one(due: float, request: bytes) -> None:
        nonlocal errors
        connection = await idle.get()
        try:
            status = await connection.call(request)
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            return
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1
        idle.put_nowait(connection)

    started = time.perf_counter()
    tasks = []
    for index in range(total):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, requests[index % len(requests)])))
    sent_in = time.perf_counter() - started
    _, pending = await asyncio.wait(tasks, timeout=max(0.1, started + seconds + 5 - time.perf_counter()))
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - started
    latencies.sort()
    completed = len(latencies)
    timed_out = len(pending)
    ranked = latencies + [float("inf")] * timed_out

    def percentile(p: float) -> float | None:
        value = ranked[min(len(ranked) - 1, int(len(ranked) * p / 100))] if ranked else 0.0
        return None if value == float("inf") else round(value * 1000, 2)  # None: beyond the 5 s deadline

    return {
        "target_rate": rate,
        "sent": total,
        "achieved_send_rate": round(total / sent_in, 1),
        "completed": completed,
        "timed_out": timed_out,
        "throughput": round(completed / elapsed, 1),
        "p50_ms": percentile(50),
        "p90_ms": percentile(90),
        "p99_ms": percentile(99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
        "connections": connections,
    }


def main() -> None:
    url, path, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    connections = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    offset = int(sys.argv[6]) if len(sys.argv) > 6 else None
    with open(path, encoding="utf-8") as handle:
        lines = [tuple(line.rstrip("\n").split("\t", 1)) for line in handle if line.strip()]
    result = uvloop.run(run(url, lines, rate, seconds, connections, offset))  # type: ignore[arg-type]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
