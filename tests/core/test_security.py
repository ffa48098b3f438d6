"""An attacker's view of staff sign-in and of the HTTP surface: forged tokens and cookies, guessing passwords,
hostile bodies, framing, sniffing, cross-origin calls. Each is refused the way a client can rely on, never a 500."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core.auth import token_secret
from core.tables import Role
from tests.conftest import login
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD

PROBLEM = "application/problem+json"
FOREIGN = "https://evil.example"


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def forgeries(genuine: str, secret: str, public_jwk: dict[str, Any]) -> dict[str, str]:
    """Every way we know to make a token that names a real session and user without holding the key."""
    claims = claims_of(genuine)
    header_b64, payload_b64, signature = genuine.split(".")
    now = int(time.time())
    admin = {**claims, "role": Role.DUKCAPIL_ADMIN.value, "roles": ["dukcapil_admin"], "scopes": ["*"]}
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The service's own published key (the JWKS that verifies card QR codes), as an attacker would read it.
    published = json.dumps(public_jwk).encode()
    published_x = base64.urlsafe_b64decode(str(public_jwk.get("x", "")) + "==")
    own_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    return {
        "expired": jwt.encode({**claims, "exp": now - 5, "iat": now - 900}, secret, "HS256"),
        "not yet issued (iat in the future is not a way round exp)": jwt.encode(
            {**claims, "iat": now + 3600, "exp": now - 1}, secret, "HS256"
        ),
        "wrong audience": jwt.encode({**claims, "aud": "mitrakia:cards"}, secret, "HS256"),
        "no audience": jwt.encode({k: v for k, v in claims.items() if k != "aud"}, secret, "HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "https://evil.example"}, secret, "HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret, "HS256"),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload_b64}.",
        "alg None, signature kept": f"{b64({'alg': 'None', 'typ': 'JWT'})}.{payload_b64}.{signature}",
        "alg none, admin role": f"{b64({'alg': 'none'})}.{b64(admin)}.",
        "HS512 with the right secret (only HS256 is accepted)": jwt.encode(claims, secret, "HS512"),
        "HS256 keyed with an RSA public key PEM": _hmac_token(claims, rsa_public),
        "HS256 keyed with the published JWKS": _hmac_token(claims, published),
        "HS256 keyed with the published key's raw bytes": _hmac_token(claims, published_x),
        "RS256 with the attacker's key": jwt.encode(claims, rsa_key, "RS256"),
        "RS256 with the attacker's key in a jwk header": jwt.encode(claims, rsa_key, "RS256", headers={"jwk": own_jwk}),
        "ES256 with the attacker's key": jwt.encode(claims, ec_key, "ES256"),
        "EdDSA kid of the published key, HS256 body": _hmac_token(claims, published, kid=public_jwk.get("kid")),
        "role claim added, signature kept": f"{header_b64}.{b64(admin)}.{signature}",
        "role claim added, re-signed with a wrong key": jwt.encode(admin, "not-the-secret" * 4, "HS256"),
        "role claim added, unsigned": f"{header_b64}.{b64(admin)}.",
        "another user's id, signature kept": f"{header_b64}.{b64({**claims, 'sub': str(uuid.uuid4())})}.{signature}",
        "two dots only": "..",
        "garbage": "not-a-token",
        "non-JSON payload": f"{header_b64}.{b64(b'[1,2')}.{signature}",
        "huge header": f"{b64({'alg': 'HS256', 'x': 'A' * 6000})}.{payload_b64}.{signature}",
        "nested crit header": jwt.encode(claims, secret, "HS256", headers={"crit": ["exp"], "b64": False}),
    }


def _hmac_token(claims: dict[str, Any], key: bytes, kid: Any = None) -> str:
    """PyJWT refuses to HMAC with a PEM key (itself a defence); build the token by hand as an attacker would."""
    import hashlib
    import hmac

    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{b64(header)}.{b64(claims)}".encode()
    return signing_input.decode() + "." + b64(hmac.new(key, signing_input, hashlib.sha256).digest())


async def published_jwk(client: httpx.AsyncClient, settings) -> dict[str, Any]:
    from verification.service import keys

    await keys.rotate(settings, None)
    jwks = await client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200, jwks.text
    return jwks.json()["keys"][0]


async def test_forged_and_stale_staff_tokens_are_refused_with_a_problem(client, create_staff, settings):
    await create_staff("gramedia.kasir", Role.CASHIER)
    headers = await login(client, "gramedia.kasir", PASSWORD)
    genuine = headers["Authorization"].split()[1]
    forged = forgeries(genuine, token_secret(settings), await published_jwk(client, settings))

    for name, token in forged.items():
        response = await client.get("/api/v1/admin/reports/coverage", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (name, response.status_code, response.text)
        assert response.headers["content-type"] == PROBLEM, name
        assert response.json()["code"] == "not_authenticated", name
    # Nothing above disturbed the real session.
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200


async def test_a_role_claim_in_a_valid_token_grants_nothing(client, create_staff, settings):
    """The role comes from the account row, never from the token: even a correctly signed token that says
    `role: dukcapil_admin` is a cashier's token."""
    await create_staff("gramedia.kasir", Role.CASHIER)
    genuine = (await login(client, "gramedia.kasir", PASSWORD))["Authorization"].split()[1]
    claims = {**claims_of(genuine), "role": "dukcapil_admin", "roles": ["dukcapil_admin"]}
    boosted = {"Authorization": f"Bearer {jwt.encode(claims, token_secret(settings), 'HS256')}"}
    me = await client.get("/api/v1/auth/me", headers=boosted)
    assert me.status_code == 200
    assert me.json()["role"] == "cashier"
    refused = await client.get("/api/v1/admin/reports/coverage", headers=boosted)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM


