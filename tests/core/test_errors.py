"""Every error a client can meet is problem+json with a stable code, in Indonesian by default, English on request."""

from __future__ import annotations

import re

import httpx
from litestar import get

from tests.conftest import login
from tests.helpers import PASSWORD

PROBLEM = "application/problem+json"


async def test_unknown_address_is_a_404_problem(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["type"] == "urn:mitrakia:problem:not_found"
    assert body["title"] == "Tidak ditemukan"


async def test_english_on_request(client):
    response = await client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert response.json()["title"] == "Not found"
    assert response.headers["content-language"] == "en"


async def test_language_negotiation_prefers_the_higher_quality(client):
    response = await client.get("/nothing", headers={"Accept-Language": "fr, en;q=0.4, id;q=0.8"})
    assert response.headers["content-language"] == "id"
    response = await client.get("/nothing", headers={"Accept-Language": "fr, id;q=0.2, en;q=0.8"})
    assert response.headers["content-language"] == "en"


async def test_wrong_method_is_405(client):
    response = await client.delete("/health")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_oversized_body_is_413_and_changes_nothing(make_client, settings):
    client = await make_client(settings.replace(max_body_bytes=2048))
    response = await client.post("/api/v1/auth/login", content=b'{"username": "' + b"a" * 4096 + b'", "password": "x"}')
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "body_too_large"


async def test_malformed_json_is_a_400_problem(client):
    response = await client.post(
        "/api/v1/auth/login", content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


async def test_a_json_body_that_is_not_utf8_is_a_400_problem_and_changes_nothing(till):
    """JSON is UTF-8 (RFC 8259); bytes that are not (`\\xff\\xfe` inside a string) were a 500 (msgspec raises
    UnicodeDecodeError, not a decode error). Anonymous or signed in, whatever the Content-Type says."""
    client, world = till.client, till.world
    before = (await client.get(world.url("/outlets"), headers=world.manager)).json()
    sent = [
        ("/api/v1/auth/login", b'{"username": "\xff\xfe", "password": "x"}', {}),
        (world.url("/outlets"), b'{"name": "Pelangi \xff\xfe", "address": "Jl. Soeprapto"}', world.manager),
        (world.url("/outlets"), b'{"name": "Pelangi \xc3"}', {**world.manager, "Content-Type": "text/plain"}),
    ]
    for path, body, headers in sent:
        response = await client.post(path, content=body, headers={"Content-Type": "application/json", **headers})
        assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM), (path, response.text)
        assert response.json()["code"] == "malformed_request"
    english = await client.post("/api/v1/auth/login", content=sent[0][1], headers={"Accept-Language": "en"})
    assert english.json()["title"] == "The request could not be read"
    assert (await client.get(world.url("/outlets"), headers=world.manager)).json() == before


async def test_a_form_field_that_is_not_utf8_is_a_400_problem_on_the_pages(make_client, create_staff):
    """The pages' CSRF check reads a form before any handler: a multipart text field that is not UTF-8 was a 500
    there. Nothing is signed in by it."""
    client = await make_client()
    client.base_url = httpx.URL("https://testserver")
    await create_staff("dukcapil", "dukcapil_admin")
    form = await client.get("/masuk")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n' + token.group(1).encode()
        + b'\r\n--XX\r\nContent-Disposition: form-data; name="username"\r\n\r\ndukcapil\xff\xfe'
        + b'\r\n--XX\r\nContent-Disposition: form-data; name="password"\r\n\r\n' + PASSWORD.encode()
        + b"\r\n--XX--\r\n"
    )  # fmt: skip
    response = await client.post("/masuk", content=body, headers={"Content-Type": "multipart/form-data; boundary=XX"})
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert response.json()["code"] == "malformed_request"
    assert "mitrakia_session" not in response.headers.get("set-cookie", "")


async def test_a_nul_in_a_query_parameter_or_a_path_is_refused_before_any_handler(client, create_staff):
    """PostgreSQL cannot compare text with a NUL (`?parent=17%00` was a 500 there): one guard refuses a NUL anywhere
    in the address, naming the parameter, before a handler or a database sees it."""
    await create_staff("ditjen.admin", "dukcapil_admin", region=None)  # may use every route below
    headers = await login(client, "ditjen.admin", PASSWORD)
    refused = [
        ("GET", "/api/v1/regions?parent=17%00", "parent"),
        ("GET", "/api/v1/regions?level=kecamatan&parent=17.71&parent%00=1", "parent\\0"),
        ("POST", "/api/v1/admin/keys/kid%00/retire", "kid"),
        ("GET", "/static/kasir%00.js", "file_path"),
    ]
    for method, path, field in refused:
        response = await client.request(method, path, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM), (path, response.text)
        body = response.json()
        assert body["code"] == "validation_failed"
        assert body["errors"] == [
            {"field": field, "code": "nul_character", "message": "Teks tidak boleh berisi karakter NUL (\\0)."}
        ], path
    # `%2500` is the three characters `%00`, not a NUL: an ordinary (empty) answer.
    assert (await client.get("/api/v1/regions?parent=17%2500")).status_code == 200


async def test_field_problems_name_the_field_in_both_languages(client):
    indonesian = await client.post("/api/v1/auth/login", json={"username": "x"})
    english = await client.post("/api/v1/auth/login", json={"username": "x"}, headers={"Accept-Language": "en"})
    assert indonesian.status_code == 422
    assert indonesian.json()["errors"] == [{"field": "password", "code": "required", "message": "Wajib diisi."}]
    assert english.json()["errors"] == [{"field": "password", "code": "required", "message": "This field is required."}]


async def test_a_crash_is_a_500_problem_without_internals(capsys, client):
    @get("/boom", opt={"public": True}, sync_to_thread=False)
    def boom() -> None:
        secret_value = "hunter2-password"  # noqa: F841 - must not leak through locals
        raise RuntimeError("database password is hunter2")

    client.app.register(boom)
    response = await client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "internal_error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    logged = capsys.readouterr().out
    assert "http.unhandled_error" in logged
    assert "hunter2-password" not in logged  # locals are not logged


async def test_request_id_is_echoed_in_a_header(client):
    response = await client.get("/api/v1/auth/me", headers={"X-Request-ID": "till-7-abcdef12"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "till-7-abcdef12"
    # Not in the body: a retried request must get byte-for-byte the first answer (Idempotency-Key).
    assert "request_id" not in response.json()
    generated = await client.get("/api/v1/auth/me")
    assert len(generated.headers["x-request-id"]) == 36
