"""A till ready to scan (used by verification, reports and page tests): an approved partner with an outlet, its
cashier, a signing key and enrolled cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core.settings import Settings
from tests.helpers import PartnerWorld, approved_partner, dukcapil_headers, published_offer
from tests.verification.cards_helpers import enroll_card
from verification.service import cards, keys
from verification.service.keys import KeyRing


@dataclass
class Till:
    client: httpx.AsyncClient
    world: PartnerWorld
    settings: Settings
    keyring: KeyRing
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def card(self, age_years: int = 8, **kwargs: Any) -> str:
        """A new enrolled child's QR text."""
        card_id = await enroll_card(self.settings, age_years=age_years, **kwargs)
        return await self.qr(card_id)

    async def qr(self, card_id) -> str:
        text, _ = await cards.issue_qr_text(card_id, self.keyring, self.settings, None)
        return text

    async def offer(self, name: str = "books", **overrides: Any) -> dict[str, Any]:
        self.offers[name] = await published_offer(self.client, self.world, **overrides)
        return self.offers[name]

    async def scan(self, qr: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(
            "/api/v1/verification/scan", json={"qr": qr}, headers={**self.world.cashier, **(headers or {})}
        )

    async def redeem(
        self, qr: str, offer_id: str, purchase: int = 100_000, key: str | None = None, **headers: str
    ) -> httpx.Response:
        import uuid

        return await self.client.post(
            "/api/v1/verification/redemptions",
            json={"qr": qr, "offer_id": offer_id, "purchase_amount": purchase},
            headers={**self.world.cashier, "Idempotency-Key": key or str(uuid.uuid4()), **headers},
        )


@pytest.fixture
async def till(client, create_staff, settings) -> Till:
    await keys.rotate(settings, None)
    world = await approved_partner(client, await dukcapil_headers(client, create_staff))
    return Till(client=client, world=world, settings=settings, keyring=KeyRing(settings))
