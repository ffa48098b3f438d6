"""What a valid card is: signing keys, cards with their consent, each issued credential version, card history."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class KeyStatus(StrEnum):
    PENDING = "pending"  # made, not yet signing
    ACTIVE = "active"  # signs new credentials (one at a time) and verifies
    RETIRED = "retired"  # no longer signs, still verifies what it signed
    REVOKED = "revoked"  # verifies nothing: its cards must be reissued


class CardStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class RevocationReason(StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DECEASED = "deceased"
    DATA_ERROR = "data_error"
    MOVED = "moved"  # a full export of the child's area no longer lists them, and Dukcapil marked them moved


class Channel(StrEnum):
    DUKCAPIL_COUNTER = "dukcapil_counter"
    SCHOOL = "school"
    SCHOOL_WHATSAPP_GROUP = "school_whatsapp_group"
    PARTNER_PROMO = "partner_promo"
    OUTREACH_EVENT = "outreach_event"
    OTHER = "other"


class Sex(StrEnum):
    MALE = "L"  # laki-laki
    FEMALE = "P"  # perempuan


class SigningKey(Table, tablename="signing_key"):
    """An ES256 key; `kid` is its RFC 7638 thumbprint. The private half is encrypted with a key from the secret."""

    kid = Varchar(length=64, primary_key=True)
    # The key's number, 1, 2, 3 … in order of creation: its COSE key id (one byte) in a version 2 credential.
    number = Integer(null=True, default=None)  # unique: signing_key_number_key (SQLite adds no UNIQUE column)
    status = Varchar(length=10, choices=KeyStatus, default=KeyStatus.PENDING, index=True)
    public_jwk = JSONB()
    private_pem_encrypted = Text(secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    activated_at = Timestamptz(null=True, default=None)
    retired_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Card(Table, tablename="card"):
    """A child's KIA enrolled in the programme with parental consent. The NIK is never stored, only its keyed HMAC.

    `cv` is the version of the credential now valid; older versions answer "superseded". After consent is
    withdrawn, only what aggregate reports need remains (birth year, kelurahan, print and enrolment dates).
    """

    id = UUID(primary_key=True)
    cv = Integer(default=1)
    status = Varchar(length=10, choices=CardStatus, default=CardStatus.ACTIVE, index=True)
    status_reason = Varchar(length=20, choices=RevocationReason, null=True, default=None)
    nik_hash = Varchar(length=64, null=True, default=None, unique=True)
    birth_date = Date(null=True, default=None)
    birth_year = Integer()
    sex = Varchar(length=1, choices=Sex, null=True, default=None)
    kelurahan_code = Varchar(length=13, index=True)
    # The kabupaten/kota of the kelurahan: the Dukcapil office that owns the card (and the key a shard would use).
    city_code = Varchar(length=5, default="", index=True)
    kia_printed_on = Date(index=True)
    # Set when a later export first reported (or moved) a KIA printed earlier: coverage counts it from this day's
    # month, not from its print month, so the figure of an earlier date stays what was known then.
    counted_from = Date(null=True, default=None)
    # The day a full export of its area no longer listed the child and Dukcapil marked them moved: counted until then.
    counted_until = Date(null=True, default=None)
    enrolled_on = Date(index=True)
    channel = Varchar(length=24, choices=Channel, index=True)
    consent_guardian = Varchar(length=20, null=True, default=None)
    consent_version = Varchar(length=20, null=True, default=None)
    consent_at = Timestamptz(null=True, default=None)
    consent_recorded_by = UUID(null=True, default=None)
    import_batch = UUID(null=True, default=None, index=True)
    # The local day of the card's first (unvoided) redemption: what "activated within 30 days" is measured by.
    first_redeemed_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ConsentWithdrawal(Table, tablename="consent_withdrawal"):
    """A parent withdrew consent: the keyed NIK hash and when, nothing else. A later registry row for that child is
    refused unless its consent is dated after the withdrawal, so an older export can never undo it (UU PDP)."""

    id = BigSerial(primary_key=True)
    nik_hash = Varchar(length=64, unique=True)
    withdrawn_at = Timestamptz()


class Credential(Table, tablename="card_credential"):
    """Each version of a card's credential: its manual code (printed under the QR) and when it was printed."""

    id = BigSerial(primary_key=True)
    card = ForeignKey(references=Card, on_delete=OnDelete.cascade, null=False, index=True)
    cv = Integer()
    manual_code = Varchar(length=16, unique=True)
    # Its entry in its office's status lists (verification.service.status_lists): list number × LIST_SIZE + index.
    # Drawn at random when a version 2 QR is first printed for it; the QR carries it as the token id (`cti`).
    status_slot = BigInt(null=True, default=None)  # unique: card_credential_status_slot_key
    issued_at = Timestamptz(default=TimestamptzNow())
    last_printed_at = Timestamptz(null=True, default=None)


