"""A partner's webhook receiver for the tests: a real HTTP server on 127.0.0.1, in a thread, that keeps every request
it gets and answers with the status the test sets."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.location: str | None = None  # answered with a 3xx
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._arrived:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    receiver._arrived.notify_all()
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/mitra-kia/webhook"

    async def wait_for(self, count: int, within: float = 20.0) -> list[Received]:
        """The first `count` requests, waiting for them to arrive (from another process's sender)."""

        def wait() -> bool:
            with self._arrived:
                return self._arrived.wait_for(lambda: len(self.received) >= count, timeout=within)

        if not await asyncio.to_thread(wait):
            raise AssertionError(f"{len(self.received)} webhook requests arrived within {within} s, not {count}")
        return self.received[:count]


@contextmanager
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()
