"""A parent's check of their child's card on the public site: is it valid (and what to do if not), and which offers
it gets today and where. Answered from the card's status, age and city and the offers' own rules only: never from
the child's address or redemptions, because anyone who once scanned the sticker (a till) could ask it too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import structlog

from core.i18n import Text
from core.offices import city_of
from core.settings import Settings
from core.stores import Stores
from partners.schemas import CatalogFilter, CatalogOffer, CatalogOutlet, Holders, OfferRules
from partners.service.catalog import catalog_entries
from partners.service.outlets import region_names
from verification.errors import CardCheckThrottled, CardRefused, CardUnknown, QrUnreadable
from verification.service import cards, credentials, eligibility
from verification.service.keys import KeyRing

log = structlog.get_logger()

PER_ADDRESS_PER_MINUTE = 10  # a family checks a card or two; a school's shared connection a few more
TYPED_PER_ADDRESS_PER_HOUR = 10  # a typed code is a guess until it matches: fewer of those


@dataclass(frozen=True)
class CardOffer:
    offer: CatalogOffer
    outlets: list[CatalogOutlet]  # where this card can use it
    next_day: date  # today, or the next day its calendar allows
    regions: list[str] = field(default_factory=list)  # "only for children living in": names, not judged


@dataclass(frozen=True)
class ParentCheck:
    status: str  # active, revoked, expired, superseded, unknown
    refusal: CardRefused | None
    city_code: str | None  # the card's kabupaten/kota: where its office's guide is
    offers: list[CardOffer]


async def check_for_parent(
    text: str, client_ip: str, keyring: KeyRing, settings: Settings, stores: Stores
) -> ParentCheck:  # fmt: skip
    """The card behind a printed QR or a typed manual code, as a parent may see it. Counted per address before
    anything is looked up, so a refused guess learns nothing."""
    typed = not credentials.is_signed(text)
    counters = [(f"card-check:address:{client_ip}", 60)]
    if typed:
        counters.append((f"card-check:typed:{client_ip}", 3600))
    hits = await stores.hit_many(counters)
    for hit, limit in zip(hits, (PER_ADDRESS_PER_MINUTE, TYPED_PER_ADDRESS_PER_HOUR), strict=False):
        if hit.count > limit:
            raise CardCheckThrottled(retry_after=hit.resets_in)
    presented = await credentials.read(text, keyring, settings, stores)
    if presented.via not in ("qr", "manual"):
        raise QrUnreadable()  # the phone's rotating code is for the till, not for looking a card up
    today = settings.today()
    state = await cards.card_state(presented.card_id, stores)
    city = city_of(state.kelurahan_code) if state is not None else None
    try:
        state = cards.check_card(state, presented, today)
    except CardRefused as refusal:
        log.info("verification.parent_check", status=_STATUS[refusal.code])
        return ParentCheck(_STATUS[refusal.code], refusal, city, [])
    assert state.birth_date is not None  # an active card keeps its birth date
    assert city is not None
    offers = await _offers_for(cards.age_on(state.birth_date, today), city, today, settings)
    log.info("verification.parent_check", status="active", offers=len(offers))
    return ParentCheck("active", None, city, offers)


# What a parent reads for each answer, and what to do about it.
ADVICE = {
    "active": (
        Text("KIA aktif", "KIA active"),
        Text("Kartu ini berlaku. Tunjukkan stiker QR-nya di kasir mitra untuk memakai penawaran di bawah.",
             "This card is valid. Show its QR sticker at a partner's till to use the offers below."),
    ),
    "revoked": (
        Text("Kartu sudah dicabut", "Card revoked"),
        Text("Kartu ini sudah diblokir oleh Dukcapil, misalnya karena dilaporkan hilang. Jika kartu anak Anda hilang "
             "atau rusak, minta cetak ulang di kantor Dukcapil.",
             "Dukcapil has blocked this card, for example because it was reported lost. If your child's card was lost "
             "or damaged, ask the Dukcapil office for a new print."),
    ),
    "superseded": (
        Text("Stiker QR ini sudah diganti", "This QR sticker was replaced"),
        Text("Ada stiker QR yang lebih baru untuk kartu ini. Pakai stiker terbaru; stiker lama tidak berlaku lagi.",
             "There is a newer QR sticker for this card. Use the newest one; the old sticker no longer works."),
    ),
    "expired": (
        Text("Masa berlaku KIA habis", "KIA expired"),
        Text("Anak sudah berusia 17 tahun: KIA tidak berlaku lagi dan diganti KTP-el. Urus KTP-el di Dukcapil.",
             "The child has turned 17: the KIA is no longer valid and is replaced by the KTP-el. Apply at Dukcapil."),
    ),
    "unknown": (
        Text("Kartu belum terdaftar", "Card not enrolled"),
        Text("Kode ini tidak terdaftar dalam program Mitra KIA. Tanyakan ke kantor Dukcapil yang menerbitkan kartu.",
             "This code is not enrolled in the Mitra KIA programme. Ask the Dukcapil office that issued the card."),
    ),
}  # fmt: skip

_STATUS = {
    "card_revoked": "revoked",
    "card_expired": "expired",
    "card_superseded": "superseded",
    CardUnknown.code: "unknown",
}


async def _offers_for(age: int, city: str, today: date, settings: Settings) -> list[CardOffer]:
    """The catalog's offers this card may use, with the outlets where, today's first and the card's own city's
    outlets first; offers that fit the child's age but never again in their calendar are left out."""
    entries = await catalog_entries(settings, CatalogFilter())
    names = await _region_names([code for _, rules in entries for code in rules.regions])
    found = []
    for offer, rules in entries:
        if not rules.age_min <= age <= rules.age_max:
            continue
        outlets = [o for o in offer.outlets if _usable_at(rules, city, _city(o))]
        next_day = eligibility.next_valid_day(rules, today)
        if not outlets or next_day is None:
            continue
        outlets.sort(key=lambda o: _city(o) != city)
        found.append(CardOffer(offer, outlets, next_day, [names.get(code, code) for code in rules.regions]))
    found.sort(key=lambda o: (o.next_day != today, _city(o.outlets[0]) != city, o.next_day))
    return found


def _city(outlet: CatalogOutlet) -> str:
    return city_of(outlet.kecamatan_code or "")


def _usable_at(rules: OfferRules, card_city: str, outlet_city: str) -> bool:
    """The till's own city rules (eligibility.evaluate): an offer runs only in its cities, and an offer for local
    KIAs takes only cards of those cities (or, with none named, of the outlet's city)."""
    if rules.cities and outlet_city not in rules.cities:
        return False
    return rules.holders is not Holders.LOCAL or card_city in (rules.cities or [outlet_city])


async def _region_names(codes: list[str]) -> dict[str, str]:
    return {code: name for code, (name, _) in (await region_names(set(codes))).items()}
