"""Request and response bodies of Dukcapil's work."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from admin.tables import CampaignKind, ReportEventKind
from partners.tables import Category, PartnerStatus
from verification.tables import KeyStatus, RevocationReason


class PartnerDecision(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    agreement_number: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class OfferDecision(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class PartnerSummary(msgspec.Struct):
    id: uuid.UUID
    name: str
    category: Category
    status: PartnerStatus
    status_reason: str | None
    created_at: datetime


class AgreementNumber(msgspec.Struct, forbid_unknown_fields=True):
    """The number of the office's agreement (PKS) with the partner."""

    agreement_number: Annotated[str, msgspec.Meta(max_length=64)]


class PartnerTerms(msgspec.Struct, forbid_unknown_fields=True):
    """Terms of the partner's agreement that the service enforces."""

    void_window_minutes: int | None = None


class Revocation(msgspec.Struct, forbid_unknown_fields=True):
    """Why a card is revoked or reissued; `expected_cv`, the version the clerk saw, refuses a change made meanwhile."""

    reason: RevocationReason
    expected_cv: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None


class Reissued(msgspec.Struct):
    cv: int
    manual_code: str


class ProblemRead(msgspec.Struct):
    row: int
    field: str
    code: str
    message: str


class CoverageChange(msgspec.Struct):
    """A coverage figure an import would change: of a region on a date, before and after (and after, if the cards
    the file does not list are marked moved). Percentages are strings of exact decimals; None without a
    population figure."""

    region: str
    region_name: str
    as_of: date
    eligible_children: int | None
    holders_before: int
    holders_after: int
    holders_after_if_moved: int
    percent_before: str | None
    percent_after: str | None
    percent_after_if_moved: str | None


class ImportPreview(msgspec.Struct):
    """What an import would do, before anything is written."""

    created: int
    updated: int
    unchanged: int
    refused: int
    counted: int  # rows without consent that become the scope's counts (a full export)
    not_counted: int  # rows without consent in a partial file: only a full export sets counts
    not_in_file: int  # the scope's active cards a full export does not list
    first_export: bool  # no full export spoke for (part of) this area before: its figures count from print months
    coverage: list[CoverageChange]


class ImportRead(msgspec.Struct):
    id: uuid.UUID
    filename: str
    as_of: date
    status: str
    total_rows: int
    processed_rows: int
    created: int
    updated: int
    unchanged: int
    aggregated: int
    rejected: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    scope_code: str = ""
    scope_name: str = ""
    kind: str = "full"
    correction_reason: str | None = None
    not_in_file: int = 0
    missing: str | None = None
    moved: int = 0
    not_counted: int = 0
    confirmed_at: datetime | None = None
    preview: ImportPreview | None = None
    problems: list[ProblemRead] = []


class ImportConfirm(msgspec.Struct, forbid_unknown_fields=True):
    """Import a previewed file. `missing`: what becomes of the scope's cards a full export does not list (required
    when there are any): `keep`, or `moved` (revoked, and no longer counted from the export's date)."""

    missing: Literal["keep", "moved"] | None = None


class PopulationIn(msgspec.Struct, forbid_unknown_fields=True):
    region_code: Annotated[str, msgspec.Meta(max_length=13)]
    as_of: date
    children: int
    source: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TargetIn(msgspec.Struct, forbid_unknown_fields=True):
    year: int
    target_percent: float
    region_code: Annotated[str, msgspec.Meta(max_length=13)] | None = None
    source: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class KeyRead(msgspec.Struct):
    kid: str
    status: KeyStatus
    public_jwk: dict[str, str]
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    revoked_at: datetime | None


