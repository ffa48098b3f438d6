"""Partners, their outlets and staff membership, offers with revisions and status history, outlet API keys, webhook
endpoints and their deliveries."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSONB,
    UUID,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables import StaffUser


class Category(StrEnum):
    BOOKSTORE = "bookstore"
    RECREATION = "recreation"
    SWIMMING_POOL = "swimming_pool"
    FOOD = "food"
    HEALTH = "health"
    EDUCATION = "education"
    OTHER = "other"


class PartnerStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class OfferStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"
    PAUSED = "paused"
    ENDED = "ended"
    SUSPENDED = "suspended"


class Partner(Table, tablename="partner"):
    """A merchant that gives KIA holders a benefit, once Dukcapil approves it."""

    id = UUID(primary_key=True)
    name = Varchar(length=120)
    category = Varchar(length=20, choices=Category)
    contact_name = Varchar(length=120)
    contact_phone = Varchar(length=20)
    contact_email = Varchar(length=254, null=True, default=None)
    business_id = Varchar(length=32, null=True, default=None)
    # Sums up its standing with the offices (PartnerOffice), where each agreement (PKS) number lives.
    status = Varchar(length=12, choices=PartnerStatus, default=PartnerStatus.PENDING, index=True)
    status_reason = Text(null=True, default=None)
    # Minutes after a redemption during which it may be voided; null means "until the end of the local day".
    void_window_minutes = Integer(null=True, default=None)
    # What each of its tills may confirm without a connection: at most this many redemptions (0: none), for at most
    # this many hours after it last had the offline kit (verification.service.offline).
    offline_max_redemptions = Integer(default=20)
    offline_max_hours = Integer(default=12)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PartnerOffice(Table, tablename="partner_office"):
    """A partner's standing with one kabupaten/kota's Dukcapil office, which approves it for its own area under its
    own agreement (PKS): an outlet serves only where its partner is approved. Unique (partner, city_code), by an
    index made in a migration. `Partner.status` sums these up: approved while any office has approved it."""

    id = BigSerial(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    city_code = Varchar(length=5, index=True)
    status = Varchar(length=12, choices=PartnerStatus, default=PartnerStatus.PENDING, index=True)
    status_reason = Text(null=True, default=None)
    agreement_number = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PartnerStatusChange(Table, tablename="partner_status_change"):
    """Each decision on a partner in one office's area, with its reason and who decided: the history a manager and
    Dukcapil both read."""

    id = BigSerial(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    city_code = Varchar(length=5, null=True, default=None, index=True)
    from_status = Varchar(length=12, null=True, default=None)
    to_status = Varchar(length=12)
    reason = Text(null=True, default=None)
    actor_id = UUID(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())


class Outlet(Table, tablename="outlet"):
    """A place where a partner serves KIA holders; its zone decides what "today" means there."""

    id = UUID(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=120)
    address = Varchar(length=255)
    kelurahan_code = Varchar(length=13, index=True)
    # {"mon": [{"open": "08:00", "close": "21:00"}], ...}; a missing day is closed.
    opening_hours = JSONB(default={})
    timezone = Varchar(length=32, default="Asia/Jakarta")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PartnerMember(Table, tablename="partner_member"):
    """Binds a staff account to one partner (a manager) or to one outlet of it (a cashier)."""

    id = BigSerial(primary_key=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False, unique=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    outlet = ForeignKey(references=Outlet, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Offer(Table, tablename="offer"):
    """An offer's identity and lifecycle; its current rules are revision `revision` (also kept in `rules`)."""

    id = UUID(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    status = Varchar(length=12, choices=OfferStatus, default=OfferStatus.DRAFT, index=True)
    status_reason = Text(null=True, default=None)
    revision = Integer(default=1)
    rules = JSONB()
    # Denormalised from `rules` for filtering the catalog and the till without reading JSON.
    title = Varchar(length=120)
    category = Varchar(length=20, choices=Category, index=True)
    valid_from = Date()
    valid_until = Date(null=True, default=None)
    age_min = Integer(default=0)
    age_max = Integer(default=16)
    all_outlets = Boolean(default=True)
    first_published_at = Timestamptz(null=True, default=None)
    # An edit of a live (published or paused) offer waits here for Dukcapil's review; `revision` keeps serving.
    pending_revision = Integer(null=True, default=None)
    revision_rejected_reason = Text(null=True, default=None)  # why Dukcapil turned down the last edit
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OfferOutlet(Table, tablename="offer_outlet"):
    """The outlets an offer is limited to (none listed: every outlet of the partner). Unique (offer, outlet).

    Multi-column unique rules are unique indexes made by migration: SQLite cannot add table constraints later.
    """

    id = BigSerial(primary_key=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.cascade, null=False, index=True)
    outlet = ForeignKey(references=Outlet, on_delete=OnDelete.cascade, null=False, index=True)


class OfferRevision(Table, tablename="offer_revision"):
    """Every version of an offer's rules; a redemption names the revision it was made under.

    Unique (offer, revision), by an index made in a migration."""

    id = BigSerial(primary_key=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.cascade, null=False, index=True)
    revision = Integer()
    rules = JSONB()
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class OfferStatusChange(Table, tablename="offer_status_change"):
    id = BigSerial(primary_key=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.cascade, null=False, index=True)
    from_status = Varchar(length=12, null=True, default=None)
    to_status = Varchar(length=12)
    reason = Text(null=True, default=None)
    actor_id = UUID(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table, tablename="partner_api_key"):
    """A point-of-sale integration's key for one outlet: shown once, stored as a SHA-256 hash."""

    id = UUID(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    outlet = ForeignKey(references=Outlet, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=80)
    prefix = Varchar(length=16, unique=True)
    key_hash = Varchar(length=64)
    scopes = JSONB(default=["scan", "redeem"])
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class WebhookEvent(StrEnum):
    """What a partner's endpoint can subscribe to (docs/integrations.md)."""

    REDEMPTION_CREATED = "redemption.created"
    REDEMPTION_VOIDED = "redemption.voided"
    REDEMPTION_OFFLINE_OVER_LIMIT = "redemption.offline_over_limit"
    OFFER_STATUS_CHANGED = "offer.status_changed"
    PARTNER_STATUS_CHANGED = "partner.status_changed"


TEST_EVENT = "webhook.test"  # sent on request to one endpoint, whatever it subscribes to


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # retried for a day without a 2xx; "send again" queues it once more


class WebhookEndpoint(Table, tablename="webhook_endpoint"):
    """A partner's URL that receives signed events. The signing secret is stored encrypted (it must be used, not
    only checked); after a rotation the previous one also signs until `previous_secret_until`."""

    id = UUID(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.cascade, null=False, index=True)
    url = Varchar(length=500)
    description = Varchar(length=120, default="")
    events = JSONB(default=[])
    secret_encrypted = Text(secret=True)
    previous_secret_encrypted = Text(null=True, default=None, secret=True)
    previous_secret_until = Timestamptz(null=True, default=None)
    enabled = Boolean(default=True)
    # "failing": switched off after a delivery failed for a day (the console says so); "manager": by hand.
    disabled_reason = Varchar(length=10, null=True, default=None)
    disabled_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    secret_rotated_at = Timestamptz(null=True, default=None)
    # Deleted by its manager: gone from every list and answer at once, and no longer sent to; the row (and its
    # deliveries) stays until the retention run, so that a redemption queuing an event for it in the second before
    # every worker knows never fails on its foreign key, nor waits on the delete's locks.
    deleted_at = Timestamptz(null=True, default=None)


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event for one endpoint: the outbox row, written in the transaction of the event, and its delivery log.
    Its id is the `webhook-id` header, the same on every attempt, so that a receiver can ignore a repeat."""

    id = UUID(primary_key=True)
    endpoint = ForeignKey(references=WebhookEndpoint, on_delete=OnDelete.cascade, null=False, index=True)
    partner = UUID(index=True)
    event_type = Varchar(length=40)
    payload = Text()  # the body exactly as signed and sent
    status = Varchar(length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    retry_until = Timestamptz()  # a day after it was queued (or sent again)
    leased_until = Timestamptz(null=True, default=None)  # a sender is on it (it died if this has passed)
    last_attempt_at = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Varchar(length=40, null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)


class WebhookAttempt(Table, tablename="webhook_attempt"):
    """One try at a delivery: what the endpoint answered (or why it could not), and how long it took."""

    id = BigSerial(primary_key=True)
    delivery = ForeignKey(references=WebhookDelivery, on_delete=OnDelete.cascade, null=False, index=True)
    attempted_at = Timestamptz(default=TimestamptzNow())
    status_code = Integer(null=True, default=None)
    error = Varchar(length=40, null=True, default=None)
    duration_ms = Integer(default=0)
