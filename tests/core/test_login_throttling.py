"""Login throttling an attacker cannot race and cannot turn against the owner; the password policy; registration
throttled per address. What an attacker, a cashier at a trusted till and an operator reading the logs notice."""

from __future__ import annotations

import asyncio
import re

import httpx

from core.tables import Role
from tests.helpers import registration

PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def attempt(client: httpx.AsyncClient, password: str, device_token: str | None = None) -> httpx.Response:
    body = {"username": "gramedia.kasir", "password": password}
    if device_token:
        body["device_token"] = device_token
    return await client.post("/api/v1/auth/login", json=body)


def beside(client: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """Another caller, from `address`, of the same running service as `client`."""
    transport = httpx.ASGITransport(app=client.app, client=(address, 40000))  # type: ignore[attr-defined]
    other = httpx.AsyncClient(transport=transport, base_url=client.base_url)
    other.app = client.app  # type: ignore[attr-defined]
    return other


def checked_passwords(logs: str) -> int:
    """How many wrong passwords were actually checked (one `auth.login.failed` line each)."""
    return logs.count('"event": "auth.login.failed"')


async def test_a_burst_of_parallel_guesses_gets_no_more_checks_than_the_limit(
    capsys, make_client, settings, create_staff
):
    client = await make_client(settings.replace(login_max_failures_per_ip=1000))
    await create_staff("gramedia.kasir", Role.CASHIER)
    capsys.readouterr()

    answers = await asyncio.gather(*(attempt(client, f"tebakan-{i}") for i in range(40)))

    assert {answer.status_code for answer in answers} <= {401, 429}
    assert checked_passwords(capsys.readouterr().out) <= settings.login_max_failures
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in refused)
    assert {answer.json()["code"] for answer in refused} == {"login_throttled"}


async def test_the_wait_doubles_with_each_further_wrong_password(make_client, settings, create_staff):
    client = await make_client(settings.replace(login_delay_base=1))
    await create_staff("gramedia.kasir", Role.CASHIER)
    statuses = [(await attempt(client, "salah-sekali")).status_code for _ in range(settings.login_max_failures)]
    assert statuses == [401] * (settings.login_max_failures - 1) + [429]

    waits = []
    for _ in range(3):
        refused = await attempt(client, PASSWORD)  # even the right password waits its turn
        assert refused.status_code == 429
        await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.1)
        wrong = await attempt(client, "salah-lagi")  # checked: the wait is over, and it is wrong again
        assert wrong.status_code == 429
        waits.append(int(wrong.headers["Retry-After"]))

    assert waits == [2, 4, 8]
    await asyncio.sleep(waits[-1] + 0.1)
    assert (await attempt(client, PASSWORD)).status_code == 200


async def test_strangers_guesses_do_not_lock_the_owner_out_of_a_trusted_till(make_client, settings, create_staff):
    till = await make_client(client_ip="10.0.0.5")
    stranger = beside(till, "203.0.113.66")
    await create_staff("gramedia.kasir", Role.CASHIER)
    first = await attempt(till, PASSWORD)
    device_token = first.json()["device_token"]

    for _ in range(settings.login_max_failures):
        await attempt(stranger, "tebakan-orang-lain")
    assert (await attempt(stranger, PASSWORD)).status_code == 429  # the account is slowed down everywhere else
    assert (await attempt(till, PASSWORD)).status_code == 429  # the till without its token, too

    again = await attempt(till, PASSWORD, device_token)
    assert again.status_code == 200
    assert again.json()["device_token"]

    # The token is for this username only.
    await create_staff("gramedia.kasir2", Role.CASHIER)
    other = await till.post(
        "/api/v1/auth/login",
        json={"username": "gramedia.kasir2", "password": "nope", "device_token": device_token},
    )
    assert other.status_code == 401


