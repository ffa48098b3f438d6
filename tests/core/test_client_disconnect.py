"""A client that hangs up before its request body arrives is not a server error."""

from __future__ import annotations

import json
from typing import Any

from app import create_app


async def test_a_client_gone_before_its_body_is_logged_as_gone_not_as_a_500(capsys):
    app = create_app()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/auth/login",
        "raw_path": b"/api/v1/auth/login",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"content-length", b"40")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    capsys.readouterr()
    await app(scope, receive, send)  # type: ignore[arg-type]

    start = next(message for message in sent if message["type"] == "http.response.start")
    assert start["status"] == 499
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events if e.get("level") == "error"] == []
    assert any(e["event"] == "http.client_disconnected" for e in events)
