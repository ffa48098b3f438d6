"""Steps the tests take through the real HTTP API, the way the people in each role do."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from core.localtime import local_date, utc_now
from tests.conftest import FOUNDING_CITY, login

PASSWORD = "correct-horse-battery"
KELURAHAN_PASAR_BARU = "17.71.03.1002"  # Teluk Segara
KELURAHAN_PANORAMA = "17.71.09.1001"  # Singaran Pati


def today() -> date:
    return local_date(utc_now(), "Asia/Jakarta")


def read_qr_codes(image: Image.Image | bytes) -> list[str]:
    """The texts of the QR codes in an image, as a till's scanner reads them: QR codes only, because a scanner
    asked for every format now and then also "finds" a linear barcode in a QR's modules."""
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def registration(name: str = "Toko Buku Pelangi", username: str = "pelangi.manajer") -> dict[str, Any]:
    return {
        "partner": {
            "name": name,
            "category": "bookstore",
            "contact_name": "Ibu Sari",
            "contact_phone": "+62 736 21234",
            "contact_email": "toko@example.id",
        },
        "manager": {"username": username, "password": PASSWORD, "display_name": "Sari (Manajer)"},
        "city_code": FOUNDING_CITY,
    }


def outlet_body(name: str = "Pelangi Pasar Baru", kelurahan: str = KELURAHAN_PASAR_BARU) -> dict[str, Any]:
    return {
        "name": name,
        "address": "Jl. Soeprapto No. 12",
        "kelurahan_code": kelurahan,
        # Open all day, every day: the till refuses outside an outlet's hours (outlet_closed), and a test runs at any
        # hour. Tests of the hours set their own.
        "opening_hours": {
            day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    }


def offer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Diskon buku 10%",
        "description": "Potongan 10% untuk semua buku anak bagi pemegang KIA.",
        "category": "bookstore",
        "benefit": {"type": "percent", "percent": 10, "max_discount": 50_000},
        "valid_from": (today() - timedelta(days=1)).isoformat(),
        "limits": [{"period": "day", "count": 1}, {"period": "month", "count": 4}],
    }
    body.update(overrides)
    return body


@dataclass
class PartnerWorld:
    """An approved partner with one outlet, its manager's and cashier's tokens, and Dukcapil's."""

    partner_id: str
    outlet_id: str
    manager: dict[str, str]
    cashier: dict[str, str]
    dukcapil: dict[str, str]

    def url(self, tail: str = "") -> str:
        return f"/api/v1/partners/{self.partner_id}{tail}"


async def dukcapil_headers(client: httpx.AsyncClient, create_staff: Any, username: str = "dukcapil") -> dict[str, str]:
    await create_staff(username, "dukcapil_admin")
    return await login(client, username, PASSWORD)


async def approved_partner(
    client: httpx.AsyncClient,
    dukcapil: dict[str, str],
    name: str = "Toko Buku Pelangi",
    slug: str = "pelangi",
) -> PartnerWorld:
    registered = await client.post("/api/v1/partners/registrations", json=registration(name, f"{slug}.manajer"))
    assert registered.status_code == 201, registered.text
    partner_id = registered.json()["partner"]["id"]
    approved = await client.post(
        f"/api/v1/admin/partners/{partner_id}/approve", json={"agreement_number": "PKS/001/2026"}, headers=dukcapil
    )
    assert approved.status_code == 200, approved.text
    manager = await login(client, f"{slug}.manajer", PASSWORD)
    outlet = await client.post(f"/api/v1/partners/{partner_id}/outlets", json=outlet_body(), headers=manager)
    assert outlet.status_code == 201, outlet.text
    cashier = await client.post(
        f"/api/v1/partners/{partner_id}/staff",
        json={
            "username": f"{slug}.kasir",
            "password": PASSWORD,
            "display_name": "Kasir",
            "role": "cashier",
            "outlet_id": outlet.json()["id"],
        },
        headers=manager,
    )
    assert cashier.status_code == 201, cashier.text
    return PartnerWorld(
        partner_id=partner_id,
        outlet_id=outlet.json()["id"],
        manager=manager,
        cashier=await login(client, f"{slug}.kasir", PASSWORD),
        dukcapil=dukcapil,
    )


async def published_offer(client: httpx.AsyncClient, world: PartnerWorld, **overrides: Any) -> dict[str, Any]:
    created = await client.post(world.url("/offers"), json=offer_body(**overrides), headers=world.manager)
    assert created.status_code == 201, created.text
    offer_id = created.json()["id"]
    submitted = await client.post(world.url(f"/offers/{offer_id}/submit"), headers=world.manager)
    assert submitted.status_code == 200, submitted.text
    published = await client.post(f"/api/v1/admin/offers/{offer_id}/publish", headers=world.dukcapil)
    assert published.status_code == 200, published.text
    return published.json()  # type: ignore[no-any-return]