async def test_a_trusted_till_loses_its_trust_after_its_own_wrong_passwords(make_client, settings, create_staff):
    till = await make_client(client_ip="10.0.0.5")
    await create_staff("gramedia.kasir", Role.CASHIER)
    device_token = (await attempt(till, PASSWORD)).json()["device_token"]

    limit = settings.login_max_failures
    statuses = [(await attempt(till, "salah-di-kasir", device_token)).status_code for _ in range(2 * limit)]

    # Its own guesses count under the token first, then as a stranger's: the account slows down.
    assert statuses == [401] * limit + [401] * (limit - 1) + [429]
    assert (await attempt(till, PASSWORD, device_token)).status_code == 429


async def test_a_browser_that_signed_in_before_is_trusted_at_the_sign_in_form(make_client, settings, create_staff):
    browser = await make_client(client_ip="10.0.0.5")
    browser.base_url = httpx.URL("https://testserver")
    stranger = beside(browser, "203.0.113.66")
    await create_staff("gramedia.kasir", Role.CASHIER)

    async def sign_in(password: str) -> httpx.Response:
        form = await browser.get("/masuk")
        token = CSRF.search(form.text)
        assert token is not None
        return await browser.post(
            "/masuk", data={"_csrf_token": token.group(1), "username": "gramedia.kasir", "password": password}
        )

    assert (await sign_in(PASSWORD)).status_code == 303
    assert browser.cookies.get("mitrakia_device", path="/masuk")
    await browser.post("/keluar", headers={"X-CSRFToken": browser.cookies["mitrakia_csrf"]})
    for _ in range(settings.login_max_failures):
        await attempt(stranger, "tebakan-orang-lain")

    again = await sign_in(PASSWORD)

    assert again.status_code == 303
    assert again.headers["location"] == "/kasir"


# --- the password policy ------------------------------------------------------------------------------------------


async def test_guessable_passwords_are_refused_with_the_reason(client, create_staff):
    from tests.conftest import login

    await create_staff("dukcapil", Role.DUKCAPIL_ADMIN)
    headers = await login(client, "dukcapil", PASSWORD)

    async def create(username: str, password: str) -> httpx.Response:
        body = {"username": username, "password": password, "role": "dukcapil_analyst", "display_name": "Rina Analis"}
        return await client.post("/api/v1/admin/staff", json=body, headers=headers)

    for weak in ("aaaaaaaaaaaa", "password1234", "1234567890qwerty", "rina.analis2026", "Bengkulu2024!"):
        refused = await create("rina.analis", weak)
        assert refused.status_code == 422, weak
        problem = refused.json()
        assert problem["errors"][0]["field"] == "password", weak
        assert problem["errors"][0]["code"] == "password_too_weak", weak
        assert "mudah ditebak" in problem["errors"][0]["message"]
    assert (await create("rina.analis", "jambu-payung-sepeda-41")).status_code == 201


# --- registration -------------------------------------------------------------------------------------------------


async def test_one_address_registers_only_a_few_partners_an_hour_even_in_a_burst(make_client, settings, create_staff):
    await create_staff("dukcapil", "dukcapil_admin")  # the office the merchants apply to
    client = await make_client(client_ip="198.51.100.20")
    neighbour = beside(client, "198.51.100.21")

    typo = registration("Toko Salah Ketik", "salah.ketik")
    typo["manager"]["password"] = "pendek"
    assert (await client.post("/api/v1/partners/registrations", json=typo)).status_code == 422  # not counted

    answers = await asyncio.gather(
        *(
            client.post("/api/v1/partners/registrations", json=registration(f"Toko Nomor {i}", f"toko{i}.manajer"))
            for i in range(30)
        )
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * settings.registrations_per_address + [429] * (30 - settings.registrations_per_address)
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["code"] == "registration_throttled"
    assert 0 < int(refused.headers["Retry-After"]) <= settings.registration_window
    other = await neighbour.post(
        "/api/v1/partners/registrations", json=registration("Toko Tetangga", "tetangga.manajer")
    )
    assert other.status_code == 201