class StatusList(Table, tablename="status_list"):
    """A W3C Bitstring Status List of one office's credentials: LIST_SIZE entries, each a print's state. `id` is the
    list's number; a list takes new slots until half of it is used, then the office opens another."""

    id = Serial(primary_key=True)
    city_code = Varchar(length=5, index=True)
    used = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class CardEvent(Table, tablename="card_event"):
    """A card's history: enrolled, updated, reissued, revoked, consent withdrawn, printed."""

    id = BigSerial(primary_key=True)
    card = ForeignKey(references=Card, on_delete=OnDelete.cascade, null=False, index=True)
    event = Varchar(length=32)
    cv = Integer()
    reason = Varchar(length=20, null=True, default=None)
    actor_id = UUID(null=True, default=None)
    details = JSONB(null=True, default=None)
    occurred_at = Timestamptz(default=TimestamptzNow())


class RedemptionStatus(StrEnum):
    COMPLETED = "completed"
    VOIDED = "voided"
    # Confirmed by a till while offline, then found on sync to break a rule or a limit already used elsewhere (or
    # the partner's offline bounds): kept and flagged, never dropped, and counted apart from completed ones.
    OFFLINE_OVER_LIMIT = "offline_over_limit"


class Redemption(Table, tablename="redemption"):
    """One benefit given: under which offer revision, at which outlet, by whom, for how much. Voids stay, marked.

    `local_date` is the outlet's calendar day; the child's age and kelurahan are copied at redemption time so that
    reports never need the birth date (which consent withdrawal erases).
    """

    id = UUID(primary_key=True)
    receipt_code = Varchar(length=16, unique=True)
    card = ForeignKey(references=Card, on_delete=OnDelete.restrict, null=False, index=True)
    offer = UUID(index=True)
    offer_revision = Integer()
    partner = UUID(index=True)
    outlet = UUID(index=True)
    holder_ref = Varchar(length=16, index=True)
    purchase_amount = Integer()
    discount_amount = Integer()
    redeemed_at = Timestamptz(default=TimestamptzNow(), index=True)
    local_date = Date(index=True)
    age_years = Integer()
    age_band = Varchar(length=5, default="")
    kelurahan_code = Varchar(length=13)
    kecamatan_code = Varchar(length=13, default="")
    # Whether this was the card's first unvoided redemption of the month overall / at the partner / of the offer /
    # at the outlet (a void hands the mark to the card's next redemption of that month, if any).
    first_all = Boolean(default=False)
    first_partner = Boolean(default=False)
    first_offer = Boolean(default=False)
    first_outlet = Boolean(default=False)
    cashier = UUID(null=True, default=None)
    api_key = UUID(null=True, default=None)
    device_id = Varchar(length=64, null=True, default=None)
    status = Varchar(length=20, choices=RedemptionStatus, default=RedemptionStatus.COMPLETED, index=True)
    # A redemption confirmed offline: when the till sent it (`redeemed_at` is when it was confirmed), and for one
    # over the limit, the refusal the till could not know of (`holder_limit_reached`, `card_revoked`, …).
    synced_at = Timestamptz(null=True, default=None)
    flag = Varchar(length=40, null=True, default=None)
    voided_at = Timestamptz(null=True, default=None)
    void_reason = Varchar(length=200, null=True, default=None)
    voided_by = UUID(null=True, default=None)


class OfferUsage(Table, tablename="offer_usage"):
    """Running totals that carry an offer's quota and budget, net of voids; updated in the redemption's transaction
    of a metered offer only (one with a quota or a budget: an offer without them shares no row among its
    redemptions). `revision`: the offer revision they were last counted under; a metered redemption that finds
    another recounts them from the redemptions first (verification.service.redeem)."""

    offer = UUID(primary_key=True)
    redemptions = Integer(default=0)
    discount_total = Integer(default=0)
    revision = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """The first answer to an Idempotency-Key (per partner): a retry gets it again and writes nothing."""

    id = BigSerial(primary_key=True)
    scope = Varchar(length=64)
    key = Varchar(length=128)
    request_hash = Varchar(length=64)
    outcome = JSONB()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class Attempt(Table, tablename="verification_attempt"):
    """Every scan, redeem and void, success or refusal: what Dukcapil's reports and the fraud checks read.

    The card id is kept for those internal checks only; no NIK, no birth date.
    """

    id = BigSerial(primary_key=True)
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    local_date = Date(null=True, default=None)  # the outlet's calendar day
    kind = Varchar(length=8)
    outcome = Varchar(length=12)
    reason_code = Varchar(length=40, null=True, default=None, index=True)
    partner = UUID(null=True, default=None, index=True)
    outlet = UUID(null=True, default=None)
    offer = UUID(null=True, default=None)
    card = UUID(null=True, default=None, index=True)
    staff_user = UUID(null=True, default=None)
    api_key = UUID(null=True, default=None)
    device_id = Varchar(length=64, null=True, default=None)
    redemption = UUID(null=True, default=None)
    manual_code = Boolean(null=True, default=None)  # a typed manual code rather than a scanned QR (scan, redeem)


