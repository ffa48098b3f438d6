"""A realistic day, logged as production logs it: every role signs in (API and page), a registry export is imported,
cards are printed, scanned and redeemed, someone guesses passwords. Then the logs are searched for every secret
that passed through: passwords, bearer and refresh tokens, session and CSRF cookies, API keys, card ids, QR texts,
manual codes, NIKs and the secret key. None may appear."""

from __future__ import annotations

import json
import uuid

from admin.tables import ImportBatch
from core.auth import derive_key, token_secret
from core.tables import Role
from tests.admin.test_registry_card_pages import confirm_preview
from tests.admin.test_registry_import import csv_bytes, row
from tests.conftest import TEST_SECRET, login
from tests.core.test_pages import CSRF, page_client, sign_in
from tests.helpers import PASSWORD, approved_partner, published_offer
from verification.service import cards, credentials
from verification.service.keys import KeyRing
from verification.tables import Card

WRONG_PASSWORDS = ["Tebakan-Sandi-2026!", "hunter2-hunter2"]


async def test_no_secret_reaches_the_logs_of_a_full_day(capsys, client, make_client, create_staff, settings):
    capsys.readouterr()
    secrets: dict[str, str] = {
        "password": PASSWORD,
        "secret key": TEST_SECRET,
        "staff token key": token_secret(settings),
        "csrf key": derive_key(settings.secret_key, "csrf").hex(),
    }
    secrets |= {f"wrong password {i}": p for i, p in enumerate(WRONG_PASSWORDS)}
    if settings.nik_hmac_key:
        secrets["nik key"] = settings.nik_hmac_key

    # Dukcapil staff and a partner with its manager and cashier, all through the API.
    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    await create_staff("analis", Role.DUKCAPIL_ANALYST)
    await create_staff("ditjen.admin", Role.DUKCAPIL_ADMIN, region=None)
    dukcapil = await login(client, "dukcapil", PASSWORD)
    analyst = await login(client, "analis", PASSWORD)
    national = await login(client, "ditjen.admin", PASSWORD)
    assert (await client.post("/api/v1/admin/keys/rotate", headers=national)).status_code in {200, 201}
    world = await approved_partner(client, dukcapil)
    offer = await published_offer(client, world, limits=[])
    for name, headers in {"dukcapil": dukcapil, "analyst": analyst, "national": national, "manager": world.manager,
                          "cashier": world.cashier}.items():  # fmt: skip
        secrets[f"{name} token"] = headers["Authorization"].split()[1]
    remembered = await client.post(
        "/api/v1/auth/login", json={"username": "pelangi.kasir", "password": PASSWORD, "remember": True}
    )
    secrets["refresh token"] = remembered.json()["refresh_token"]
    renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": secrets["refresh token"]})
    secrets["renewed refresh token"] = renewed.json()["refresh_token"]
    key = await client.post(
        world.url("/api-keys"), json={"name": "POS 1", "outlet_id": world.outlet_id}, headers=world.manager
    )
    assert key.status_code == 201, key.text
    secrets["api key"] = key.json()["key"]

    # Guessing: wrong passwords, and the password typed into the username box.
    for wrong in WRONG_PASSWORDS:
        await client.post("/api/v1/auth/login", json={"username": "dukcapil", "password": wrong})
    await client.post("/api/v1/auth/login", json={"username": PASSWORD, "password": "x"})
    await client.post("/api/v1/auth/login", json={"username": f"{PASSWORD}@dukcapil", "password": PASSWORD})

    # A registry import by API, and one by the page, with real NIKs.
    children = [row(), row(sex="L"), row()]
    for index, child in enumerate(children):
        secrets[f"nik {index}"] = child["nik"]
    uploaded = await client.post(
        "/api/v1/admin/registry/imports",
        params={"filename": "siak.csv"},
        content=csv_bytes(children[:2]),
        headers={**dukcapil, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 202, uploaded.text
    confirmed = await client.post(
        f"/api/v1/admin/registry/imports/{uploaded.json()['id']}/confirm", json={}, headers=dukcapil
    )
    assert confirmed.status_code == 202, confirmed.text
    browser = await page_client(make_client)
    await sign_in(browser, "dukcapil")
    await sign_in(await page_client(make_client), "dukcapil", password=WRONG_PASSWORDS[0])
    secrets["session cookie"] = browser.cookies.get("mitrakia_session")
    secrets["csrf cookie"] = browser.cookies.get("mitrakia_csrf")
    form = await browser.get("/admin/registri")
    page_upload = await browser.post(
        "/admin/registri",
        data={"_csrf_token": CSRF.search(form.text).group(1)},
        files={"file": ("siak-page.csv", csv_bytes(children[2:]), "text/csv")},
    )
    assert page_upload.status_code == 303, page_upload.text
    await confirm_preview(browser, page_upload.headers["location"])
    assert await ImportBatch.count() == 2

    # Cards: printed (API and page), looked up by manual code, scanned and redeemed three ways.
    keyring = KeyRing(settings)
    card_ids = [row["id"] for row in await Card.select(Card.id)]
    assert len(card_ids) == 3
    for index, card_id in enumerate(card_ids):
        qr, code = await cards.issue_qr_text(card_id, keyring, settings, None)
        secrets |= {f"card id {index}": str(card_id), f"card id hex {index}": card_id.hex, f"qr {index}": qr}
        secrets |= {f"manual code {index}": code, f"printed code {index}": credentials.format_manual_code(code)}
        assert (await client.get(f"/api/v1/admin/cards/{card_id}/qr.png", headers=dukcapil)).status_code == 200
        assert (await browser.get(f"/admin/kartu/{card_id}")).status_code == 200
        found = await client.get("/api/v1/admin/cards", params={"manual_code": code}, headers=dukcapil)
        assert found.status_code == 200, found.text
    for index, headers in enumerate([world.cashier, {"X-API-Key": secrets["api key"]}, world.cashier]):
        qr, printed = secrets[f"qr {index}"], secrets[f"printed code {index}"]
        for credential in (qr, printed):
            scanned = await client.post("/api/v1/verification/scan", json={"qr": credential}, headers=headers)
            assert scanned.status_code == 200, scanned.text
        redeemed = await client.post(
            "/api/v1/verification/redemptions",
            json={"qr": qr, "offer_id": offer["id"], "purchase_amount": 100_000},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert redeemed.status_code == 201, redeemed.text
    # A scan of a tampered QR and of a wrong manual code: refusals are logged too.
    await client.post("/api/v1/verification/scan", json={"qr": secrets["qr 0"][:-3] + "AAA"}, headers=world.cashier)
    await client.post("/api/v1/verification/scan", json={"qr": "ZZZZ-ZZZZ-ZZ9"}, headers=world.cashier)
    await client.post("/api/v1/auth/logout", headers=dukcapil)

    captured = capsys.readouterr()
    # The service's own log lines; the test's HTTP client (httpx) logs the URLs it calls, which is not the service.
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON event
    service = [line for line, event in zip(lines, events, strict=True) if event.get("logger") != "httpx"]
    names = {event["event"] for event in events}
    assert {"auth.login.failed", "registry.imported", "verification.redeemed", "http.request"} <= names
    assert sum(event["event"] == "http.request" for event in events) >= 40
    # The search finds what it looks for: the test client's own lines carry the card URLs it called.
    client_lines = "\n".join(line for line in lines if line not in service)
    assert secrets["card id 0"] in client_lines
    text = "\n".join(service)
    leaked = sorted(name for name, value in secrets.items() if value and value in text)
    # A token's signature alone, or a NIK in any spacing, is as bad as the whole thing.
    leaked += [f"{name} signature" for name, value in secrets.items() if "token" in name and value.count(".") == 2
               and value.split(".")[2] in text]  # fmt: skip
    assert leaked == []
