"""A till without a connection: the kit it keeps to check cards and confirm redemptions offline (keys, status lists,
offers with the moments they apply, its recent redemptions, the partner's bounds), and the bounds a redemption
confirmed offline is held to when it reaches the server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from piccolo.query.functions.aggregate import Count

from core.auth import CurrentUser
from core.settings import Settings
from core.stores import Stores
from partners.schemas import Holders, OfferRules
from partners.service.offers import TillOffer, till_offers
from partners.service.rules import benefit_text
from partners.tables import OfferStatus
from verification.schemas import OfflineKey, OfflineKit, OfflineOffer, OfflineRedemption, OfflineStatusList
from verification.service import eligibility, snapshots, status_lists
from verification.service.keys import KeyRing, verifying_keys
from verification.service.till import Till, till_for
from verification.tables import Credential, Redemption, RedemptionStatus

# A till's clock may run a little ahead of the server's: a confirmation up to this far "in the future" is taken as now.
CLOCK_SKEW = timedelta(minutes=5)
MINUTE = timedelta(minutes=1)
MAX_KIA_AGE = 16  # an offer for ages 0 to 16 has no age rule: every KIA holder's age passes


@dataclass(frozen=True, slots=True)
class OfflineSync:
    """A redemption the till confirmed offline, as the server takes it: when it happened (never later than now) and
    the partner's bound it broke, if any."""

    at: datetime
    bound_broken: str | None


async def offline_sync(till: Till, offline_at: datetime, now: datetime) -> OfflineSync:
    """Judge the partner's bounds: offline redemptions allowed at all, within `offline_max_hours` of now, and at most
    `offline_max_redemptions` from this device (or this cashier or key) in that time."""
    at = min(offline_at, now) if offline_at <= now + CLOCK_SKEW else now
    if till.offline_max_redemptions <= 0:
        return OfflineSync(at, "offline_not_allowed")
    window_start = now - timedelta(hours=till.offline_max_hours)
    if at < window_start:
        return OfflineSync(at, "offline_too_old")
    query = Redemption.select(Count(Redemption.id).as_alias("n")).where(
        (Redemption.partner == till.partner_id) & Redemption.synced_at.is_not_null()
    )
    if till.device_id:
        query = query.where(Redemption.device_id == till.device_id)
    elif till.api_key_id:
        query = query.where(Redemption.api_key == till.api_key_id)
    else:
        query = query.where(Redemption.cashier == till.staff_user_id)
    row = await query.where(Redemption.redeemed_at >= window_start).first()
    if row and row["n"] >= till.offline_max_redemptions:
        return OfflineSync(at, "offline_limit_exceeded")
    return OfflineSync(at, None)


# --- the kit ------------------------------------------------------------------------------------------------------

HISTORY_DAYS = 400  # the partner's redemptions a kit carries for counting limits offline (a year's limit and more)
HISTORY_ROWS = 20_000


def windows(rules: OfferRules, till: Till, start: datetime, end: datetime) -> list[list[datetime]]:
    """The [from, until) stretches between `start` and `end` when the offer's calendar and the outlet's hours allow
    it, to the minute: what a till without a connection compares its clock with."""
    found: list[list[datetime]] = []
    moment = start.replace(second=0, microsecond=0)
    while moment < end:
        context = eligibility.Context(till.outlet_id, till.zone, moment, till.city_code, till.opening_hours)
        if eligibility.open_at(rules, context):
            if found and found[-1][1] == moment:
                found[-1][1] = moment + MINUTE
            else:
                found.append([moment, moment + MINUTE])
        moment += MINUTE
    return found


def _offline_offer(offer: TillOffer, till: Till, now: datetime, end: datetime) -> OfflineOffer:
    rules = offer.rules
    reason = None
    if offer.status is not OfferStatus.PUBLISHED:
        reason = "paused"
    elif rules.age_min > 0 or rules.age_max < MAX_KIA_AGE:
        reason = "age"
    elif rules.regions:
        reason = "region"
    return OfflineOffer(
        id=offer.id,
        title=rules.title,
        benefit_text=benefit_text(rules.benefit),
        benefit=rules.benefit,
        min_purchase=rules.min_purchase,
        needs_amount=eligibility.needs_purchase_amount(rules),
        limits=rules.limits,
        holders_of=(rules.cities or [till.city_code]) if rules.holders is Holders.LOCAL else None,
        offline=reason is None,
        offline_reason=reason,
        windows=windows(rules, till, now, end) if reason is None else [],
    )


async def _history(till: Till, offer_ids: list[uuid.UUID], today: date) -> list[OfflineRedemption]:
    """The partner's completed redemptions of these offers since HISTORY_DAYS, by the slots of the cards' prints."""
    if not offer_ids:
        return []
    rows = await (
        Redemption.select(Redemption.card, Redemption.offer, Redemption.local_date)
        .where(Redemption.partner == till.partner_id)
        .where(Redemption.offer.is_in(offer_ids))
        .where(Redemption.status == RedemptionStatus.COMPLETED)
        .where(Redemption.local_date >= today - timedelta(days=HISTORY_DAYS))
        .order_by(Redemption.redeemed_at, ascending=False)
        .limit(HISTORY_ROWS)
    )
    slots: dict[uuid.UUID, list[int]] = {}
    cards = sorted({row["card"] for row in rows})
    for start in range(0, len(cards), 500):
        printed = await Credential.select(Credential.card, Credential.status_slot).where(
            Credential.card.is_in(cards[start : start + 500]) & Credential.status_slot.is_not_null()
        )
        for row in printed:
            slots.setdefault(row["card"], []).append(row["status_slot"])
    return [
        OfflineRedemption(slot=slot, offer_id=row["offer"], local_date=row["local_date"])
        for row in rows
        for slot in slots.get(row["card"], [])
    ]


async def kit(
    user: CurrentUser, device_id: str | None, client_ip: str, keyring: KeyRing, settings: Settings, stores: Stores,
    now: datetime,
) -> OfflineKit:  # fmt: skip
    """Everything the till needs to work for the partner's `offline_max_hours` without a connection."""
    till = await till_for(user, device_id, client_ip)
    end = now + timedelta(hours=till.offline_max_hours)
    partner_offers = await till_offers(till.partner_id)
    offers = [
        offer
        for offer in partner_offers
        if (offer.all_outlets or till.outlet_id in offer.outlet_ids)
        and (not offer.rules.cities or till.city_code in offer.rules.cities)
    ]
    lists = [
        OfflineStatusList(number, city_code, await snapshots.signed_list(number, keyring, settings, stores))
        for number, city_code in (await status_lists.lists_of(snapshots.regions_of(till, partner_offers))).items()
    ]
    keys = [OfflineKey(key.number, key.kid, key.public_jwk["x"], key.public_jwk["y"]) for key in await verifying_keys()]
    return OfflineKit(
        generated_at=now,
        usable_until=end,
        zone=till.zone,
        max_redemptions=till.offline_max_redemptions,
        max_hours=till.offline_max_hours,
        status_ttl_seconds=settings.status_list_ttl,
        keys=keys,
        status_lists=lists,
        offers=[_offline_offer(offer, till, now, end) for offer in offers],
        redemptions=await _history(till, [offer.id for offer in offers], till.local_date(now)),
    )