async def test_tokens_die_with_logout_and_with_a_disabled_account(client, create_staff):
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    analyst = await create_staff("analis", Role.DUKCAPIL_ANALYST)
    admin = await login(client, "dukcapil", PASSWORD)

    kept = await login(client, "analis", PASSWORD)
    out = await login(client, "analis", PASSWORD)
    assert (await client.post("/api/v1/auth/logout", headers=out)).status_code == 204
    refused = await client.get("/api/v1/auth/me", headers=out)
    assert (refused.status_code, refused.headers["content-type"]) == (401, PROBLEM)
    # Logging out one device ends that session only.
    assert (await client.get("/api/v1/auth/me", headers=kept)).status_code == 200
    # A second logout with the dead token is refused too, not a 500.
    again = await client.post("/api/v1/auth/logout", headers=out)
    assert (again.status_code, again.headers["content-type"]) == (401, PROBLEM)

    disabled = await client.patch(f"/api/v1/admin/staff/{analyst.id}", json={"active": False}, headers=admin)
    assert disabled.status_code == 200, disabled.text
    gone = await client.get("/api/v1/admin/reports/coverage", headers=kept)
    assert (gone.status_code, gone.headers["content-type"]) == (401, PROBLEM)


async def test_forged_page_cookies_send_the_reader_to_sign_in(make_client, create_staff, settings):
    """The same forgeries as a page session cookie: the consoles answer as for a stranger (sign in), never 500."""
    browser = await page_client(make_client)
    await create_staff("analis", Role.DUKCAPIL_ANALYST)
    await sign_in(browser, "analis")
    genuine = browser.cookies.get("mitrakia_session")
    assert genuine
    assert (await browser.get("/admin/")).status_code == 200
    forged = forgeries(genuine, token_secret(settings), await published_jwk(browser, settings))

    stranger = await page_client(make_client)
    for name, token in forged.items():
        stranger.cookies.clear()
        stranger.cookies.set("mitrakia_session", token)
        response = await stranger.get("/admin/")
        assert response.status_code == 303, (name, response.status_code)
        assert response.headers["location"].startswith("/masuk"), name
        # The JSON API never takes the cookie, forged or not.
        api = await stranger.get("/api/v1/auth/me")
        assert (api.status_code, api.headers["content-type"]) == (401, PROBLEM), name