class BreachIn(msgspec.Struct, forbid_unknown_fields=True):
    """A personal-data incident as Dukcapil records it (UU PDP art. 46). Times are ISO 8601 with their offset."""

    discovered_at: datetime
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    categories: Annotated[list[str], msgspec.Meta(max_length=20)] = []
    regions: Annotated[list[Annotated[str, msgspec.Meta(max_length=13)]], msgspec.Meta(max_length=100)] = []
    children_affected: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] = 0
    measures: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    authority_notified_at: datetime | None = None
    parents_notified_at: datetime | None = None
    others_notified: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    closed: bool = False


class BreachRead(msgspec.Struct):
    id: uuid.UUID
    scope_code: str
    discovered_at: datetime
    # 3 × 24 hours after discovery: when the authority and the parents must have been told (UU PDP art. 46).
    notify_by: datetime
    description: str
    categories: list[str]
    regions: list[str]
    children_affected: int
    measures: str
    status: str
    authority_notified_at: datetime | None
    parents_notified_at: datetime | None
    others_notified: str
    recorded_at: datetime
    updated_at: datetime
    # Not everyone required has been told, and the deadline has passed.
    overdue: bool


Line = Annotated[str, msgspec.Meta(max_length=600)]


class KiaGuideForm(msgspec.Struct, forbid_unknown_fields=True):
    """An office's own part of its "how to get a KIA" page."""

    office_name: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    address: Annotated[str, msgspec.Meta(min_length=5, max_length=300)]
    hours: Annotated[str, msgspec.Meta(min_length=3, max_length=600)]
    channels: Line = ""
    notes: Annotated[str, msgspec.Meta(max_length=1200)] = ""


class CampaignCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An outreach campaign of the signed-in office: a school or class, a parents' WhatsApp group, a poster run or
    an event, with where it happens and when."""

    name: Annotated[str, msgspec.Meta(min_length=3, max_length=120)]
    kind: CampaignKind
    starts_on: date
    school_name: Annotated[str, msgspec.Meta(max_length=120)] = ""
    kecamatan_code: Annotated[str, msgspec.Meta(max_length=13)] = ""
    landing: Literal["guide", "catalog"] = "guide"
    ends_on: date | None = None


class CampaignRead(msgspec.Struct):
    id: uuid.UUID
    code: str  # printed on the poster, said at the counter, written in the registry export's campaign_code
    name: str
    kind: CampaignKind
    school_name: str
    kecamatan_code: str
    kecamatan_name: str
    landing: str
    starts_on: date
    ends_on: date | None
    short_url: str  # counts an open, then goes on to the landing page
    poster_url: str


class CampaignMonth(msgspec.Struct):
    month: date
    visits: int
    enrolments: int | str  # "<5" below the small-cell threshold


class CampaignRow(msgspec.Struct):
    """Visits and attributed enrolments of one group (a campaign, a school, a kecamatan or a channel), by month."""

    key: str
    label: str
    visits: int
    enrolments: int | str
    months: list[CampaignMonth]


class ChannelLeader(msgspec.Struct):
    month: date
    channel: str  # the enrolment channel with the most new KIAs that month
    enrolments: int | str
    share: float | None  # of the month's new KIAs with consent (None: hidden with its count)


class CampaignReport(msgspec.Struct):
    first_month: date
    last_month: date
    threshold: int
    campaigns: list[CampaignRow]
    schools: list[CampaignRow]
    kecamatan: list[CampaignRow]
    channel_leaders: list[ChannelLeader]


class CampaignCode(msgspec.Struct, forbid_unknown_fields=True):
    """The campaign a parent names at the counter for their child's card."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class ReportEventCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Something besides the offers that moved issuance in the signed-in account's area: a supply limit (blank cards
    ran out) or another programme (a school-enrolment requirement). Shown beside the effect estimate."""

    kind: ReportEventKind
    title: Annotated[str, msgspec.Meta(min_length=3, max_length=120)]
    starts_on: date
    ends_on: date | None = None


class ReportEventRead(msgspec.Struct):
    id: uuid.UUID
    region_code: str | None  # the area it concerns; null: the whole country
    kind: ReportEventKind
    title: str
    starts_on: date
    ends_on: date | None
