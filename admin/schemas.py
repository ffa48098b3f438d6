"""Request and response bodies of Dukcapil's work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from partners.tables import Category, PartnerStatus


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


class PartnerTerms(msgspec.Struct, forbid_unknown_fields=True):
    """Terms of the partner's agreement that the service enforces."""

    void_window_minutes: int | None = None
