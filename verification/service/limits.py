"""What an offer's limits count, read for scan and redeem alike: the offer's usage against its quota and budget,
and this card's earlier redemptions of it as far back as its per-child limits look."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from core.database.statements import CompiledQuery
from partners.service.offers import TillOffer
from verification.service import eligibility
from verification.tables import OfferUsage, Redemption, RedemptionStatus


def _card_history_query(card_id: Any, offer_ids: Any, since: Any) -> Any:
    query = (
        Redemption.select(Redemption.offer, Redemption.local_date)
        .where(Redemption.card == card_id)
        .where(Redemption.offer.is_in(offer_ids))
        .where(Redemption.status == RedemptionStatus.COMPLETED)
    )
    return query if since is None else query.where(Redemption.local_date >= since)


# Both asked on every scan and redeem: compiled once (core.database.statements.CompiledQuery).
_CARD_HISTORY = CompiledQuery(_card_history_query)
_USAGE = CompiledQuery(lambda offer_ids: OfferUsage.select().where(OfferUsage.offer.is_in(offer_ids)))


async def card_history(card_id: uuid.UUID, offers: list[TillOffer], today: date) -> dict[uuid.UUID, list[date]]:
    """Local days of this card's unvoided redemptions of these offers, as far back as their limits look."""
    starts = [eligibility.earliest_limited_day(today, offer.rules.limits) for offer in offers if offer.rules.limits]
    if not starts:
        return {}
    since = None if None in starts else min(s for s in starts if s is not None)
    history: dict[uuid.UUID, list[date]] = {}
    for row in await _CARD_HISTORY(card_id, [offer.id for offer in offers], since):
        history.setdefault(row["offer"], []).append(row["local_date"])
    return history


async def usage_of(offer_ids: list[uuid.UUID]) -> dict[uuid.UUID, eligibility.Usage]:
    if not offer_ids:
        return {}
    rows = await _USAGE(offer_ids)
    return {row["offer"]: eligibility.Usage(row["redemptions"], row["discount_total"]) for row in rows}
