"""HTML for the cashier app at /kasir, and for the partner's dashboard at /mitra (its figures are this layer's)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from core.auth import PUBLIC
from core.errors import NotFound
from core.forms import notice
from core.i18n import Text
from core.localtime import local_date, utc_now
from core.pages import page_language, require_page_user
from core.settings import Settings
from core.tables import Role
from core.web import csv_response, script_json
from partners.controllers.profile_pages import APPLICATION_NOTICES
from partners.service.access import own_membership
from partners.service.onboarding import read_partner
from verification.errors import refusal_titles
from verification.service import figures
from verification.service.rollups import month_of


class CashierPage(Controller):
    path = "/kasir"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="cashier_app")
    async def app(self) -> Template:
        return Template("kasir/index.html")


PARTNER_DAYS = 90
REDEMPTIONS = Text("Penukaran", "Redemptions")


async def _partner_figures(partner_id: Any, settings: Settings) -> dict[str, Any]:
    """A partner's own figures over the last 90 days (whole months for the monthly ones); cells of fewer than
    `small_cell_threshold` children are always suppressed for partners."""
    today = local_date(utc_now(), settings.timezone)
    wanted = figures.RedemptionFilter(today - timedelta(days=PARTNER_DAYS), today, partner_id)
    threshold = settings.small_cell_threshold
    return {
        "today": today,
        "per_day": await figures.redemptions_per_day(wanted),
        "per_month": await figures.redemptions_by("month", wanted, threshold),
        "per_outlet": await figures.redemptions_by("outlet", wanted, threshold),
        "per_offer": await figures.redemptions_by("offer", wanted, threshold),
        "per_age_band": await figures.redemptions_by("age_band", wanted, threshold),
        "refusals": await figures.refusals_by_reason(wanted, by_outlet=True),
    }


class PartnerDashboard(Controller):
    path = "/mitra"
    opt = {PUBLIC: True}  # a page: require_page_user checks the session cookie and redirects to /masuk
    include_in_schema = False

    @get("/", name="partner_dashboard")
    async def dashboard(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        user = await require_page_user(request, settings, Role.PARTNER_MANAGER)
        membership = await own_membership(user)
        data = await _partner_figures(membership.partner_id, settings)
        days = data["per_day"]
        language = page_language(request, settings.language)
        refusals: dict[str, int] = {}
        for row in data["refusals"]:
            refusals[row["reason_code"]] = refusals.get(row["reason_code"], 0) + row["refusals"]
        this_month = [row for row in data["per_month"] if row["month"] == month_of(data["today"]).isoformat()]
        chart = {
            "type": "bar",
            "labels": [d["day"] for d in days],
            "datasets": [{"label": REDEMPTIONS.render(language), "data": [d["redemptions"] for d in days]}],
        }
        return Template(
            "mitra/dashboard.html",
            context={
                "partner": await read_partner(membership.partner_id),
                "notice": notice(request, APPLICATION_NOTICES, language),
                "day_chart": script_json(chart),
                "total_redemptions": sum(d["redemptions"] for d in days),
                "total_discount": sum(d["discount_rupiah"] for d in days),
                "children_this_month": this_month[0]["unique_children"] if this_month else 0,
                "per_month": data["per_month"],
                "per_outlet": data["per_outlet"],
                "per_offer": data["per_offer"],
                "per_age_band": data["per_age_band"],
                "refusals": sorted(refusals.items(), key=lambda item: -item[1]),
                "refusals_by_outlet": data["refusals"],
                "reasons": refusal_titles(language),
                "threshold": settings.small_cell_threshold,
            },
        )

    @get("/unduh/{filename:str}", name="partner_download")
    async def download(
        self, request: Request[Any, Any, Any], filename: FromPath[str], settings: NamedDependency[Settings]
    ) -> Any:
        user = await require_page_user(request, settings, Role.PARTNER_MANAGER)
        membership = await own_membership(user)
        name = filename.removesuffix(".csv")
        tables = {"per-hari": "per_day", "per-bulan": "per_month", "per-outlet": "per_outlet",
                  "per-penawaran": "per_offer", "per-usia": "per_age_band", "penolakan": "refusals"}  # fmt: skip
        if name not in tables or not filename.endswith(".csv"):
            raise NotFound()
        data = await _partner_figures(membership.partner_id, settings)
        return csv_response(data[tables[name]], filename)
