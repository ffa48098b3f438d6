"""HTML for outreach campaigns in the Dukcapil console: the list with its report and the form (an office admin's),
one campaign's short link, poster and months, and its poster as a PDF."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.schemas import CampaignCreate
from admin.service import campaigns
from admin.tables import CampaignKind
from core.auth import CurrentUser
from core.errors import Invalid
from core.forms import problems_by_field, to_struct
from core.guards import requires_dukcapil, requires_office_admin
from core.i18n import Language
from core.offices import office_of
from core.pages import Form
from core.service.regions import region_names
from core.settings import Settings
from core.tables import Region, RegionLevel
from core.web import private_file
from verification.service.rollups import month_of

FIELDS = ("name", "kind", "school_name", "kecamatan_code", "landing", "starts_on", "ends_on")


class CampaignPages(Controller):
    path = "/admin/kampanye"
    guards = [requires_dukcapil]
    include_in_schema = False

    @get("/", name="campaigns_page", media_type=MediaType.HTML)
    async def index(
        self,
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Template:
        return await _index(user, settings, language, {}, None, 200)

    @post("/", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin])
    async def create(
        self,
        data: Form,
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Any:
        typed: dict[str, Any] = {field: data.get(field, "").strip() for field in FIELDS}
        if not typed["ends_on"]:
            typed["ends_on"] = None
        try:
            made = await campaigns.create_campaign(to_struct(CampaignCreate, typed), user, settings)
        except Invalid as problem:
            return await _index(user, settings, language, typed, problem, 422)
        return Redirect(f"/admin/kampanye/{made.id}?ok=kampanye-dibuat", status_code=303)

    @get("/{campaign_id:uuid}", name="campaign_page", media_type=MediaType.HTML)
    async def detail(
        self,
        campaign_id: FromPath[uuid.UUID],
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Template:
        campaign = await campaigns.read_campaign(campaign_id, user, settings)
        last = settings.today()
        report = await campaigns.report(user, month_of(month_of(last) - timedelta(days=330)), last,
                                        settings.small_cell_threshold)  # fmt: skip
        row = next(row for row in report.campaigns if row.key == campaign.code)
        return Template("admin/kampanye_detail.html", context={"campaign": campaign, "row": row,
                                                               "kinds": _kinds(language)})  # fmt: skip

    @get("/{campaign_id:uuid}/poster.pdf", name="campaign_poster", media_type="application/pdf")
    async def poster(
        self, campaign_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser], settings: NamedDependency[Settings]
    ) -> Any:
        campaign = await campaigns.read_campaign(campaign_id, user, settings)
        city = campaign.kecamatan_code[:5] or office_of(user) or ""
        name = (await region_names({city})).get(city, city)
        return private_file(campaigns.poster_pdf(campaign, name), "application/pdf", f"poster-{campaign.code}.pdf",
                            inline=True)  # fmt: skip


def _kinds(language: Language) -> dict[str, str]:
    return {kind.value: text.render(language) for kind, text in campaigns.KIND_NAMES.items()}


async def _index(
    user: CurrentUser, settings: Settings, language: Language, values: dict[str, Any], problem: Invalid | None,
    status: int,
) -> Template:  # fmt: skip
    last = settings.today()
    report = await campaigns.report(user, month_of(month_of(last) - timedelta(days=330)), last,
                                    settings.small_cell_threshold)  # fmt: skip
    city = office_of(user)
    kecamatan = []
    if city:
        kecamatan = await Region.select(Region.code, Region.name).where(
            (Region.parent_code == city) & (Region.level == RegionLevel.KECAMATAN)
        ).order_by(Region.name)  # fmt: skip
    kinds = _kinds(language)
    return Template(
        "admin/kampanye.html",
        context={
            "campaigns": await campaigns.list_campaigns(user, settings),
            "report": report,
            "values": values,
            "problems": problems_by_field(problem, language),
            "may_create": city is not None and user.role == "dukcapil_admin",
            "kind_choices": [(kind.value, kinds[kind.value]) for kind in CampaignKind],
            "kinds": kinds,
            "channel_names": {key: text.render(language) for key, text in campaigns.CHANNEL_NAMES.items()},
            "kecamatan_choices": [("", "—")] + [(row["code"], row["name"]) for row in kecamatan],
            "today": last.isoformat(),
        },
        status_code=status,
    )
