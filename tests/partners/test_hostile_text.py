"""Hostile text in every text field a partner writes (registration, outlet, offer, staff): right-to-left overrides,
zero-width characters, emoji, NUL bytes, lone surrogates, SQL, template and HTML. Each value is either stored and
read back exactly, and escaped wherever a page shows it, or refused as a 422 problem; never a 500, never run."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.conftest import login
from tests.helpers import PASSWORD, offer_body, outlet_body, registration

PROBLEM = "application/problem+json"
LONE_SURROGATE = "\ud800"  # cannot be encoded as UTF-8; JSON carries it as the escape \\ud800

HOSTILE = {
    "rtl": "Toko \u202eikuB\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "zero-width": "Toko\u200bBuku\u200c\u200d\u2060\ufeff",
    "emoji": "Toko \U0001f4da\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f1ee\U0001f1e9",
    "nul": "Toko\x00Buku",
    "control": "Toko\x1b[31mBuku\x07\r\n",
    "lone surrogate": f"Toko {LONE_SURROGATE} Buku",
    "sql": "Robert'); DROP TABLE partner;-- \" OR 1=1 --",
    "template": "{{7*7}} ${7*7} {% raw %}#{7*7}<%= 7*7 %>",
    "html": '<script>alert(1)</script><img src=x onerror="alert(2)">',
    "breakout": '</script><a id="pwned" href="https://evil.example">klik</a><!--',
}
# What must never reach a page unescaped.
RAW_MARKUP = ["<script>alert(1)", "<img src=x", 'id="pwned"', "</script><a"]


def raw_json(body: Any) -> bytes:
    """JSON as an attacker's client sends it: lone surrogates as escapes, everything else as is."""
    return json.dumps(body, ensure_ascii=True).encode()


async def post_raw(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str] | None = None, method="POST"
):
    return await client.request(
        method, path, content=raw_json(body), headers={"Content-Type": "application/json", **(headers or {})}
    )


