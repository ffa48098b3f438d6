"""Request and response bodies of the till (scan, redeem, void, history) and of cards (their state for the till,
what Dukcapil reads of one)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from core.money import Rupiah
from partners.schemas import Benefit, CatalogOutlet, Limit
from verification.tables import CardStatus, Channel

QrText = Annotated[str, msgspec.Meta(min_length=1, max_length=4096, description="Scanned QR text or typed manual code")]


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    qr: QrText


class ScanCard(msgspec.Struct):
    status: str  # active, revoked, expired, superseded, unknown, invalid
    age_years: int | None
    holder_ref: str | None
    reason_code: str | None = None
    message: str | None = None


class ScanBenefit(msgspec.Struct, omit_defaults=True):
    type: str
    text: str
    percent: int | None = None
    max_discount: int | None = None
    amount: int | None = None
    value: int | None = None
    item: str | None = None


class ScanOffer(msgspec.Struct):
    offer_id: uuid.UUID
    title: str
    benefit: ScanBenefit
    eligible: bool
    reason_code: str | None
    message: str | None
    next_eligible_at: datetime | None
    remaining: int | None
    period: str | None
    min_purchase: int
    needs_purchase_amount: bool


class ScanResponse(msgspec.Struct):
    card: ScanCard
    offers: list[ScanOffer]


class RedeemRequest(msgspec.Struct, forbid_unknown_fields=True):
    qr: QrText
    offer_id: uuid.UUID
    # Whole rupiah as a JSON integer; required when the benefit depends on it (a percentage, a minimum purchase).
    purchase_amount: Rupiah | None = None
    # Set by a till sending a redemption it confirmed while offline: when it was confirmed (with its offset). The
    # rules are judged as of then; one the till could not know was over a limit is kept as `offline_over_limit`.
    offline_at: datetime | None = None


class RedemptionReceipt(msgspec.Struct):
    redemption_id: uuid.UUID
    receipt_code: str
    offer_id: uuid.UUID
    discount_amount: int
    purchase_amount: int
    redeemed_at: datetime
    void_deadline: datetime  # until when the till may undo it
    status: str = "completed"  # or, for one confirmed offline, `offline_over_limit`
    flag: str | None = None  # for `offline_over_limit`: the rule it broke (a reason code)


class VoidRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class VoidResponse(msgspec.Struct):
    redemption_id: uuid.UUID
    receipt_code: str
    status: str
    voided_at: datetime
    void_reason: str | None


class HistoryRow(msgspec.Struct):
    redemption_id: uuid.UUID
    receipt_code: str
    redeemed_at: datetime
    redeemed_at_local: str
    local_date: date
    outlet_id: uuid.UUID
    outlet_name: str
    offer_id: uuid.UUID
    offer_title: str
    offer_revision: int
    purchase_amount: int
    discount_amount: int
    status: str
    voided_at: datetime | None
    holder_ref: str
    void_deadline: datetime
    # Who did it, for a dispute: the cashier (or point-of-sale key) and device; for a void, who, when and why.
    cashier: str | None = None
    device_id: str | None = None
    voided_by: str | None = None
    void_reason: str | None = None
    voided_at_local: str | None = None
    offline: bool = False  # confirmed while the till was offline, sent later
    flag: str | None = None  # for `offline_over_limit`: the rule it broke (a reason code)


class HistoryPage(msgspec.Struct):
    items: list[HistoryRow]
    total: int
    limit: int
    offset: int


class CardState(msgspec.Struct, frozen=True):
    """What the till needs about a card; cached in the store (no NIK, no name)."""

    card_id: uuid.UUID
    cv: int
    status: CardStatus
    birth_date: date | None
    kelurahan_code: str


class CardDetail(msgspec.Struct):
    """What Dukcapil sees of a card: never a NIK or a name; the birth date only as age and KIA type."""

    id: uuid.UUID
    status: CardStatus
    status_reason: str | None
    cv: int
    manual_code: str
    age_years: int | None
    kia_type: str | None
    birth_year: int
    kelurahan_code: str
    kia_printed_on: date
    enrolled_on: date
    channel: Channel
    consent_guardian: str | None
    consent_version: str | None
    consent_at: datetime | None
    history: list[dict[str, Any]]


class StatusListRef(msgspec.Struct):
    number: int
    url: str  # GET it for the signed list (application/vc+jwt)


class StatusLists(msgspec.Struct):
    """The status lists a till needs to check cards offline, and how long each may be relied on once fetched."""

    lists: list[StatusListRef]
    ttl_seconds: int


class OfflineKey(msgspec.Struct):
    """A key that verifies version 2 credentials: its number (the COSE kid) and its P-256 point (base64url)."""

    kid: int
    jws_kid: str  # the same key's kid in the JWK Set: the one a signed status list names
    x: str
    y: str


class OfflineStatusList(msgspec.Struct):
    number: int
    city_code: str  # the office whose prints it holds
    token: str  # the signed list (application/vc+jwt), exactly as GET /status-lists/{number} gives it


class OfflineOffer(msgspec.Struct):
    id: uuid.UUID
    title: str
    benefit_text: str
    benefit: Benefit
    min_purchase: int
    needs_amount: bool
    limits: list[Limit]
    holders_of: list[str] | None  # only KIAs of these offices (holders "local"); None: any office's
    offline: bool  # whether the till may confirm it offline
    offline_reason: str | None  # why not: "paused", "age" or "region" (a card's age and area are known online only)
    windows: list[list[datetime]]  # [start, end) moments within the kit's life when its calendar allows it


class OfflineRedemption(msgspec.Struct):
    """One of the partner's redemptions, for the limits a till can count offline: the print's slot, not the card."""

    slot: int
    offer_id: uuid.UUID
    local_date: date


class OfflineKit(msgspec.Struct):
    """What a till keeps to check cards and confirm redemptions without a connection, fetched while online."""

    generated_at: datetime
    usable_until: datetime  # the partner's hours after which the till stops confirming offline
    zone: str
    max_redemptions: int  # the partner's bound on redemptions confirmed offline by one device (0: none)
    max_hours: int
    status_ttl_seconds: int
    keys: list[OfflineKey]
    status_lists: list[OfflineStatusList]
    offers: list[OfflineOffer]
    redemptions: list[OfflineRedemption]


class PresentationRequest(msgspec.Struct, forbid_unknown_fields=True):
    qr: QrText  # the printed sticker's QR text, as the parent's phone read it


class CardCheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: QrText  # the sticker's QR text, or the manual code printed under it


class CardCheckOffer(msgspec.Struct):
    offer_id: uuid.UUID
    title: str
    partner_name: str
    benefit_text: str
    summary: str  # the offer's rules in one line: days, hours, limits per child, ages
    page_url: str
    today: bool  # its calendar allows it today (the outlet's hours still apply)
    next_day: date  # today, or the first day it applies
    next_day_text: str  # the same, in words: "3 Des 2026"
    regions: list[str]  # only for children living here (not checked against the card: the page never learns it)
    outlets: list[CatalogOutlet]


class CardCheckResponse(msgspec.Struct):
    """What a parent sees of their child's card: never a name, a NIK, a birth date, an address or a visit."""

    status: Literal["active", "revoked", "expired", "superseded", "unknown"]
    title: str
    what_to_do: str
    guide_url: str | None  # the card's office's "how to get a KIA" page, when the card has an office
    offers: list[CardCheckOffer]


class PresentationResponse(msgspec.Struct):
    qr: str  # the code to show at the till
    expires_at: datetime
    svg: str  # the same code as a QR image (SVG), ready to show
