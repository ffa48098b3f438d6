"""HTML for the cashier app at /kasir, and for the partner's dashboard at /mitra (its figures are this layer's)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from core.auth import PUBLIC
from core.errors import NotFound
from core.settings import Settings
from core.web import csv_response
from partners.controllers.catalog import CATEGORY_LABELS
from partners.controllers.deps import Manager, manager_pages
from partners.service import webhook_endpoints
from partners.service.onboarding import read_partner
from verification.errors import refusal_titles
from verification.service import attempt_review, figures, returns
from verification.service.rollups import month_of


class CashierPage(Controller):
    """The app's shell is public: it signs in itself (or finds the browser signed in at /masuk) through the API."""

    path = "/kasir"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="cashier_app")
    async def app(self) -> Template:
        return Template("kasir/index.html")


SERVICE_WORKER = Path(__file__).parent.parent / "static" / "kasir" / "sw.js"


class CashierServiceWorker(Controller):
    """The cashier app's service worker, served from the site's root so that it may control /kasir (a worker
    controls only paths under its own folder)."""

    path = "/kasir-sw.js"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="cashier_service_worker", media_type="text/javascript")
    async def worker(self) -> Response[bytes]:
        return Response(
            SERVICE_WORKER.read_bytes(), media_type="text/javascript", headers={"Cache-Control": "no-cache"}
        )


class ParentCardPage(Controller):
    """Public: a parent turns the child's printed sticker into a rotating code on their phone."""

    path = "/kartu-anak"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="parent_card_code")
    async def page(self) -> Template:
        return Template("kartu/index.html")


DOWNLOADS = {"per-hari": "per_day", "per-bulan": "per_month", "per-outlet": "per_outlet",
             "per-penawaran": "per_offer", "per-usia": "per_age_band", "penolakan": "refusals"}  # fmt: skip


class PartnerDashboard(Controller):
    path = "/"

    @get("/", name="partner_dashboard")
    async def dashboard(self, settings: NamedDependency[Settings], manager: NamedDependency[Manager]) -> Template:
        data = await figures.partner_figures(manager.partner_id, manager.user, settings)
        days = data["per_day"]
        refusals: dict[str, int] = {}
        for row in data["refusals"]:
            refusals[row["reason_code"]] = refusals.get(row["reason_code"], 0) + row["refusals"]
        # The last month that has ended by `until` (yesterday): the first of the month after it, one day back.
        last_month = month_of(month_of(data["until"] + timedelta(days=1)) - timedelta(days=1)).isoformat()
        this_month = [row for row in data["per_month"] if row["month"] == last_month]
        chart = {
            "type": "bar",
            "labels": [d["day"] for d in days],
            # A hidden day (`<5`) is a gap in the chart, not a bar.
            "datasets": [
                {
                    "label": "redemptions",
                    "data": [d["redemptions"] if isinstance(d["redemptions"], int) else None for d in days],
                }
            ],
        }
        return Template(
            "mitra/dashboard.html",
            context={
                "partner": await read_partner(manager.partner_id),
                "day_chart": chart,
                "total_redemptions": data["totals"]["redemptions"],
                "total_discount": data["totals"]["discount_rupiah"],
                "until": data["until"],
                "children_this_month": this_month[0]["unique_children"] if this_month else 0,
                "per_month": data["per_month"],
                "per_outlet": data["per_outlet"],
                "per_offer": data["per_offer"],
                "per_age_band": data["per_age_band"],
                "refusals": sorted(refusals.items(), key=lambda item: -item[1]),
                "refusals_by_outlet": data["refusals"],
                "reasons": refusal_titles(manager.language),
                "threshold": figures.small_cell_threshold(manager.user, settings),
                "returns": await returns.partner_returns(manager.partner_id, settings),
                "category_labels": CATEGORY_LABELS,
                "failing_webhooks": await webhook_endpoints.failing_endpoints(manager.partner_id),
            },
        )

    @get("/tinjauan", name="partner_attempt_review")
    async def review(self, settings: NamedDependency[Settings], manager: NamedDependency[Manager]) -> Template:
        days = attempt_review.window(settings, None, None, manager.partner_id)
        return Template(
            "mitra/tinjauan.html",
            context={"review": await attempt_review.summary(days), "base": "/mitra/tinjauan",
                     "reasons": refusal_titles(manager.language)},
        )  # fmt: skip

    @get("/tinjauan/percobaan", name="partner_attempts")
    async def attempts(
        self,
        settings: NamedDependency[Settings],
        manager: NamedDependency[Manager],
        outlet: Annotated[uuid.UUID | None, QueryParameter()] = None,
        kasir: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Template:
        days = attempt_review.window(settings, None, None, manager.partner_id)
        return Template(
            "mitra/tinjauan_percobaan.html",
            context={"attempts": await attempt_review.attempts(days, outlet, kasir),
                     "reasons": refusal_titles(manager.language)},
        )  # fmt: skip

    @get("/unduh/{filename:str}", name="partner_download")
    async def download(
        self, filename: FromPath[str], settings: NamedDependency[Settings], manager: NamedDependency[Manager]
    ) -> Any:
        name = filename.removesuffix(".csv")
        if name not in DOWNLOADS or not filename.endswith(".csv"):
            raise NotFound()
        data = await figures.partner_figures(manager.partner_id, manager.user, settings)
        return csv_response(data[DOWNLOADS[name]], filename)


partner_dashboard = manager_pages(PartnerDashboard)
