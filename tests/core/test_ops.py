"""Health, readiness and the OpenAPI schema, as an operator or a load balancer sees them."""

from __future__ import annotations

import socket

from tests.conftest import TEST_REDIS_URL


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_health_needs_nothing(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_dependencies_answer(client):
    response = await client.get("/ready")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"] == ("ok" if TEST_REDIS_URL else "not_configured")


async def test_ready_is_503_naming_redis_when_redis_is_down(make_client, settings):
    client = await make_client(settings.replace(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"))

    response = await client.get("/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert "redis" in body["detail"]
    # Liveness is unaffected: the process is up, it just should not get traffic.
    assert (await client.get("/health")).status_code == 200


async def test_login_still_works_while_redis_is_down(make_client, settings, create_staff):
    """Redis holds only counters; with it gone, staff can still sign in (counted in process instead)."""
    await create_staff("analis", "dukcapil_analyst")
    client = await make_client(settings.replace(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"))
    response = await client.post("/api/v1/auth/login", json={"username": "analis", "password": "correct-horse-battery"})
    assert response.status_code == 200
    statuses = [
        (await client.post("/api/v1/auth/login", json={"username": "analis", "password": "x"})).status_code
        for _ in range(5)
    ]
    assert statuses[-1] == 429


async def test_openapi_schema_lists_the_api(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Mitra KIA"
    for path in ("/api/v1/auth/login", "/api/v1/auth/logout", "/health", "/ready", "/api/v1/regions"):
        assert path in schema["paths"], path
    assert "BearerToken" in schema["components"]["securitySchemes"]
