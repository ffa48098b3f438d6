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


async def into_last_month() -> None:
    """Move every redemption made so far into last month and rebuild the rollups: a partner's figures show closed
    days and closed months only, so a test that redeems today and reads a partner's figures moves them first."""
    from datetime import timedelta

    from tests.helpers import today
    from verification.service import rollups
    from verification.tables import Redemption

    back = timedelta(days=today().day + 1)
    for row in await Redemption.select(Redemption.id, Redemption.redeemed_at, Redemption.local_date):
        await Redemption.update(
            {Redemption.redeemed_at: row["redeemed_at"] - back, Redemption.local_date: row["local_date"] - back}
        ).where(Redemption.id == row["id"])
    await rollups.rebuild()
