"""Logs are JSON events and never carry passwords or tokens, even when a user types one in the wrong field."""

from __future__ import annotations

import json

from core.tables import Role

PASSWORD = "correct-horse-battery"


async def test_logs_are_json_events_without_secrets(capsys, client, create_staff):
    await create_staff("gramedia.kasir", Role.CASHIER)
    capsys.readouterr()

    ok = await client.post("/api/v1/auth/login", json={"username": "gramedia.kasir", "password": PASSWORD})
    token = ok.json()["access_token"]
    # A cashier who types the password into the username box.
    await client.post("/api/v1/auth/login", json={"username": PASSWORD + "-typo", "password": "x"})
    await client.get("/api/v1/regions?parent=17.71", headers={"Authorization": f"Bearer {token}"})
    await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})

    output = capsys.readouterr().out
    lines = [line for line in output.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]
    names = [event["event"] for event in events]
    assert "auth.login.failed" in names
    assert names.count("http.request") >= 4
    assert PASSWORD not in output
    assert token not in output
    assert token.split(".")[2] not in output
    access = [e for e in events if e["event"] == "http.request"]
    assert {e["route"] for e in access} >= {"/api/v1/auth/login", "/api/v1/regions", "/api/v1/auth/logout"}
    assert all("?" not in e["route"] for e in access)
    assert all(e.get("request_id") for e in access)
