"""HTML for the cashier app at /kasir, and for the partner's dashboard at /mitra (its figures are this layer's)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from core.auth import PUBLIC, CurrentUser
from core.errors import NotFound
from core.i18n import Language
from core.localtime import local_date, utc_now
from core.settings import Settings
from core.web import csv_response
from partners.controllers.deps import manager_pages
from partners.service.access import Membership
from partners.service.onboarding import read_partner
from verification.errors import refusal_titles
from verification.service import figures
from verification.service.rollups import month_of


class CashierPage(Controller):
    """The app's shell is public: it signs in itself (or finds the browser signed in at /masuk) through the API."""

    path = "/kasir"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="cashier_app")
    async def app(self) -> Template:
        return Template("kasir/index.html")


PARTNER_DAYS = 90
DOWNLOADS = {"per-hari": "per_day", "per-bulan": "per_month", "per-outlet": "per_outlet",
             "per-penawaran": "per_offer", "per-usia": "per_age_band", "penolakan": "refusals"}  # fmt: skip


async def _partner_figures(partner_id: Any, user: CurrentUser, settings: Settings) -> dict[str, Any]:
    """A partner's own figures over the last 90 days (whole months for the monthly ones), small cells suppressed."""
    today = local_date(utc_now(), settings.timezone)
    wanted = figures.RedemptionFilter(today - timedelta(days=PARTNER_DAYS), today, partner_id)
    threshold = figures.small_cell_threshold(user, settings)
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
    path = "/"

    @get("/", name="partner_dashboard")
    async def dashboard(
        self,
        membership: NamedDependency[Membership],
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Template:
        data = await _partner_figures(membership.partner_id, user, settings)
        days = data["per_day"]
        refusals: dict[str, int] = {}
        for row in data["refusals"]:
            refusals[row["reason_code"]] = refusals.get(row["reason_code"], 0) + row["refusals"]
        this_month = [row for row in data["per_month"] if row["month"] == month_of(data["today"]).isoformat()]
        chart = {
            "type": "bar",
            "labels": [d["day"] for d in days],
            "datasets": [{"label": "redemptions", "data": [d["redemptions"] for d in days]}],
        }
        return Template(
            "mitra/dashboard.html",
            context={
                "partner": await read_partner(membership.partner_id),
                "day_chart": chart,
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
                "threshold": figures.small_cell_threshold(user, settings),
            },
        )

    @get("/unduh/{filename:str}", name="partner_download")
    async def download(
        self,
        filename: FromPath[str],
        membership: NamedDependency[Membership],
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
    ) -> Any:
        name = filename.removesuffix(".csv")
        if name not in DOWNLOADS or not filename.endswith(".csv"):
            raise NotFound()
        data = await _partner_figures(membership.partner_id, user, settings)
        return csv_response(data[DOWNLOADS[name]], filename)


partner_dashboard = manager_pages(PartnerDashboard)
