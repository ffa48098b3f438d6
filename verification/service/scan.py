"""The scan: which offers apply to this card here and now, and why not the others. A scan writes nothing but its
attempt log; it passes the same abuse limits and the same card check as a redeem."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from core.auth import CurrentUser
from core.settings import Settings
from core.stores import Stores
from partners.service.offers import TillOffer, till_offers
from verification.errors import CardRefused, CredentialRefused
from verification.schemas import CardState
from verification.service import cards, credentials, eligibility
from verification.service.abuse import check_rate_limits, check_velocity, is_typed
from verification.service.attempts import record_attempts
from verification.service.keys import KeyRing
from verification.service.limits import scan_read
from verification.service.till import Till, holder_ref, till_for


@dataclass(frozen=True)
class OfferVerdict:
    offer: TillOffer
    verdict: eligibility.Verdict

    @property
    def needs_purchase_amount(self) -> bool:
        return eligibility.needs_purchase_amount(self.offer.rules)


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
    text: str, user: CurrentUser, device_id: str | None, client_ip: str, keyring: KeyRing, stores: Stores,
    settings: Settings, now: datetime,
) -> ScanResult:  # fmt: skip
    till = replace(await till_for(user, device_id, client_ip), manual_code=is_typed(text))
    await check_rate_limits(till, text, stores, settings)
    offers = await till_offers(till.partner_id)
    today = till.local_date(now)
    try:
        presented = await credentials.read(text, keyring, settings, stores)
        found, usage, history = await scan_read(presented.card_id, offers, today, stores)
        state = cards.check_card(found, presented, today)
    except (CardRefused, CredentialRefused) as refusal:
        await record_attempts(till, "scan", [("refused", refusal.code, None)])
        status = CARD_STATUS_OF.get(refusal.code, "invalid")
        return ScanResult(status, refusal, None, None, [OfferVerdict(o, eligibility.Verdict(False)) for o in offers])
    await check_velocity(till, state.card_id, stores)
    verdicts = _verdicts(till, state, offers, now, usage, history)
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


def _verdicts(
    till: Till,
    state: CardState,
    offers: list[TillOffer],
    now: datetime,
    usage: dict[uuid.UUID, eligibility.Usage],
    history: dict[uuid.UUID, list[date]],
) -> list[OfferVerdict]:
    context = eligibility.Context(till.outlet_id, till.zone, now, till.city_code, till.opening_hours)
    assert state.birth_date is not None
    sliced = eligibility.region_sliced(offers)
    return [
        OfferVerdict(
            offer,
            eligibility.plain_region_refusal(
                eligibility.evaluate(
                    offer,
                    context,
                    state.birth_date,
                    state.kelurahan_code,
                    usage.get(offer.id, eligibility.Usage()),
                    history.get(offer.id, []),
                ),
                sliced,
            ),
        )
        for offer in offers
    ]


def _reason(verdict: eligibility.Verdict) -> str | None:
    return verdict.refusal.code if verdict.refusal else None
