"""The till: who is scanning where, abuse limits, the per-partner pseudonym, the attempt log, and the scan itself
(which offers apply to this card here and now, and why not the others). A scan writes nothing but its log."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog

from core.auth import CurrentUser, derive_key
from core.database import CompiledQuery, bulk_insert, is_sqlite, write_transaction
from core.localtime import utc_now
from core.settings import Settings
from core.stores import Stores
from partners.errors import PartnerNotApproved
from partners.service.access import own_membership
from partners.service.offers import TillOffer, till_offers
from partners.service.outlets import till_place
from partners.tables import PartnerStatus
from verification.errors import (
    CardRefused,
    CardVelocity,
    CredentialRefused,
    Ineligible,
    ManualCodeThrottled,
    OutletInactive,
    ScanThrottled,
)
from verification.service import cards, credentials, eligibility, rollups
from verification.service.cards import CardState
from verification.service.keys import KeyRing
from verification.tables import Attempt, OfferUsage, Redemption, RedemptionStatus

log = structlog.get_logger()

# Abuse limits. A busy till scans a few children a minute; a script scans hundreds.
SCANS_PER_MINUTE = 120
MANUAL_CODES_PER_WINDOW, MANUAL_CODE_WINDOW = 10, 300
VELOCITY_OUTLETS, VELOCITY_WINDOW = 3, 600  # more than 3 outlets within 10 minutes: a shared or copied QR
CROCKFORD = credentials.CROCKFORD


@dataclass(frozen=True)
class Till:
    """Who acts, for which partner, at which outlet, in which zone."""

    partner_id: uuid.UUID
    outlet_id: uuid.UUID
    zone: str
    staff_user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    device_id: str | None
    void_window_minutes: int | None

    def local_date(self, moment: datetime) -> date:
        return eligibility.Context(self.outlet_id, self.zone, moment).today


async def till_for(user: CurrentUser, device_id: str | None) -> Till:
    """The caller's outlet; refused while the partner is not approved or the outlet is inactive."""
    membership = await own_membership(user)
    if membership.outlet_id is None:  # a manager is not at a till; the guard allows only cashiers and keys
        raise OutletInactive()
    place = await till_place(membership.partner_id, membership.outlet_id)
    if place.partner_status != PartnerStatus.APPROVED:
        raise PartnerNotApproved(status=place.partner_status)
    if not place.outlet_active:
        raise OutletInactive()
    return Till(
        partner_id=membership.partner_id,
        outlet_id=membership.outlet_id,
        zone=place.timezone,
        staff_user_id=None if user.api_key_id else user.id,
        api_key_id=user.api_key_id,
        device_id=(device_id or "")[:64] or None,
        void_window_minutes=place.void_window_minutes,
    )


def holder_ref(settings: Settings, partner_id: uuid.UUID, card_id: uuid.UUID) -> str:
    """A short pseudonym of the card that differs per partner: a partner recognises a returning child, and no two
    partners can link their customers."""
    digest = hmac.new(derive_key(settings.secret_key, "holder-ref"), partner_id.bytes + card_id.bytes, hashlib.sha256)
    value = int.from_bytes(digest.digest()[:7], "big")
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in range(10))


def _principal(till: Till) -> str:
    return f"key:{till.api_key_id}" if till.api_key_id else f"user:{till.staff_user_id}"


async def check_rate_limits(till: Till, text: str, stores: Stores) -> None:
    hit = await stores.hit(f"scan:{_principal(till)}", 60)
    if hit.count > SCANS_PER_MINUTE:
        raise ScanThrottled(retry_after=hit.resets_in)
    typed = text.strip()
    if not typed.lower().startswith(credentials.QR_PREFIX) and typed.count(".") != 2:  # a typed code, or a guess
        manual = await stores.hit(f"manual:{_principal(till)}", MANUAL_CODE_WINDOW)
        if manual.count > MANUAL_CODES_PER_WINDOW:
            raise ManualCodeThrottled(retry_after=manual.resets_in)


async def check_velocity(till: Till, card_id: uuid.UUID, stores: Stores, settings: Settings) -> None:
    outlets = await stores.add_member(f"velocity:{card_id.hex}", till.outlet_id.hex, VELOCITY_WINDOW)
    if outlets.count > VELOCITY_OUTLETS:
        await record_attempts(till, "scan", [("flagged", CardVelocity.code, None)], card_id=card_id)
        log.warning("verification.card_velocity", partner_id=str(till.partner_id), outlets=outlets.count)
        raise CardVelocity(retry_after=outlets.resets_in)


