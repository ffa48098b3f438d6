"""Dukcapil's review of partners' offers: an office reviews the offers of partners that applied to it."""

from __future__ import annotations

import uuid

from admin.errors import RegionTooSmall
from admin.service import reports
from core.auth import CurrentUser
from core.settings import Settings
from core.tables import Region, RegionLevel
from partners.errors import OfferNotFound, PartnerNotFound
from partners.schemas import OfferRead, OfferRules
from partners.service import offers, onboarding
from partners.tables import OfferStatus


async def reviewed_offer(offer_id: uuid.UUID, reader: CurrentUser) -> OfferRead:
    """The offer, if its partner applied to an office within the reader's reach; another office's is not found."""
    offer = await offers.read_offer(None, offer_id)
    try:
        await onboarding.read_partner(offer.partner_id, reader)
    except PartnerNotFound:
        raise OfferNotFound() from None
    return offer


async def check_region_sizes(offer: OfferRead, settings: Settings, rules: OfferRules | None = None) -> None:
    """Before an offer (or its edit) goes live: each kecamatan it is limited to holds at least
    `min_region_children` children (its population figure, else the KIA holders known there, a lower bound), so
    which offers a card passes says no more than a large area. Kelurahan are refused when the offer is written."""
    rules = rules or offer.rules
    today = settings.today()
    for code in rules.regions:
        if await _level(code) != RegionLevel.KECAMATAN:
            continue
        found = await reports.coverage(code, today)
        children = found.eligible_children or found.holders
        if children < settings.min_region_children:
            raise RegionTooSmall(
                region=found.region_name or code, children=children, minimum=settings.min_region_children
            )


async def _level(code: str) -> str | None:
    row = await Region.select(Region.level).where(Region.code == code).first()
    return row["level"] if row else None


async def region_slices(offer: OfferRead) -> list[OfferRead]:
    """The partner's other live offers limited to other regions: together with this one, which of them a card
    passes would narrow down where the child lives. The review page shows them."""
    if not offer.rules.regions:
        return []
    siblings = await offers.list_offers(offer.partner_id)
    return [
        other for other in siblings
        if other.id != offer.id and other.rules.regions and other.rules.regions != offer.rules.regions
        and other.status in {OfferStatus.PUBLISHED, OfferStatus.PAUSED, OfferStatus.SUBMITTED}
    ]  # fmt: skip


async def publish(
    offer_id: uuid.UUID, reviewer: CurrentUser, settings: Settings, reason: str | None = None
) -> OfferRead:
    """Approve a submitted offer (API and page): within the reviewer's reach, its regions large enough."""
    await check_region_sizes(await reviewed_offer(offer_id, reviewer), settings)
    return await offers.move_by_dukcapil(offer_id, OfferStatus.PUBLISHED, reason, reviewer)


async def approve_revision(offer_id: uuid.UUID, reviewer: CurrentUser, settings: Settings) -> OfferRead:
    """Approve a live offer's edit (API and page): within the reviewer's reach, its regions large enough."""
    offer = await reviewed_offer(offer_id, reviewer)
    await check_region_sizes(offer, settings, offer.pending_rules)
    return await offers.decide_revision(offer_id, True, None, reviewer)
