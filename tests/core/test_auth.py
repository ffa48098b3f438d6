"""Staff login, tokens, logout, throttling: what a cashier, a manager or an attacker would notice."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from core.auth import TOKEN_AUDIENCE, TOKEN_ISSUER, token_secret
from core.tables import Role
from tests.conftest import login

PASSWORD = "correct-horse-battery"


async def test_login_returns_a_bearer_token_that_opens_me(client, create_staff):
    await create_staff("gramedia.kasir", Role.CASHIER)

    response = await client.post("/api/v1/auth/login", json={"username": "gramedia.kasir", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert set(body) == {"access_token", "token_type", "expires_in", "device_token"}
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "gramedia.kasir"
    assert me.json()["role"] == "cashier"


async def test_username_is_case_insensitive(client, create_staff):
    await create_staff("analis", Role.DUKCAPIL_ANALYST)
    headers = await login(client, "  ANALIS ", PASSWORD)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200


async def test_wrong_password_is_a_problem_in_indonesian_and_english(client, create_staff):
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)

    indonesian = await client.post("/api/v1/auth/login", json={"username": "dukcapil", "password": "salah"})
    english = await client.post(
        "/api/v1/auth/login",
        json={"username": "dukcapil", "password": "wrong"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )

    assert indonesian.status_code == english.status_code == 401
    assert indonesian.headers["content-type"] == "application/problem+json"
    assert indonesian.json()["code"] == english.json()["code"] == "invalid_credentials"
    assert indonesian.json()["title"] == "Nama pengguna atau kata sandi salah"
    assert english.json()["title"] == "Wrong username or password"
    assert "access_token" not in indonesian.text


async def test_unknown_user_and_wrong_password_look_the_same(client, create_staff):
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    unknown = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    wrong = await client.post("/api/v1/auth/login", json={"username": "dukcapil", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


async def test_five_wrong_passwords_lock_the_username_with_retry_after(client, create_staff):
    await create_staff("gramedia.kasir", Role.CASHIER)

    statuses = []
    for _ in range(5):
        response = await client.post("/api/v1/auth/login", json={"username": "gramedia.kasir", "password": "nope"})
        statuses.append(response.status_code)

    assert statuses == [401, 401, 401, 401, 429]
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "login_throttled"
    # Even the right password is refused until the window passes.
    right = await client.post("/api/v1/auth/login", json={"username": "gramedia.kasir", "password": PASSWORD})
    assert right.status_code == 429
    assert 0 < int(right.headers["Retry-After"]) <= 900


async def test_successful_login_clears_earlier_failures(client, create_staff):
    await create_staff("gramedia.kasir", Role.CASHIER)
    for _ in range(4):
        await client.post("/api/v1/auth/login", json={"username": "gramedia.kasir", "password": "nope"})
    await login(client, "gramedia.kasir", PASSWORD)
    for _ in range(4):
        response = await client.post("/api/v1/auth/login", json={"username": "gramedia.kasir", "password": "nope"})
    assert response.status_code == 401


async def test_one_address_guessing_many_usernames_is_throttled(make_client, settings, create_staff):
    client = await make_client(settings.replace(login_max_failures_per_ip=6), client_ip="203.0.113.9")
    other = await make_client(settings.replace(login_max_failures_per_ip=6), client_ip="198.51.100.7")
    await create_staff("analis", Role.DUKCAPIL_ANALYST)
    statuses = [
        (await client.post("/api/v1/auth/login", json={"username": f"user{i}", "password": "x"})).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    # Another address is not punished for it.
    assert (
        await other.post("/api/v1/auth/login", json={"username": "analis", "password": PASSWORD})
    ).status_code == 200


async def test_logout_revokes_the_token(client, create_staff):
    await create_staff("gramedia.manajer", Role.PARTNER_MANAGER)
    headers = await login(client, "gramedia.manajer", PASSWORD)

    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204

    after = await client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["code"] == "not_authenticated"
    # A new login gets a new, working token.
    fresh = await login(client, "gramedia.manajer", PASSWORD)
    assert (await client.get("/api/v1/auth/me", headers=fresh)).status_code == 200


async def test_logout_survives_an_app_restart(make_client, create_staff):
    """Revocation is recorded in the database, so a restart (or a Redis flush) does not revive the token."""
    await create_staff("gramedia.manajer", Role.PARTNER_MANAGER)
    first = await make_client()
    headers = await login(first, "gramedia.manajer", PASSWORD)
    await first.post("/api/v1/auth/logout", headers=headers)

    second = await make_client()
    assert (await second.get("/api/v1/auth/me", headers=headers)).status_code == 401


def _claims(user_id: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
    }
    claims.update(overrides)
    return claims


async def test_forged_tokens_are_refused(client, create_staff, settings):
    user = await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    headers = await login(client, "dukcapil", PASSWORD)
    real = headers["Authorization"].split()[1]
    header_b64, payload_b64, signature = real.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
    secret = token_secret(settings)

    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    forged = {
        "tampered payload": f"{header_b64}.{b64({**payload, 'sub': str(uuid.uuid4())})}.{signature}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload_b64}.",
        "wrong secret": jwt.encode(_claims(str(user.id), jti=payload["jti"]), "another-secret" * 4, "HS256"),
        "expired": jwt.encode(_claims(str(user.id), jti=payload["jti"], exp=int(time.time()) - 5), secret, "HS256"),
        "wrong audience": jwt.encode(_claims(str(user.id), jti=payload["jti"], aud="someone-else"), secret, "HS256"),
        "wrong issuer": jwt.encode(_claims(str(user.id), jti=payload["jti"], iss="evil"), secret, "HS256"),
        "unknown session": jwt.encode(_claims(str(user.id)), secret, "HS256"),
        "garbage": "not-a-token",
    }
    for name, token in forged.items():
        response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json", name
    # The genuine token still works.
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200


@pytest.mark.parametrize("body", [{}, {"username": "x"}, {"username": 5, "password": "x"}, {"a": 1}])
async def test_malformed_login_bodies_are_field_problems(client, body):
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["errors"], response.text
    assert all(error["field"] and error["message"] for error in response.json()["errors"])


async def test_a_remembered_device_renews_its_token_until_logout(client, create_staff):
    await create_staff("gramedia.kasir", Role.CASHIER)
    login_response = await client.post(
        "/api/v1/auth/login", json={"username": "gramedia.kasir", "password": PASSWORD, "remember": True}
    )
    body = login_response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_expires_in"] == 30 * 24 * 3600
    first_refresh = body["refresh_token"]

    renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": first_refresh})
    assert renewed.status_code == 200
    fresh = renewed.json()
    assert fresh["refresh_token"] != first_refresh
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200

    await client.post("/api/v1/auth/logout", headers=headers)
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert again.status_code == 401


async def test_a_copied_refresh_token_ends_the_session(client, create_staff):
    await create_staff("gramedia.kasir", Role.CASHIER)
    body = (
        await client.post(
            "/api/v1/auth/login", json={"username": "gramedia.kasir", "password": PASSWORD, "remember": True}
        )
    ).json()
    stolen = body["refresh_token"]
    legit = (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})).json()
    # The thief presents the old token: refused, and the device's own session ends too.
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})).status_code == 401
    headers = {"Authorization": f"Bearer {legit['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": legit["refresh_token"]})
    ).status_code == 401


async def test_without_remember_there_is_no_refresh_token(client, create_staff):
    await create_staff("analis", Role.DUKCAPIL_ANALYST)
    body = (await client.post("/api/v1/auth/login", json={"username": "analis", "password": PASSWORD})).json()
    assert set(body) == {"access_token", "token_type", "expires_in", "device_token"}