def verdict(response: httpx.Response, sent: str, echoed: Any) -> str | None:
    """None when the answer is acceptable: stored and echoed verbatim, or refused as a 4xx problem."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:200]}"
    if response.status_code in {200, 201}:
        # Verbatim; only surrounding white space may be trimmed, as from any form field.
        return None if echoed in {sent, sent.strip()} else f"stored as {echoed!r}"
    if response.status_code in {400, 409, 422} and response.headers.get("content-type") == PROBLEM:
        return None
    return f"unexpected {response.status_code} {response.headers.get('content-type')}: {response.text[:200]}"


def set_path(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value
    return changed


def get_path(body: Any, path: str) -> Any:
    for key in path.split("."):
        if body is None:
            return None
        body = body[int(key)] if isinstance(body, list) else body.get(key)
    return body


TEXT_FIELDS = ["partner.name", "partner.contact_name", "partner.contact_phone", "partner.contact_email",
               "partner.business_id", "manager.display_name", "manager.username", "manager.password"]  # fmt: skip


async def test_hostile_text_in_a_partner_registration(client):
    app, failures = client.app, []
    for index, (kind, value) in enumerate(HOSTILE.items()):
        # One address per kind (same app): an address may register only ten partners an hour.
        transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{index + 1}", 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        for field in TEXT_FIELDS:
            username = f"h{index}.{field.split('.')[1].replace('_', '')}"
            body = set_path(registration(username=username), field, value if field != "manager.password" else value * 2)
            response = await post_raw(client, "/api/v1/partners/registrations", body)
            sent = get_path(body, field)
            echoed = get_path(response.json(), field) if response.status_code == 201 else None
            if field == "manager.password":  # never echoed: it must sign in with exactly what was sent
                echoed = sent
                if response.status_code == 201:
                    signed_in = await post_raw(client, "/api/v1/auth/login", {"username": username, "password": sent})
                    echoed = sent if signed_in.status_code == 200 else f"login {signed_in.status_code}"
            if field == "manager.display_name" and response.status_code == 201:
                me = await client.get("/api/v1/auth/me", headers=await login(client, username, PASSWORD))
                echoed = me.json()["display_name"]
            if field == "manager.username" and response.status_code == 201:
                echoed = "accepted a username outside the pattern"
            problem = verdict(response, sent, echoed)
            if problem:
                failures.append(f"{field} <- {kind}: {problem}")
        await client.aclose()
    assert failures == [], "\n".join(failures)


async def test_hostile_text_in_outlets_offers_and_staff(till):
    client, world = till.client, till.world
    failures = []
    for kind, value in HOSTILE.items():
        for field in ["name", "address", "kelurahan_code", "timezone", "opening_hours.mon.0.open"]:
            body = outlet_body()
            response = await post_raw(client, world.url("/outlets"), set_path(body, field, value), world.manager)
            echoed = get_path(response.json(), field) if response.status_code == 201 else None
            if field in {"kelurahan_code", "timezone", "opening_hours.mon.0.open"} and response.status_code == 201:
                echoed = "accepted"
            problem = verdict(response, value, echoed)
            if problem:
                failures.append(f"outlet.{field} <- {kind}: {problem}")
        odd_day = await post_raw(
            client, world.url("/outlets"), {**outlet_body(), "opening_hours": {value: []}}, world.manager
        )
        if odd_day.status_code not in {422, 400}:
            failures.append(f"outlet.opening_hours key <- {kind}: {odd_day.status_code}")

        for field in ["title", "title_en", "description", "description_en", "terms", "terms_en"]:
            response = await post_raw(client, world.url("/offers"), {**offer_body(), field: value}, world.manager)
            echoed = get_path(response.json(), f"rules.{field}") if response.status_code == 201 else None
            problem = verdict(response, value, echoed)
            if problem:
                failures.append(f"offer.{field} <- {kind}: {problem}")
        for field, body in [
            ("regions", {**offer_body(), "regions": [value]}),
            ("hours", {**offer_body(), "hours": {"open": value, "close": "21:00"}}),
            ("blackout_dates", {**offer_body(), "blackout_dates": [{"from": value, "to": value}]}),
        ]:
            response = await post_raw(client, world.url("/offers"), body, world.manager)
            if response.status_code not in {400, 422} or response.headers["content-type"] != PROBLEM:
                failures.append(f"offer.{field} <- {kind}: {response.status_code} {response.text[:150]}")

        for field in ["display_name", "username", "password"]:
            username = f"kasir.{uuid.uuid4().hex[:8]}"
            body = {"username": username, "password": PASSWORD, "display_name": "Kasir", "role": "cashier",
                    "outlet_id": world.outlet_id, field: value if field != "password" else value * 2}  # fmt: skip
            response = await post_raw(client, world.url("/staff"), body, world.manager)
            echoed = get_path(response.json(), field) if response.status_code == 201 else None
            if field == "password" and response.status_code == 201:
                signed_in = await post_raw(
                    client, "/api/v1/auth/login", {"username": username, "password": body[field]}
                )
                echoed = body[field] if signed_in.status_code == 200 else f"login {signed_in.status_code}"
            if field == "username" and response.status_code == 201:
                echoed = "accepted a username outside the pattern"
            problem = verdict(response, body[field], echoed)
            if problem:
                failures.append(f"staff.{field} <- {kind}: {problem}")
    assert failures == [], "\n".join(failures)


async def test_hostile_names_are_shown_escaped_on_every_page(till, make_client):
    """A partner named with markup, an offer titled with a template expression: the catalog, Dukcapil's review
    pages and dashboard, and the partner's own console show the text, never run it."""
    from tests.core.test_pages import page_client, sign_in

    client, world = till.client, till.world
    name = "Toko " + HOSTILE["breakout"] + " {{7*7}}"
    profile = await client.get(world.url(""), headers=world.manager)
    assert profile.status_code == 200, profile.text
    edit = {k: profile.json()[k] for k in ("category", "contact_name", "contact_phone", "contact_email", "business_id")}
    renamed = await post_raw(client, world.url(""), {**edit, "name": name}, world.manager, method="PUT")
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == name
    title = HOSTILE["html"] + " {{7*7}} \u202eRTL"
    offer = await till.offer(title=title, description=HOSTILE["template"], terms=HOSTILE["breakout"], limits=[])
    hostile_outlet = {**outlet_body(), "name": HOSTILE["breakout"] + " {{7*7}}", "address": "{{7*7}}"}
    outlet = await post_raw(client, world.url("/outlets"), hostile_outlet, world.manager)
    assert outlet.status_code == 201, outlet.text
    assert (await till.redeem(await till.card(), offer["id"])).status_code == 201

    dukcapil = await page_client(make_client)
    await sign_in(dukcapil, "dukcapil")
    manager = await page_client(make_client)
    await sign_in(manager, "pelangi.manajer")
    public = await page_client(make_client)
    pages = [
        (public, "/penawaran"),
        (public, f"/penawaran/{offer['id']}"),
        (dukcapil, "/admin/"),
        (dukcapil, "/admin/mitra/"),
        (dukcapil, f"/admin/mitra/{world.partner_id}"),
        (dukcapil, "/admin/penawaran/"),
        (dukcapil, f"/admin/penawaran/{offer['id']}"),
        (dukcapil, "/admin/audit/"),
        (manager, "/mitra/"),
        (manager, "/mitra/outlet"),
        (manager, "/mitra/penawaran/"),
        (manager, f"/mitra/penawaran/{offer['id']}"),
        (manager, "/mitra/profil"),
        (manager, "/mitra/riwayat"),
    ]
    shown: list[str] = []
    for browser, path in pages:
        page = await browser.get(path)
        assert page.status_code < 500, (path, page.status_code)
        if page.status_code != 200:
            continue
        for raw in RAW_MARKUP:
            assert raw not in page.text, (path, raw)
        if "&lt;/script&gt;" in page.text or "&lt;script&gt;" in page.text or "\\u003c/script" in page.text:
            shown.append(path)
            assert "{{7*7}}" in page.text, path  # shown as typed, not evaluated
    assert len(shown) >= 8, shown


