"""Request and response bodies of the partners layer. Shapes only: the rules live in the services."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from partners.tables import Category, DeliveryStatus, OfferStatus, PartnerStatus, WebhookEvent

Name = Annotated[str, msgspec.Meta(max_length=120)]
ShortText = Annotated[str, msgspec.Meta(max_length=255)]
LongText = Annotated[str, msgspec.Meta(max_length=4000)]


# --- partners -------------------------------------------------------------------------------------------------


class OfflineBounds(msgspec.Struct, forbid_unknown_fields=True):
    """What each of the partner's tills may confirm without a connection: at most `max_redemptions` (0: none)
    within `max_hours` of its last offline kit."""

    max_redemptions: Annotated[int, msgspec.Meta(ge=0, le=200)]
    max_hours: Annotated[int, msgspec.Meta(ge=1, le=72)]


class PartnerProfile(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    category: Category
    contact_name: Name
    contact_phone: Annotated[str, msgspec.Meta(max_length=20)]
    contact_email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    business_id: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class ManagerAccount(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]
    password: Annotated[str, msgspec.Meta(max_length=256)]
    display_name: Name


class PartnerRegistration(msgspec.Struct, forbid_unknown_fields=True):
    partner: PartnerProfile
    manager: ManagerAccount
    # The kabupaten/kota whose Dukcapil the partner applies to first (more can follow from its profile).
    city_code: Annotated[str, msgspec.Meta(max_length=5)]


class OfficeApplication(msgspec.Struct, forbid_unknown_fields=True):
    city_code: Annotated[str, msgspec.Meta(max_length=5)]


class StatusChangeRead(msgspec.Struct):
    from_status: str | None
    to_status: str
    reason: str | None
    changed_at: datetime
    city_code: str | None = None  # the office's kabupaten/kota the decision was made in
    decided_by: str | None = None  # who: "Name (username)"


class OfficeStanding(msgspec.Struct):
    """The partner as one kabupaten/kota's Dukcapil office stands with it."""

    city_code: str
    city_name: str
    status: PartnerStatus
    status_reason: str | None
    agreement_number: str | None
    history: list[StatusChangeRead] = []


class PartnerRead(msgspec.Struct):
    id: uuid.UUID
    name: str
    category: Category
    contact_name: str
    contact_phone: str
    contact_email: str | None
    business_id: str | None
    agreement_number: str | None
    status: PartnerStatus
    status_reason: str | None
    void_window_minutes: int | None
    created_at: datetime
    history: list[StatusChangeRead] = []
    offline_max_redemptions: int = 20  # what each till may confirm without a connection (OfflineBounds)
    offline_max_hours: int = 12
    offices: list[OfficeStanding] = []


class MeRead(msgspec.Struct):
    """What a manager or cashier needs on screen: their partner and, for a cashier, their outlet."""

    partner: PartnerRead
    outlet: OutletRead | None


# --- outlets --------------------------------------------------------------------------------------------------


class Interval(msgspec.Struct, forbid_unknown_fields=True):
    open: Annotated[str, msgspec.Meta(max_length=5)]
    close: Annotated[str, msgspec.Meta(max_length=5)]


class OutletIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    address: ShortText
    kelurahan_code: Annotated[str, msgspec.Meta(max_length=13)]
    opening_hours: dict[str, list[Interval]] = {}
    timezone: str = "Asia/Jakarta"
    active: bool = True


class OutletRead(msgspec.Struct):
    id: uuid.UUID
    partner_id: uuid.UUID
    name: str
    address: str
    kelurahan_code: str
    kelurahan_name: str | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    opening_hours: dict[str, list[Interval]]
    timezone: str
    active: bool


# --- staff ----------------------------------------------------------------------------------------------------


class StaffRole(StrEnum):
    CASHIER = "cashier"
    PARTNER_MANAGER = "partner_manager"


class StaffCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]
    password: Annotated[str, msgspec.Meta(max_length=256)]
    display_name: Name
    role: StaffRole
    outlet_id: uuid.UUID | None = None


class StaffUpdate(msgspec.Struct, forbid_unknown_fields=True):
    active: bool | None = None
    password: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    outlet_id: uuid.UUID | None = None


class StaffRead(msgspec.Struct):
    id: uuid.UUID
    username: str
    display_name: str
    role: StaffRole
    outlet_id: uuid.UUID | None
    active: bool
    last_login_at: datetime | None


# --- offers ---------------------------------------------------------------------------------------------------


class BenefitType(StrEnum):
    PERCENT = "percent"
    FIXED_AMOUNT = "fixed_amount"
    FREE_ENTRY = "free_entry"
    FREE_ITEM = "free_item"


class LimitPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    LIFETIME = "lifetime"


