"""Request and response bodies of the till (scan, redeem, void, history) and of cards (their state for the till,
what Dukcapil reads of one)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from core.money import Rupiah
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


class RedemptionReceipt(msgspec.Struct):
    redemption_id: uuid.UUID
    receipt_code: str
    offer_id: uuid.UUID
    discount_amount: int
    purchase_amount: int
    redeemed_at: datetime
    void_deadline: datetime  # until when the till may undo it


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
