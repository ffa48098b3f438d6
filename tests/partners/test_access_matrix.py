"""Who may call which partners endpoint: four roles, another partner's manager, an API key and nobody.

Allowed means the request reached the service (any answer but 401, 403 or 404). Another partner's data answers
404, never 403, so its existence is not confirmed.
"""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.helpers import PASSWORD, approved_partner, dukcapil_headers, offer_body, outlet_body

OK = "allowed"

# Expected answers per caller for each kind of endpoint.
MANAGER_ONLY = {
    "anonymous": 401,
    "dukcapil_admin": 403,
    "dukcapil_analyst": 403,
    "cashier": 403,
    "api_key": 403,
    "other_manager": 404,
    "manager": OK,
}
PARTNER_STAFF = {**MANAGER_ONLY, "cashier": OK, "api_key": OK, "other_manager": OK}
DUKCAPIL_READ = {
    "anonymous": 401,
    "dukcapil_admin": OK,
    "dukcapil_analyst": OK,
    "cashier": 403,
    "api_key": 403,
    "other_manager": 403,
    "manager": 403,
}
DUKCAPIL_DECIDE = {**DUKCAPIL_READ, "dukcapil_analyst": 403}
PUBLIC = dict.fromkeys(MANAGER_ONLY, OK)


@pytest.fixture
async def callers(client, create_staff):
    dukcapil = await dukcapil_headers(client, create_staff)
    await create_staff("analis", "dukcapil_analyst")
    own = await approved_partner(client, dukcapil)
    other = await approved_partner(client, dukcapil, name="Kolam Lain", slug="lain")
    offer = await client.post(own.url("/offers"), json=offer_body(), headers=own.manager)
    key = await client.post(
        own.url("/api-keys"), json={"name": "Kasir 1", "outlet_id": own.outlet_id}, headers=own.manager
    )
    staff = (await client.get(own.url("/staff"), headers=own.manager)).json()
    cashier_id = next(member["id"] for member in staff if member["role"] == "cashier")
    headers = {
        "anonymous": {},
        "dukcapil_admin": dukcapil,
        "dukcapil_analyst": await login(client, "analis", PASSWORD),
        "cashier": own.cashier,
        "api_key": {"X-API-Key": key.json()["key"]},
        "other_manager": other.manager,
        "manager": own.manager,
    }
    ids = {
        "partner": own.partner_id,
        "outlet": own.outlet_id,
        "offer": offer.json()["id"],
        "staff": cashier_id,
        "key": key.json()["id"],
    }
    return headers, ids


def endpoints(ids: dict[str, str]) -> list[tuple[str, str, object, dict[str, object]]]:
    p = f"/api/v1/partners/{ids['partner']}"
    profile = {
        "name": "Toko Buku Pelangi",
        "category": "bookstore",
        "contact_name": "Ibu Sari",
        "contact_phone": "0736 21234",
    }
    return [
        ("GET", "/api/v1/partners/me", None, PARTNER_STAFF),
        ("GET", p, None, MANAGER_ONLY),
        ("PUT", p, profile, MANAGER_ONLY),
        ("POST", f"{p}/resubmit", None, MANAGER_ONLY),
        ("GET", f"{p}/outlets", None, MANAGER_ONLY),
        ("POST", f"{p}/outlets", outlet_body("Outlet Baru"), MANAGER_ONLY),
        ("GET", f"{p}/outlets/{ids['outlet']}", None, MANAGER_ONLY),
        ("PUT", f"{p}/outlets/{ids['outlet']}", outlet_body(), MANAGER_ONLY),
        ("GET", f"{p}/staff", None, MANAGER_ONLY),
        (
            "POST",
            f"{p}/staff",
            {
                "username": "kasir.x",
                "password": PASSWORD,
                "display_name": "X",
                "role": "cashier",
                "outlet_id": ids["outlet"],
            },
            MANAGER_ONLY,
        ),
        ("GET", f"{p}/staff/{ids['staff']}", None, MANAGER_ONLY),
        ("PATCH", f"{p}/staff/{ids['staff']}", {"active": True}, MANAGER_ONLY),
        ("GET", f"{p}/offers", None, MANAGER_ONLY),
        ("POST", f"{p}/offers", offer_body(), MANAGER_ONLY),
        ("GET", f"{p}/offers/{ids['offer']}", None, MANAGER_ONLY),
        ("PUT", f"{p}/offers/{ids['offer']}", offer_body(), MANAGER_ONLY),
        ("POST", f"{p}/offers/{ids['offer']}/submit", None, MANAGER_ONLY),
        ("POST", f"{p}/offers/{ids['offer']}/pause", None, MANAGER_ONLY),
        ("POST", f"{p}/offers/{ids['offer']}/resume", None, MANAGER_ONLY),
        ("GET", f"{p}/api-keys", None, MANAGER_ONLY),
        ("POST", f"{p}/api-keys", {"name": "POS 2", "outlet_id": ids["outlet"]}, MANAGER_ONLY),
        ("GET", "/api/v1/admin/partners", None, DUKCAPIL_READ),
        ("GET", f"/api/v1/admin/partners/{ids['partner']}", None, DUKCAPIL_READ),
        ("POST", f"/api/v1/admin/partners/{ids['partner']}/suspend", {"reason": "uji"}, DUKCAPIL_DECIDE),
        ("POST", f"/api/v1/admin/partners/{ids['partner']}/reinstate", {"reason": "uji"}, DUKCAPIL_DECIDE),
        ("GET", "/api/v1/admin/offers", None, DUKCAPIL_READ),
        ("GET", f"/api/v1/admin/offers/{ids['offer']}", None, DUKCAPIL_READ),
        ("POST", f"/api/v1/admin/offers/{ids['offer']}/publish", None, DUKCAPIL_DECIDE),
        ("GET", "/api/v1/catalog/offers", None, PUBLIC),
        ("GET", "/penawaran", None, PUBLIC),
        ("POST", f"{p}/offers/{ids['offer']}/end", None, MANAGER_ONLY),
        ("POST", f"{p}/api-keys/{ids['key']}/revoke", None, MANAGER_ONLY),
    ]


async def test_role_by_endpoint_matrix(client, callers):
    headers, ids = callers
    mismatches = []
    for method, url, body, expected in endpoints(ids):
        for caller, want in expected.items():
            response = await client.request(method, url, json=body, headers=headers[caller])
            got = response.status_code
            ok = got not in {401, 403, 404} if want == OK else got == want
            if not ok:
                mismatches.append(f"{method} {url} as {caller}: {got} (wanted {want}) {response.text[:120]}")
            if got in {401, 403, 404}:
                assert response.headers["content-type"] == "application/problem+json"
    assert mismatches == []


async def test_another_partners_objects_answer_404_even_under_the_right_partner(client, callers):
    """A manager cannot reach another partner's outlet, offer or staff by pasting its id under their own partner."""
    headers, ids = callers
    other_manager = headers["other_manager"]
    me = (await client.get("/api/v1/partners/me", headers=other_manager)).json()
    own_url = f"/api/v1/partners/{me['partner']['id']}"
    for tail in (f"/outlets/{ids['outlet']}", f"/offers/{ids['offer']}", f"/staff/{ids['staff']}"):
        response = await client.get(own_url + tail, headers=other_manager)
        assert response.status_code == 404, tail
    revoke = await client.post(f"{own_url}/api-keys/{ids['key']}/revoke", headers=other_manager)
    assert revoke.status_code == 404
