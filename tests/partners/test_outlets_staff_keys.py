"""Outlets, staff and API keys as a partner manager runs them."""

from __future__ import annotations

import hashlib

import pytest

from partners.tables import ApiKey
from tests.conftest import login
from tests.helpers import PASSWORD, approved_partner, dukcapil_headers, outlet_body, published_offer


@pytest.fixture
async def world(client, create_staff):
    return await approved_partner(client, await dukcapil_headers(client, create_staff))


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"kelurahan_code": "17.71.03"}, "kelurahan_code", "unknown_kelurahan"),  # a kecamatan, not a kelurahan
        ({"kelurahan_code": "17.71.03.9999"}, "kelurahan_code", "unknown_kelurahan"),
        ({"timezone": "Europe/Paris"}, "timezone", "unknown_timezone"),
        (
            {"opening_hours": {"mon": [{"open": "21:00", "close": "09:00"}]}},
            "opening_hours.mon[0]",
            "close_before_open",
        ),
        ({"opening_hours": {"mon": [{"open": "9", "close": "21:00"}]}}, "opening_hours.mon[0]", "invalid_time"),
        ({"opening_hours": {"senin": []}}, "opening_hours.senin", "unknown_weekday"),
        ({"name": " "}, "name", "invalid_name"),
    ],
)
async def test_outlet_rules(client, world, change, field, code):
    response = await client.post(world.url("/outlets"), json=outlet_body() | change, headers=world.manager)
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


async def test_outlet_in_another_zone_and_with_a_lunch_break(client, world):
    body = outlet_body() | {
        "timezone": "Asia/Makassar",
        "opening_hours": {"sat": [{"open": "08:00", "close": "12:00"}, {"open": "13:00", "close": "24:00"}]},
    }
    created = await client.post(world.url("/outlets"), json=body, headers=world.manager)
    assert created.status_code == 201
    assert created.json()["timezone"] == "Asia/Makassar"
    assert created.json()["opening_hours"] == {
        "sat": [{"open": "08:00", "close": "12:00"}, {"open": "13:00", "close": "24:00"}]
    }


async def test_a_deactivated_outlet_leaves_the_catalog(client, world):
    await published_offer(client, world)
    assert len((await client.get("/api/v1/catalog/offers")).json()) == 1
    response = await client.put(
        world.url(f"/outlets/{world.outlet_id}"), json=outlet_body() | {"active": False}, headers=world.manager
    )
    assert response.json()["active"] is False
    # The offer has nowhere left to be used, so the catalog no longer shows it.
    assert (await client.get("/api/v1/catalog/offers")).json() == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"role": "cashier"}, "outlet_id", "outlet_required"),
        ({"role": "partner_manager", "outlet_id": "OUTLET"}, "outlet_id", "manager_has_no_outlet"),
        ({"role": "cashier", "outlet_id": "00000000-0000-4000-8000-000000000000"}, "outlet_id", "unknown_outlet"),
        ({"role": "cashier", "outlet_id": "OUTLET", "username": "pelangi.kasir"}, "username", "username_taken"),
        ({"role": "cashier", "outlet_id": "OUTLET", "password": "pendek"}, "password", "password_too_short"),
    ],
)
async def test_staff_rules(client, world, body, field, code):
    payload = {"username": "kasir.baru", "password": PASSWORD, "display_name": "Kasir Baru"} | body
    if payload.get("outlet_id") == "OUTLET":
        payload["outlet_id"] = world.outlet_id
    response = await client.post(world.url("/staff"), json=payload, headers=world.manager)
    assert response.status_code == 422
    assert (field, code) in [(e["field"], e["code"]) for e in response.json()["errors"]]


async def test_disabling_a_cashier_locks_them_out_at_once(client, world):
    cashier_id = (await client.get("/api/v1/auth/me", headers=world.cashier)).json()["id"]
    response = await client.patch(world.url(f"/staff/{cashier_id}"), json={"active": False}, headers=world.manager)
    assert response.json()["active"] is False
    assert (await client.get("/api/v1/partners/me", headers=world.cashier)).status_code == 401


async def test_a_manager_cannot_disable_themself(client, world):
    manager_id = (await client.get("/api/v1/auth/me", headers=world.manager)).json()["id"]
    response = await client.patch(world.url(f"/staff/{manager_id}"), json={"active": False}, headers=world.manager)
    assert response.status_code == 403
    assert response.json()["code"] == "cannot_disable_self"


async def test_moving_a_cashier_to_another_outlet(client, world):
    second = await client.post(
        world.url("/outlets"), json=outlet_body("Pelangi Panorama", "17.71.09.1001"), headers=world.manager
    )
    cashier_id = (await client.get("/api/v1/auth/me", headers=world.cashier)).json()["id"]
    moved = await client.patch(
        world.url(f"/staff/{cashier_id}"), json={"outlet_id": second.json()["id"]}, headers=world.manager
    )
    assert moved.json()["outlet_id"] == second.json()["id"]
    # The old session ends; after signing in again the cashier works at the new outlet.
    assert (await client.get("/api/v1/partners/me", headers=world.cashier)).status_code == 401
    fresh = await login(client, "pelangi.kasir", PASSWORD)
    assert (await client.get("/api/v1/partners/me", headers=fresh)).json()["outlet"]["name"] == "Pelangi Panorama"


async def test_a_second_manager_manages_the_same_partner(client, world):
    created = await client.post(
        world.url("/staff"),
        json={"username": "pelangi.wakil", "password": PASSWORD, "display_name": "Wakil", "role": "partner_manager"},
        headers=world.manager,
    )
    assert created.status_code == 201
    deputy = await login(client, "pelangi.wakil", PASSWORD)
    assert (await client.get(world.url("/outlets"), headers=deputy)).status_code == 200


async def test_api_key_is_shown_once_stored_hashed_and_works_until_revoked(client, world):
    created = await client.post(
        world.url("/api-keys"),
        json={"name": "Mesin kasir 1", "outlet_id": world.outlet_id, "scopes": ["scan"]},
        headers=world.manager,
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(created.json()["prefix"] + "_")
    assert created.json()["scopes"] == ["scan"]

    listed = (await client.get(world.url("/api-keys"), headers=world.manager)).json()
    assert "key" not in listed[0]
    stored = await ApiKey.select(ApiKey.key_hash).first()
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(stored)

    me = await client.get("/api/v1/partners/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["outlet"]["id"] == world.outlet_id

    revoked = await client.post(world.url(f"/api-keys/{created.json()['id']}/revoke"), headers=world.manager)
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/api/v1/partners/me", headers={"X-API-Key": key})).status_code == 401


@pytest.mark.parametrize("key", ["", "nonsense", "mkia_0000000000_wrong", "mkia__"])
async def test_unknown_api_keys_are_refused(client, world, key):
    response = await client.get("/api/v1/partners/me", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused(client, world):
    created = await client.post(
        world.url("/api-keys"), json={"name": "POS", "outlet_id": world.outlet_id}, headers=world.manager
    )
    forged = created.json()["prefix"] + "_" + "A" * 43
    assert (await client.get("/api/v1/partners/me", headers={"X-API-Key": forged})).status_code == 401
