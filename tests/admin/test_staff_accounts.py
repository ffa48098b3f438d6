"""Dukcapil staff accounts: only a Dukcapil admin manages them; a disabled account is locked out at once."""

from __future__ import annotations

import pytest

from core.tables import Role
from tests.conftest import login

PASSWORD = "correct-horse-battery"


@pytest.fixture
async def everyone(client, create_staff):
    for username, role in [
        ("dukcapil", Role.DUKCAPIL_ADMIN),
        ("analis", Role.DUKCAPIL_ANALYST),
        ("gramedia.manajer", Role.PARTNER_MANAGER),
        ("gramedia.kasir", Role.CASHIER),
    ]:
        await create_staff(username, role)
    return {
        name: await login(client, name, PASSWORD)
        for name in ("dukcapil", "analis", "gramedia.manajer", "gramedia.kasir")
    }


async def test_role_guard_on_staff_accounts(client, everyone):
    expected = {"dukcapil": 200, "analis": 403, "gramedia.manajer": 403, "gramedia.kasir": 403}
    for username, status in expected.items():
        response = await client.get("/api/v1/admin/staff", headers=everyone[username])
        assert response.status_code == status, username
        if status == 403:
            assert response.json()["code"] == "forbidden"
    anonymous = await client.get("/api/v1/admin/staff")
    assert anonymous.status_code == 401


async def test_admin_lists_only_dukcapil_accounts(client, everyone):
    listed = (await client.get("/api/v1/admin/staff", headers=everyone["dukcapil"])).json()
    assert [row["username"] for row in listed] == ["analis", "dukcapil"]
    assert all("password" not in key for row in listed for key in row)


async def test_admin_cannot_create_partner_accounts_here(client, everyone):
    response = await client.post(
        "/api/v1/admin/staff",
        json={
            "username": "toko.kasir",
            "password": "panjang-sekali-123",
            "display_name": "Kasir",
            "role": "cashier",
        },
        headers=everyone["dukcapil"],
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"


async def test_new_account_rules(client, everyone):
    bad = await client.post(
        "/api/v1/admin/staff",
        json={"username": "A B", "password": "pendek", "display_name": "  ", "role": "dukcapil_analyst"},
        headers=everyone["dukcapil"],
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"username", "password", "display_name"}
    taken = await client.post(
        "/api/v1/admin/staff",
        json={
            "username": "analis",
            "password": "panjang-sekali-123",
            "display_name": "X",
            "role": "dukcapil_analyst",
        },
        headers=everyone["dukcapil"],
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "username_taken"


async def test_disabling_an_account_ends_its_sessions_at_once(client, everyone):
    listed = (await client.get("/api/v1/admin/staff", headers=everyone["dukcapil"])).json()
    analyst_id = next(row["id"] for row in listed if row["username"] == "analis")

    response = await client.patch(
        f"/api/v1/admin/staff/{analyst_id}", json={"active": False}, headers=everyone["dukcapil"]
    )

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert (await client.get("/api/v1/auth/me", headers=everyone["analis"])).status_code == 401
    relogin = await client.post("/api/v1/auth/login", json={"username": "analis", "password": PASSWORD})
    assert relogin.status_code == 401


async def test_password_reset_ends_sessions_and_the_new_password_works(client, everyone):
    listed = (await client.get("/api/v1/admin/staff", headers=everyone["dukcapil"])).json()
    analyst_id = next(row["id"] for row in listed if row["username"] == "analis")
    response = await client.patch(
        f"/api/v1/admin/staff/{analyst_id}",
        json={"password": "kata-sandi-baru-99"},
        headers=everyone["dukcapil"],
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=everyone["analis"])).status_code == 401
    await login(client, "analis", "kata-sandi-baru-99")


async def test_partner_staff_of_another_kind_answers_404_here(client, everyone):
    me = (await client.get("/api/v1/auth/me", headers=everyone["gramedia.kasir"])).json()
    response = await client.patch(
        f"/api/v1/admin/staff/{me['id']}", json={"active": False}, headers=everyone["dukcapil"]
    )
    assert response.status_code == 404
