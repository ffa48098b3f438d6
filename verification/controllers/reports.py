"""HTTP for a partner's own figures: redemptions, unique children, discount, refusals; small cells always hidden."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from core.auth import CurrentUser
from core.guards import requires_partner_manager
from core.localtime import check_days
from core.openapi import raises
from core.settings import Settings
from core.web import csv_response
from partners.controllers.deps import provide_managed_partner
from partners.errors import PartnerNotFound
from partners.service.access import Membership
from verification.service import attempt_review, figures

Group = Annotated[
    str,
    QueryParameter(
        pattern="^(day|month|offer|outlet|age_band)$",
        description="`day`: per day; the others per calendar month (the months `from` and `until` fall in), with "
        "cells of fewer than 5 children shown as `<5`, and one more where a month would have only one. No "
        "breakdown by where the children live: that is Dukcapil's.",
    ),
]
From = Annotated[date | None, QueryParameter(name="from")]
Until = Annotated[date | None, QueryParameter(name="until")]
Format = Annotated[str, QueryParameter(pattern="^(json|csv)$")]


class PartnerReportController(Controller):
    path = "/api/v1/partners/{partner_id:uuid}/reports"
    tags = ["reports"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    def _filter(self, settings: Settings, membership: Membership, first: date | None, last: date | None) -> Any:
        check_days({"from": first, "until": last})
        closed = figures.last_closed_day(settings)  # closed days only: never a figure that moves while you watch
        last = min(last or closed, closed)
        return figures.RedemptionFilter(first or last - timedelta(days=90), last, membership.partner_id)

    @get(
        "/redemptions",
        summary="My redemptions per day, month, offer, outlet or age band, for closed days (until yesterday)",
        opt=raises(PartnerNotFound),
    )
    async def redemptions(
        self, membership: NamedDependency[Membership], user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings], group: Group = "day", first: From = None, last: Until = None,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        wanted = self._filter(settings, membership, first, last)
        if group == "day":
            rows = await figures.redemptions_per_day(wanted, figures.small_cell_threshold(user, settings))
        else:
            rows = await figures.redemptions_by(group, wanted, figures.small_cell_threshold(user, settings))
        return csv_response(rows, f"penukaran-{group}.csv") if format == "csv" else rows

    @get("/refusals", summary="My refusals by reason and month", opt=raises(PartnerNotFound))
    async def refusals(
        self, membership: NamedDependency[Membership], settings: NamedDependency[Settings], first: From = None,
        last: Until = None, by_outlet: Annotated[bool, QueryParameter(description="One row per outlet too")] = False,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        rows = await figures.refusals_by_reason(self._filter(settings, membership, first, last), by_outlet)
        return csv_response(rows, "penolakan.csv") if format == "csv" else rows


Kind = Annotated[str | None, QueryParameter(pattern="^(scan|redeem|void|throttle)$")]
Outcome = Annotated[
    str | None, QueryParameter(pattern="^(eligible|ineligible|refused|redeemed|voided|flagged|throttled)$")
]
Reason = Annotated[str | None, QueryParameter(max_length=40)]


class PartnerAttemptController(Controller):
    """Disputes and fraud at a partner's own outlets: who refused, voided, typed codes or was flagged."""

    path = "/api/v1/partners/{partner_id:uuid}/reports/attempts"
    tags = ["reports"]
    guards = [requires_partner_manager]
    dependencies = {"membership": Provide(provide_managed_partner)}

    @get(
        "/summary",
        summary="Per outlet and cashier: refusals by reason, voids, refused voids, manual-code share, velocity "
        "flags, throttles; cashiers whose voids stand out are flagged",
        opt=raises(PartnerNotFound),
    )
    async def summary(
        self, membership: NamedDependency[Membership], settings: NamedDependency[Settings], first: From = None,
        last: Until = None,
    ) -> dict[str, Any]:  # fmt: skip
        days = attempt_review.window(settings, first, last, partner=membership.partner_id)
        return await attempt_review.summary(days)

    @get(
        "/",
        summary="The attempts behind a figure (never a child's identity), newest first",
        opt=raises(PartnerNotFound),
    )
    async def attempts(
        self, membership: NamedDependency[Membership], settings: NamedDependency[Settings], first: From = None,
        last: Until = None, outlet_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        cashier_id: Annotated[uuid.UUID | None, QueryParameter()] = None, kind: Kind = None, outcome: Outcome = None,
        reason_code: Reason = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        rows = await attempt_review.attempts(
            attempt_review.window(settings, first, last, membership.partner_id), outlet_id, cashier_id, kind, outcome,
            reason_code,
        )  # fmt: skip
        return csv_response(rows, "percobaan.csv") if format == "csv" else rows