async def test_a_nul_character_typed_into_a_page_form_is_refused_and_changes_nothing(till, make_client):
    """Forms too: PostgreSQL cannot store a NUL in text (it was a 500 there), so it is refused before any service."""
    from tests.core.test_pages import CSRF, page_client, sign_in

    browser = await page_client(make_client)
    await sign_in(browser, "pelangi.manajer")
    token = CSRF.search((await browser.get("/mitra/outlet/baru")).text).group(1)
    before = (await till.client.get(till.world.url("/outlets"), headers=till.world.manager)).json()
    fields = {"_csrf_token": token, "name": "Pelangi\x00Panorama", "address": "Jl. Salak Raya 1",
              "kelurahan_code": "17.71.09.1001", "hours.mon.0.open": "09:00", "hours.mon.0.close": "17:00"}  # fmt: skip
    refused = await browser.post("/mitra/outlet/baru", data=fields, headers={"Accept": "text/html"})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    api = await post_raw(
        till.client, till.world.url("/outlets"), {**outlet_body(), "name": "a\x00b"}, till.world.manager
    )
    assert (api.status_code, api.headers["content-type"]) == (422, PROBLEM)
    assert api.json()["errors"] == [
        {"field": "name", "code": "nul_character", "message": "Teks tidak boleh berisi karakter NUL (\\0)."}
    ]
    after = (await till.client.get(till.world.url("/outlets"), headers=till.world.manager)).json()
    assert len(after) == len(before)
    # The six characters `\u0000` typed as text are not a NUL: stored as typed.
    typed = await post_raw(till.client, till.world.url("/outlets"), {**outlet_body(), "name": "kode \\u0000"},
                           till.world.manager)  # fmt: skip
    assert (typed.status_code, typed.json()["name"]) == (201, "kode \\u0000")