# --- rollups: kept current in the same transaction as the redemption, enrolment or refusal they count -----------
# Every report reads these, never the raw tables, so a report costs the same on a city or on the whole country.


class RedemptionDaily(Table, tablename="rollup_redemption_daily"):
    """Redemptions and discount per local day, partner, offer and outlet, net of voids: a partner's daily series
    and the last day each partner redeemed. Read per partner (by the (partner, day) index), never whole."""

    id = BigSerial(primary_key=True)
    day = Date()
    partner = UUID()
    offer = UUID()
    outlet = UUID()
    redemptions = Integer(default=0)
    discount_total = BigInt(default=0)


class RedemptionMonthly(Table, tablename="rollup_redemption_monthly"):
    """Redemptions, discount and unique children per month in slices of one dimension each (see
    `verification.service.rollups.SLICES`): the whole programme, a partner, an offer, an outlet, the child's
    kecamatan or age band, and a partner's children by kecamatan or age band; net of voids.

    `children` counts the redemptions that were the card's first of the month within the slice's scope, so summed
    over a month it is the exact number of unique children. A year of any slice is a few thousand rows, whatever
    the number of redemptions. `shard` (from the outlet) spreads the busiest rows, such as the programme-wide one,
    so that tills at different outlets do not queue on one row lock; readers sum over it.
    """

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="")  # the child's kabupaten/kota (its office): the tenancy key
    month = Date()
    slice = Varchar(length=20)
    partner = UUID()  # the nil UUID in slices that are not a partner's
    value = Varchar(length=40)  # the offer or outlet id, kecamatan code or age band; "" for whole-scope slices
    shard = SmallInt(default=0)
    redemptions = Integer(default=0)
    discount_total = BigInt(default=0)
    children = Integer(default=0)


class RefusalDaily(Table, tablename="rollup_refusal_daily"):
    """Refused redeems and refused cards at scan, per local day, partner, offer (nil UUID: none), outlet, reason:
    read per partner."""

    id = BigSerial(primary_key=True)
    day = Date()
    partner = UUID()
    offer = UUID()
    outlet = UUID()
    reason = Varchar(length=40)
    refusals = Integer(default=0)


class RefusalMonthly(Table, tablename="rollup_refusal_monthly"):
    """Refusals per month, kabupaten/kota of the outlet, partner and reason: Dukcapil's programme-wide view."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="")
    month = Date()
    partner = UUID()
    reason = Varchar(length=40)
    refusals = Integer(default=0)


class EnrolmentMonthly(Table, tablename="rollup_enrolment_monthly"):
    """Cards enrolled per month, kelurahan and channel, and how many of them redeemed within 30 and 90 days."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="")
    month = Date(index=True)
    kelurahan = Varchar(length=13)
    channel = Varchar(length=24)
    enrolled = Integer(default=0)
    activated_30 = Integer(default=0)
    activated_90 = Integer(default=0)


class PrintMonthly(Table, tablename="rollup_print_monthly"):
    """Enrolled cards by KIA print month, kelurahan and birth year: the card half of coverage (holders).

    `print_month` is the month a card counts from: its print month, or the month of `Card.counted_from` when a
    later export first reported it (or moved it), so that an earlier date's figure does not move.
    """

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="")
    print_month = Date(index=True)
    kelurahan = Varchar(length=13)
    birth_year = Integer()
    cards = Integer(default=0)


class PrintWeekly(Table, tablename="rollup_print_weekly"):
    """Enrolled cards by KIA print week (from Monday) and kelurahan: the series the uplift analysis reads."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5, default="")
    week_start = Date(index=True)
    kelurahan = Varchar(length=13)
    prints = Integer(default=0)


class PrintCityMonthly(Table, tablename="rollup_print_city_monthly"):
    """`PrintMonthly` summed per kabupaten/kota: what province and national coverage read (514 cities, not 83,000
    kelurahan)."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5)
    print_month = Date()
    birth_year = Integer()
    cards = Integer(default=0)


class EnrolmentCityMonthly(Table, tablename="rollup_enrolment_city_monthly"):
    """`EnrolmentMonthly` summed per kabupaten/kota: province and national activation and channels."""

    id = BigSerial(primary_key=True)
    city_code = Varchar(length=5)
    month = Date()
    channel = Varchar(length=24)
    enrolled = Integer(default=0)
    activated_30 = Integer(default=0)
    activated_90 = Integer(default=0)


class RollupChange(Table, tablename="rollup_change"):
    """Moves of the redemption and activation rollups, written in the transaction of the redemption or void they
    count and applied in batches by verification.service.rollups.drain: each row is deleted in the transaction that
    applies it (exactly once), and no redemption waits on the rollup rows that every other one also moves."""

    id = BigSerial(primary_key=True)
    moves = Text()  # JSON: [[table, {key}, {deltas}], ...]
