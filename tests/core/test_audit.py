"""The audit log records who changed what, and the database refuses to rewrite history."""

from __future__ import annotations

import pytest

from core.tables import AuditEvent, Role
from tests.conftest import login


async def test_account_changes_are_audited_with_their_actor(client, create_staff):
    admin = await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    headers = await login(client, "dukcapil", "correct-horse-battery")

    created = await client.post(
        "/api/v1/admin/staff",
        json={
            "username": "analis.baru",
            "password": "panjang-sekali-123",
            "display_name": "Analis",
            "role": "dukcapil_analyst",
        },
        headers=headers,
    )
    assert created.status_code == 201
    await client.patch(f"/api/v1/admin/staff/{created.json()['id']}", json={"active": False}, headers=headers)

    events = (
        await AuditEvent.select().where(AuditEvent.actor_id == admin.id).order_by(AuditEvent.id).output(load_json=True)
    )
    assert [e["action"] for e in events] == ["auth.login", "staff_user.created", "staff_user.disabled"]
    assert events[1]["object_id"] == created.json()["id"]
    assert events[1]["after"] == {"username": "analis.baru", "role": "dukcapil_analyst", "region_code": "17.71"}
    assert events[2]["before"] == {"active": True}
    assert events[2]["after"] == {"active": False}
    assert all(e["actor_username"] == "dukcapil" and e["request_id"] for e in events)
    assert "panjang-sekali-123" not in str(events)


async def test_audit_rows_cannot_be_updated_or_deleted(create_staff):
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    assert await AuditEvent.count() == 1

    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.action: "rewritten"}, force=True)
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete(force=True)

    assert (await AuditEvent.select(AuditEvent.action).first())["action"] == "staff_user.created"
