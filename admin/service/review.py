"""Dukcapil's review of partners' offers: an office reviews the offers of partners that applied to it."""

from __future__ import annotations

import uuid

from core.auth import CurrentUser
from partners.errors import OfferNotFound, PartnerNotFound
from partners.schemas import OfferRead
from partners.service import offers, onboarding


async def reviewed_offer(offer_id: uuid.UUID, reader: CurrentUser) -> OfferRead:
    """The offer, if its partner applied to an office within the reader's reach; another office's is not found."""
    offer = await offers.read_offer(None, offer_id)
    try:
        await onboarding.read_partner(offer.partner_id, reader)
    except PartnerNotFound:
        raise OfferNotFound() from None
    return offer