async def test_guessing_a_password_on_the_sign_in_page_is_throttled_too(make_client, create_staff):
    """The page and the API share one counter per username: switching from one to the other gains nothing."""
    browser = await page_client(make_client)
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    statuses = [(await sign_in(browser, "dukcapil", password=f"guess-{i}")).status_code for i in range(3)]
    api = [
        (await browser.post("/api/v1/auth/login", json={"username": "DUKCAPIL", "password": "x"})).status_code
        for _ in range(2)
    ]
    assert statuses + api == [401, 401, 401, 401, 429]
    page = await sign_in(browser, "dukcapil")  # even the right password, until the window passes
    assert page.status_code == 429
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "mitrakia_session" not in page.headers.get("set-cookie", "")
    assert "Terlalu banyak percobaan" in page.text or "coba lagi" in page.text.lower()
    api_right = await browser.post("/api/v1/auth/login", json={"username": "dukcapil", "password": PASSWORD})
    assert (api_right.status_code, api_right.headers["content-type"]) == (429, PROBLEM)
    assert int(api_right.headers["retry-after"]) > 0


async def test_many_usernames_from_one_address_are_throttled_on_the_page(make_client, settings, create_staff):
    client = await make_client(settings.replace(login_max_failures_per_ip=4), client_ip="203.0.113.50")
    client.base_url = httpx.URL("https://testserver")
    statuses = [(await sign_in(client, f"tebakan{i}", password="x")).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


# --- Bodies ------------------------------------------------------------------------------------------------------


async def test_an_oversized_body_is_a_413_problem_on_every_kind_of_endpoint(make_client, settings, create_staff):
    client = await make_client(settings.replace(max_body_bytes=4096))
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    headers = await login(client, "dukcapil", PASSWORD)
    big = json.dumps({"partner": {"name": "x" * 10_000}}).encode()
    for path, extra in [
        ("/api/v1/partners/registrations", {}),
        ("/api/v1/auth/login", {}),
        ("/api/v1/admin/population", headers),
    ]:
        response = await client.post(path, content=big, headers={"Content-Type": "application/json", **extra})
        assert response.status_code == 413, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "body_too_large"

    # A body that lies about its length is refused the same way, before it is read.
    async def chunks():
        for _ in range(16):
            yield b"x" * 1024

    streamed = await client.post(
        "/api/v1/partners/registrations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert (await client.get("/api/v1/partners/registrations")).status_code in {401, 404, 405}


@pytest.mark.parametrize("depth", [64, 2_000, 100_000])
async def test_deeply_nested_json_is_refused_cleanly(client, depth):
    """Tens of thousands of nested arrays (a few hundred kB): a 4xx problem at once, no recursion error, no 500."""
    body = b'{"partner": ' + b"[" * depth + b"]" * depth + b', "manager": {}}'
    started = time.perf_counter()
    response = await client.post(
        "/api/v1/partners/registrations", content=body, headers={"Content-Type": "application/json"}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code in {400, 413, 422}, response.text[:300]
    assert response.headers["content-type"] == PROBLEM
    assert elapsed < 5, f"{elapsed:.1f} s for a {len(body)} byte body"  # a hang, not a speed target


async def test_deeply_nested_json_in_the_till_is_refused_cleanly(till):
    body = b'{"qr": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}"
    response = await till.client.post(
        "/api/v1/verification/scan", content=body, headers={**till.world.cashier, "Content-Type": "application/json"}
    )
    assert response.status_code in {400, 413, 422}
    assert response.headers["content-type"] == PROBLEM


# --- Headers, cookies, CORS --------------------------------------------------------------------------------------

HTML_PAGES = ["/masuk", "/penawaran", "/mitra/daftar", "/kasir", "/admin/", "/mitra/", "/no-such-page"]


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


async def test_every_html_page_carries_the_security_headers(make_client, create_staff):
    browser = await page_client(make_client)
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    await sign_in(browser, "dukcapil")
    pages = [*HTML_PAGES, "/admin/registri/", "/admin/penduduk/", "/admin/kartu/", "/admin/staf/", "/admin/audit/"]
    for path in pages:
        response = await browser.get(path, headers={"Accept": "text/html"})
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        csp = _csp(response)
        assert csp, path
        for directive in ("script-src", "style-src", "default-src"):
            assert "'unsafe-inline'" not in csp.get(directive, ""), (path, directive)
            assert "'unsafe-eval'" not in csp.get(directive, ""), (path, directive)
        assert csp["script-src"] == "script-src 'self'", path
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", path
        assert csp["object-src"] == "object-src 'none'", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] in {"same-origin", "no-referrer", "strict-origin"}, path
        assert response.headers["x-frame-options"] == "DENY", path
        # No inline script or style that the policy would have to allow (JSON data blocks are not scripts).
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", response.text), path
        assert not re.search(r"\sstyle=\"|<style[\s>]", response.text), path
        assert not re.search(r"\son[a-z]+=\"", response.text), path


async def test_api_answers_are_not_sniffed_or_leaked_by_referrer(client):
    for path in ["/api/v1/auth/me", "/health", "/.well-known/jwks.json", "/api/v1/catalog/offers"]:
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"], path


def set_cookies(response: httpx.Response) -> list[str]:
    return [value for name, value in response.headers.multi_items() if name == "set-cookie"]


def assert_hardened(cookie: str) -> None:
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes, cookie
    assert "secure" in attributes, cookie
    assert attributes.get("samesite", "").lower() in {"samesite=lax", "samesite=strict"}, cookie
    # The trusted-device cookie goes only to the sign-in form; every other cookie to the whole site.
    assert attributes.get("path") == ("Path=/masuk" if cookie.startswith("mitrakia_device=") else "Path=/"), cookie


async def test_every_cookie_we_set_is_httponly_secure_and_samesite(make_client, create_staff):
    browser = await page_client(make_client)
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    seen: dict[str, list[str]] = {}

    def collect(response: httpx.Response) -> httpx.Response:
        for cookie in set_cookies(response):
            seen.setdefault(cookie.split("=")[0], []).append(cookie)
        return response

    collect(await browser.get("/masuk"))  # the CSRF cookie
    collect(await sign_in(browser, "dukcapil", password="wrong-password"))
    collect(await sign_in(browser, "dukcapil"))  # the session cookie
    collect(await browser.get("/bahasa", params={"to": "en", "next": "/admin/"}))  # the language cookie
    page = collect(await browser.get("/admin/"))
    collect(await browser.post("/keluar", data={"_csrf_token": CSRF.search(page.text).group(1)}))  # deletion

    assert {"mitrakia_session", "mitrakia_csrf", "mitrakia_lang"} <= set(seen)
    for cookies in seen.values():
        for cookie in cookies:
            assert_hardened(cookie)


async def test_cors_is_closed_to_other_origins(client, create_staff):
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    headers = await login(client, "dukcapil", PASSWORD)
    for path in ["/api/v1/auth/me", "/api/v1/catalog/offers", "/.well-known/jwks.json", "/masuk"]:
        response = await client.get(path, headers={**headers, "Origin": FOREIGN})
        assert "access-control-allow-origin" not in response.headers, path
        assert "access-control-allow-credentials" not in response.headers, path
        preflight = await client.options(
            path,
            headers={
                "Origin": FOREIGN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert "access-control-allow-origin" not in preflight.headers, path
        assert "access-control-allow-methods" not in preflight.headers, path
        assert preflight.status_code >= 400 or (preflight.status_code == 204 and not preflight.content), path
        assert preflight.status_code < 500, path
    login_preflight = await client.options(
        "/api/v1/auth/login", headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in login_preflight.headers