CONTENT_TYPES = ["application/json", "Application/JSON", "APPLICATION/JSON; charset=UTF-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]  # fmt: skip


async def test_a_nul_is_refused_whatever_the_content_type_says(till):
    """Litestar decodes a JSON body under any Content-Type, or none: the NUL check follows the handler, not the header
    (with `Application/JSON`, `text/plain` or no header a NUL reached the service: a 500 on PostgreSQL, stored on
    SQLite)."""
    client, world = till.client, till.world
    partners = (await client.get("/api/v1/admin/partners", headers=world.dukcapil)).json()
    outlets = (await client.get(world.url("/outlets"), headers=world.manager)).json()
    for index, content_type in enumerate(CONTENT_TYPES):
        headers = {"Content-Type": content_type} if content_type else {}
        body = registration(name="Toko\x00Buku", username=f"nul{index}.manajer")
        registered = await client.post("/api/v1/partners/registrations", content=raw_json(body), headers=headers)
        outlet = await client.post(
            world.url("/outlets"), content=raw_json({**outlet_body(), "address": "Jl.\x00"}),
            headers={**world.manager, **headers},
        )  # fmt: skip
        for response, field in [(registered, "partner.name"), (outlet, "address")]:
            assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM), content_type
            assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, "nul_character")]
    assert (await client.get("/api/v1/admin/partners", headers=world.dukcapil)).json() == partners
    assert (await client.get(world.url("/outlets"), headers=world.manager)).json() == outlets


async def test_a_nul_in_a_page_form_is_refused_whatever_the_content_type_says(till, make_client):
    """A form handler parses its body as a form whatever the header says; the CSRF token may come in a header."""
    from tests.core.test_pages import CSRF, page_client, sign_in

    browser = await page_client(make_client)
    await sign_in(browser, "pelangi.manajer")
    token = CSRF.search((await browser.get("/mitra/outlet/baru")).text).group(1)
    outlets = (await till.client.get(till.world.url("/outlets"), headers=till.world.manager)).json()
    fields = {"_csrf_token": token, "name": "Pelangi\x00Panorama", "address": "Jl. Salak Raya 1",
              "kelurahan_code": "17.71.09.1001", "hours.mon.0.open": "09:00", "hours.mon.0.close": "17:00"}  # fmt: skip
    form = urlencode(fields).encode()
    for content_type in ["Application/X-WWW-Form-Urlencoded", "text/plain", "application/json", None]:
        headers = {"Accept": "text/html", "X-CSRFToken": token}
        headers |= {"Content-Type": content_type} if content_type else {}
        refused = await browser.post("/mitra/outlet/baru", content=form, headers=headers)
        assert refused.status_code == 422, (content_type, refused.status_code)
    assert (await till.client.get(till.world.url("/outlets"), headers=till.world.manager)).json() == outlets

    # A multipart form's text fields are checked too; its files may hold any byte (test_hostile_uploads.py).
    dukcapil = await page_client(make_client)
    await sign_in(dukcapil, "dukcapil")
    token = CSRF.search((await dukcapil.get("/admin/registri/")).text).group(1)
    imports = (await till.client.get("/api/v1/admin/registry", headers=till.world.dukcapil)).json()
    upload = await dukcapil.post(
        "/admin/registri/", headers={"Accept": "application/json"},
        data={"_csrf_token": token, "as_of": "2026-01-01\x00"}, files={"file": ("siak.csv", b"nik\x00,nama\n")},
    )  # fmt: skip
    assert (upload.status_code, upload.headers["content-type"]) == (422, PROBLEM)
    assert [(e["field"], e["code"]) for e in upload.json()["errors"]] == [("as_of", "nul_character")]
    assert (await till.client.get("/api/v1/admin/registry", headers=till.world.dukcapil)).json() == imports