class Benefit(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """percent: `percent` (1–100) and optional `max_discount`; fixed_amount: `amount`;
    free_entry / free_item: `value` (the normal price, counted against the budget) and, for an item, `item`."""

    type: BenefitType
    percent: int | None = None
    max_discount: int | None = None
    amount: int | None = None
    value: int | None = None
    item: Annotated[str, msgspec.Meta(max_length=120)] | None = None


class Limit(msgspec.Struct, forbid_unknown_fields=True):
    period: LimitPeriod
    count: int


class Hours(msgspec.Struct, forbid_unknown_fields=True):
    start: Annotated[str, msgspec.Meta(max_length=5)]
    end: Annotated[str, msgspec.Meta(max_length=5)]


class Blackout(msgspec.Struct, forbid_unknown_fields=True, rename={"from_date": "from"}):
    from_date: date
    until: date
    label: Annotated[str, msgspec.Meta(max_length=80)] | None = None


class Holders(StrEnum):
    """Whose KIA an offer accepts: every holder's, or only KIAs issued in the kabupaten/kota where it runs."""

    ANYWHERE = "anywhere"
    LOCAL = "local"


class OfferRules(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Everything a partner decides about an offer. Dates are the outlet's local dates; weekdays 1 = Monday."""

    title: Annotated[str, msgspec.Meta(max_length=120)]
    title_en: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    description: LongText
    description_en: LongText | None = None
    terms: LongText | None = None
    terms_en: LongText | None = None
    category: Category
    benefit: Benefit
    min_purchase: int = 0
    valid_from: date
    valid_until: date | None = None
    weekdays: list[int] = msgspec.field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])
    hours: Hours | None = None
    blackout_dates: list[Blackout] = []
    age_min: int = 0
    age_max: int = 16
    regions: list[Annotated[str, msgspec.Meta(max_length=13)]] = []  # where the child lives (kelurahan prefixes)
    # The kabupaten/kota where the offer runs (empty: wherever the partner is approved), and whose KIAs it accepts.
    cities: list[Annotated[str, msgspec.Meta(max_length=5)]] = []
    holders: Holders = Holders.ANYWHERE
    outlet_ids: list[uuid.UUID] = []
    limits: list[Limit] = []
    quota: int | None = None
    budget: int | None = None
    stackable: bool = False


class OfferRead(msgspec.Struct):
    id: uuid.UUID
    partner_id: uuid.UUID
    status: OfferStatus
    status_reason: str | None
    revision: int
    rules: OfferRules
    summary: str
    created_at: datetime
    updated_at: datetime
    history: list[StatusChangeRead] = []
    # An edit of a live offer under Dukcapil's review: the catalog and the till still use `rules` until approved.
    pending_revision: int | None = None
    pending_rules: OfferRules | None = None
    revision_rejected_reason: str | None = None


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


# --- API keys -------------------------------------------------------------------------------------------------


class ApiScope(StrEnum):
    SCAN = "scan"
    REDEEM = "redeem"


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    outlet_id: uuid.UUID
    scopes: list[ApiScope] = msgspec.field(default_factory=lambda: [ApiScope.SCAN, ApiScope.REDEEM])


class ApiKeyRead(msgspec.Struct):
    id: uuid.UUID
    name: str
    outlet_id: uuid.UUID
    prefix: str
    scopes: list[ApiScope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(msgspec.Struct):
    """The only response that ever contains the key itself."""

    id: uuid.UUID
    name: str
    outlet_id: uuid.UUID
    prefix: str
    scopes: list[ApiScope]
    key: str
    created_at: datetime


# --- webhooks -------------------------------------------------------------------------------------------------


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    events: list[WebhookEvent]
    description: Annotated[str, msgspec.Meta(max_length=120)] = ""


class WebhookUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What a manager may change; a field left out stays as it is."""

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    events: list[WebhookEvent] | None = None
    description: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    enabled: bool | None = None


class WebhookRead(msgspec.Struct):
    id: uuid.UUID
    url: str
    description: str
    events: list[WebhookEvent]
    enabled: bool
    disabled_reason: Literal["failing", "manager"] | None
    disabled_at: datetime | None
    created_at: datetime
    secret_rotated_at: datetime | None
    # Until then the previous secret also signs each delivery (a second signature in `webhook-signature`).
    previous_secret_until: datetime | None


class WebhookSecret(msgspec.Struct):
    """The only response that ever contains the signing secret: on creation and on rotation."""

    endpoint: WebhookRead
    secret: str


class WebhookAttemptRead(msgspec.Struct):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDeliveryRead(msgspec.Struct):
    id: uuid.UUID  # the webhook-id header
    event_type: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    attempt_log: list[WebhookAttemptRead]


# --- public catalog -------------------------------------------------------------------------------------------


class CatalogOutlet(msgspec.Struct):
    name: str
    address: str
    kelurahan: str | None
    kecamatan: str | None
    kecamatan_code: str | None


class CatalogOffer(msgspec.Struct):
    id: uuid.UUID
    partner_name: str
    category: Category
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    terms: str | None
    benefit: Benefit
    benefit_text: str
    summary: str
    valid_from: date
    valid_until: date | None
    age_min: int
    age_max: int
    weekdays: list[int]
    hours: Hours | None
    outlets: list[CatalogOutlet]
    public_url: str
    poster_png_url: str
    poster_svg_url: str


class CatalogFilter(msgspec.Struct):
    category: Category | None = None
    kecamatan: str | None = None
    age: int | None = None
    q: str | None = None


ScopeName = Literal["scan", "redeem"]


class RegisteredManager(msgspec.Struct):
    id: str
    username: str


class Registered(msgspec.Struct):
    partner: PartnerRead
    manager: RegisteredManager
