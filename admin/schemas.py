"""Request and response bodies of Dukcapil's work."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

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
    problems: list[ProblemRead] = []


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
