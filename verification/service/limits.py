"""What an offer's limits count, read for scan and redeem alike: the offer's usage against its quota and budget,
and this card's earlier redemptions of it as far back as its per-child limits look."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from core.database.engine import engine
from core.database.statements import CompiledQuery, fetch_postgres
from core.stores import Stores
from partners.service.offers import TillOffer
from verification.schemas import CardState
from verification.service import cards, eligibility
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


def limited_since(offers: list[TillOffer], today: date) -> tuple[bool, date | None]:
    """Whether any offer limits per child, and the earliest day its limits look back to (None: since ever)."""
    starts = [eligibility.earliest_limited_day(today, offer.rules.limits) for offer in offers if offer.rules.limits]
    if not starts:
        return False, None
    return True, None if None in starts else min(s for s in starts if s is not None)


async def card_history(card_id: uuid.UUID, offers: list[TillOffer], today: date) -> dict[uuid.UUID, list[date]]:
    """Local days of this card's unvoided redemptions of these offers, as far back as their limits look."""
    limited, since = limited_since(offers, today)
    if not limited:
        return {}
    history: dict[uuid.UUID, list[date]] = {}
    for row in await _CARD_HISTORY(card_id, [offer.id for offer in offers], since):
        history.setdefault(row["offer"], []).append(row["local_date"])
    return history


async def usage_of(offer_ids: list[uuid.UUID]) -> dict[uuid.UUID, eligibility.Usage]:
    if not offer_ids:
        return {}
    rows = await _USAGE(offer_ids)
    return {row["offer"]: eligibility.Usage(row["redemptions"], row["discount_total"]) for row in rows}


# The scan's one read on PostgreSQL: the card, its redemptions of the offers as far back as their limits look, and
# the usage of the offers with a quota or a budget. One round trip instead of three (and no status cache to keep
# in step with revocations: the row is read as it is).
_SCAN_READ = """
SELECT c.cv, c.status, c.birth_date, c.kelurahan_code, h.offers, h.days, u.offers AS used_offers, u.used, u.spent
FROM card c
LEFT JOIN LATERAL (
    SELECT array_agg(r.offer) AS offers, array_agg(r.local_date) AS days FROM redemption r
    WHERE r.card = c.id AND r.offer = ANY($2::uuid[]) AND r.status = $3 AND r.local_date >= $4) h ON true
LEFT JOIN LATERAL (
    SELECT array_agg(s.offer) AS offers, array_agg(s.redemptions) AS used, array_agg(s.discount_total) AS spent
    FROM offer_usage s WHERE s.offer = ANY($5::uuid[])) u ON true
WHERE c.id = $1
"""
EVER = date(1, 1, 1)


async def scan_read(
    card_id: uuid.UUID, offers: list[TillOffer], today: date, stores: Stores
) -> tuple[CardState | None, dict[uuid.UUID, eligibility.Usage], dict[uuid.UUID, list[date]]]:
    """What a scan reads about a card: its state, the offers' usage against their quota and budget, and its own
    earlier redemptions of them (as `usage_of` and `card_history`)."""
    if not isinstance(engine(), PostgresEngine):  # SQLite: the same three reads, one after another
        state = await cards.card_state(card_id, stores)
        if state is None:
            return None, {}, {}
        return state, await usage_of([o.id for o in offers]), await card_history(card_id, offers, today)
    limited, since = limited_since(offers, today)
    history_of = [o.id for o in offers] if limited else []
    metered = [o.id for o in offers if eligibility.metered(o.rules)]
    rows = await fetch_postgres(
        _SCAN_READ, card_id, history_of, RedemptionStatus.COMPLETED.value, since or EVER, metered
    )
    if not rows:
        return None, {}, {}
    row = rows[0]
    state = cards.state_of(card_id, row)
    history: dict[uuid.UUID, list[date]] = {}
    for offer_id, day in zip(row["offers"] or [], row["days"] or [], strict=True):
        history.setdefault(offer_id, []).append(day)
    usage = {
        offer_id: eligibility.Usage(used, spent)
        for offer_id, used, spent in zip(row["used_offers"] or [], row["used"] or [], row["spent"] or [], strict=True)
    }
    return state, usage, history


# A redemption's one read on PostgreSQL, under the locks its transaction holds on the card and the offer: the
# offer's usage, this card's earlier redemptions of it (as far back as its limits look), and whether this would be
# the card's first redemption of the month overall, at the partner, of the offer, at the outlet.
_REDEEM_READ = """
SELECT (SELECT redemptions FROM offer_usage WHERE offer = $2) AS used,
       (SELECT discount_total FROM offer_usage WHERE offer = $2) AS spent,
       ARRAY(SELECT local_date FROM redemption
             WHERE card = $1 AND offer = $2 AND status = $3 AND local_date >= $4) AS days,
       ARRAY(SELECT ARRAY[partner, offer, outlet] FROM redemption
             WHERE card = $1 AND status = $3 AND local_date >= $5 AND local_date < $6) AS this_month
"""


async def redeem_read(
    card_id: uuid.UUID, offer: TillOffer, today: date, month: tuple[date, date]
) -> tuple[eligibility.Usage, list[date], list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]]:
    """What a redemption counts, read under its locks: the offer's usage, the card's earlier redemptions of it as
    far back as its limits look, and the card's unvoided redemptions of `month` [start, end) as (partner, offer,
    outlet). One statement on PostgreSQL; on SQLite the same reads one after another."""
    if not isinstance(engine(), PostgresEngine):
        usage = (await usage_of([offer.id])).get(offer.id, eligibility.Usage())
        history = (await card_history(card_id, [offer], today)).get(offer.id, [])
        rows = await _MONTH_OF_CARD(card_id, month[0], month[1])
        return usage, history, [(row["partner"], row["offer"], row["outlet"]) for row in rows]
    limited, since = limited_since([offer], today)
    row = (
        await fetch_postgres(
            _REDEEM_READ, card_id, offer.id, RedemptionStatus.COMPLETED.value,
            (since or EVER) if limited else date.max, month[0], month[1],
        )
    )[0]  # fmt: skip
    usage = eligibility.Usage(row["used"] or 0, row["spent"] or 0)
    return usage, list(row["days"]), [(p, o, t) for p, o, t in row["this_month"]]


_MONTH_OF_CARD = CompiledQuery(
    lambda card_id, start, end: (
        Redemption.select(Redemption.partner, Redemption.offer, Redemption.outlet)
        .where(Redemption.card == card_id)
        .where(Redemption.local_date >= start)
        .where(Redemption.local_date < end)
        .where(Redemption.status == RedemptionStatus.COMPLETED)
    )
)