async def record_attempts(
    till: Till,
    kind: str,
    outcomes: list[tuple[str, str | None, uuid.UUID | None]],
    card_id: uuid.UUID | None = None,
    redemption_id: uuid.UUID | None = None,
) -> None:
    """Append (outcome, reason code, offer) rows for one scan, redeem or void; count refusals in their rollup."""
    now = utc_now()
    day = till.local_date(now)
    rows = [
        (now, day, kind, outcome, reason, till.partner_id, till.outlet_id, offer, card_id, till.staff_user_id,
         till.api_key_id, till.device_id, redemption_id)
        for outcome, reason, offer in outcomes
    ]  # fmt: skip
    columns = ("occurred_at", "local_date", "kind", "outcome", "reason_code", "partner", "outlet", "offer", "card",
               "staff_user", "api_key", "device_id", "redemption")  # fmt: skip
    refusals = [(reason, offer) for outcome, reason, offer in outcomes if outcome in {"refused", "flagged"} and reason]
    if not refusals and not is_sqlite():  # the rows alone: one atomic statement, no BEGIN and COMMIT round trips
        await bulk_insert(Attempt, columns, rows)
        return
    async with write_transaction():
        await bulk_insert(Attempt, columns, rows)
        for reason, offer in refusals:
            await rollups.refusal(day, till.partner_id, offer, till.outlet_id, reason)


def _card_history_query(card_id: Any, offer_ids: Any, since: Any) -> Any:
    query = (
        Redemption.select(Redemption.offer, Redemption.local_date)
        .where(Redemption.card == card_id)
        .where(Redemption.offer.is_in(offer_ids))
        .where(Redemption.status == RedemptionStatus.COMPLETED)
    )
    return query if since is None else query.where(Redemption.local_date >= since)


# Both asked on every scan and redeem: compiled once (core.database.CompiledQuery).
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


@dataclass(frozen=True)
class OfferVerdict:
    offer: TillOffer
    verdict: eligibility.Verdict


@dataclass(frozen=True)
class ScanResult:
    status: str
    refusal: CardRefused | CredentialRefused | None
    age_years: int | None
    holder_ref: str | None
    verdicts: list[OfferVerdict]


CARD_STATUS_OF = {
    "card_revoked": "revoked",
    "card_expired": "expired",
    "card_superseded": "superseded",
    "card_unknown": "unknown",
}


async def scan(
    text: str, user: CurrentUser, device_id: str | None, keyring: KeyRing, stores: Stores, settings: Settings,
    now: datetime,
) -> ScanResult:  # fmt: skip
    till = await till_for(user, device_id)
    await check_rate_limits(till, text, stores)
    offers = await till_offers(till.partner_id)
    today = till.local_date(now)
    try:
        state = await cards.resolve(text, keyring, stores, settings, today)
    except (CardRefused, CredentialRefused) as refusal:
        await record_attempts(till, "scan", [("refused", refusal.code, None)])
        status = CARD_STATUS_OF.get(refusal.code, "invalid")
        return ScanResult(status, refusal, None, None, [OfferVerdict(o, eligibility.Verdict(False)) for o in offers])
    await check_velocity(till, state.card_id, stores, settings)
    verdicts = await _verdicts(till, state, offers, now, today)
    await record_attempts(
        till,
        "scan",
        [("eligible" if v.verdict.eligible else "ineligible", _reason(v.verdict), v.offer.id) for v in verdicts]
        or [("eligible", None, None)],
        card_id=state.card_id,
    )
    assert state.birth_date is not None  # an active card keeps its birth date
    return ScanResult(
        "active",
        None,
        cards.age_on(state.birth_date, today),
        holder_ref(settings, till.partner_id, state.card_id),
        sorted(verdicts, key=lambda v: not v.verdict.eligible),
    )


async def _verdicts(
    till: Till, state: CardState, offers: list[TillOffer], now: datetime, today: date
) -> list[OfferVerdict]:
    usage = await usage_of([offer.id for offer in offers])
    history = await card_history(state.card_id, offers, today)
    context = eligibility.Context(till.outlet_id, till.zone, now)
    assert state.birth_date is not None
    return [
        OfferVerdict(
            offer,
            eligibility.evaluate(
                offer,
                context,
                state.birth_date,
                state.kelurahan_code,
                usage.get(offer.id, eligibility.Usage()),
                history.get(offer.id, []),
            ),
        )
        for offer in offers
    ]


async def usage_of(offer_ids: list[uuid.UUID]) -> dict[uuid.UUID, eligibility.Usage]:
    if not offer_ids:
        return {}
    rows = await _USAGE(offer_ids)
    return {row["offer"]: eligibility.Usage(row["redemptions"], row["discount_total"]) for row in rows}


def _reason(verdict: eligibility.Verdict) -> str | None:
    return verdict.refusal.code if verdict.refusal else None


def verdict_params(refusal: Ineligible | None) -> dict[str, Any]:
    return dict(refusal.params) if refusal else {}
