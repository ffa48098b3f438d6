"""HTTP for outreach campaigns: an office's campaigns and their report (JSON), and the public short link that counts
an open and goes on to the campaign's page."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_303_SEE_OTHER

from admin.errors import CampaignNotFound
from admin.schemas import CampaignCreate, CampaignRead, CampaignReport
from admin.service import campaigns
from core.auth import PUBLIC, AuthedRequest
from core.errors import Invalid
from core.guards import requires_dukcapil, requires_office_admin
from core.localtime import check_days
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores
from verification.service.rollups import month_of

MonthFrom = Annotated[date | None, QueryParameter(name="from", description="First month (default: 11 months ago)")]
MonthUntil = Annotated[date | None, QueryParameter(name="until", description="Last day (default: today)")]


class CampaignController(Controller):
    path = "/api/v1/admin/campaigns"
    tags = ["admin"]
    guards = [requires_dukcapil]

    @post("/", guards=[requires_office_admin], status_code=HTTP_201_CREATED, summary="Start a campaign",
          opt=raises(Invalid))  # fmt: skip
    async def create(
        self, data: JSONBody[CampaignCreate], request: AuthedRequest, settings: NamedDependency[Settings]
    ) -> CampaignRead:
        return await campaigns.create_campaign(data, request.user, settings)

    @get("/", summary="Campaigns of your office (your province's or the country's for a wider account)", opt=raises())
    async def list_campaigns(self, request: AuthedRequest, settings: NamedDependency[Settings]) -> list[CampaignRead]:
        return await campaigns.list_campaigns(request.user, settings)

    @get("/{campaign_id:uuid}", summary="One campaign", opt=raises(CampaignNotFound))
    async def read(
        self, campaign_id: FromPath[uuid.UUID], request: AuthedRequest, settings: NamedDependency[Settings]
    ) -> CampaignRead:
        return await campaigns.read_campaign(campaign_id, request.user, settings)


class CampaignReportController(Controller):
    path = "/api/v1/admin/reports/campaigns"
    tags = ["reports"]
    guards = [requires_dukcapil]

    @get(
        "/",
        summary="Visits and attributed enrolments per campaign, school and kecamatan by month; the channel that "
        "brought the most new KIAs each month (enrolments under the small-cell threshold hidden)",
        opt=raises(Invalid),
    )
    async def report(
        self,
        request: AuthedRequest,
        settings: NamedDependency[Settings],
        first: MonthFrom = None,
        until: MonthUntil = None,
    ) -> CampaignReport:
        check_days({"from": first, "until": until})
        last = until or settings.today()
        start = first or month_of(month_of(last) - timedelta(days=330))
        return await campaigns.report(request.user, start, last, settings.small_cell_threshold)


class CampaignLink(Controller):
    """Public: a campaign's short link. It counts the open (a number per day, nothing about the visitor: no cookie
    is set and no address is stored) and goes on to the campaign's page."""

    path = "/k"
    opt = {PUBLIC: True, "exclude_from_csrf": True}
    include_in_schema = False

    @get("/{code:str}", name="campaign_link", status_code=HTTP_303_SEE_OTHER)
    async def open(
        self,
        code: FromPath[str],
        request: Request,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Response[None]:
        target = await campaigns.open_link(code, request.headers.get("user-agent", ""), settings.today(), stores)
        return Redirect(target, status_code=HTTP_303_SEE_OTHER, headers={"Cache-Control": "no-store"})
