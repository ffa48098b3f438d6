"""HTML for Dukcapil's console: the coverage and incentives dashboard at /admin, and CSV downloads of its tables
(their figures: admin.service.dashboard)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from admin.service import dashboard
from core.auth import CurrentUser
from core.errors import NotFound
from core.guards import requires_dukcapil
from core.i18n import Language
from core.localtime import local_date, utc_now
from core.settings import Settings
from core.web import csv_response
from verification.service.figures import small_cell_threshold

# The region the dashboard shows: the viewer's own scope by default, or one within it (another's answers 404).
Region = Annotated[str | None, QueryParameter(max_length=13, pattern=r"^[0-9.]*$")]


class DukcapilDashboard(Controller):
    path = "/admin"
    guards = [requires_dukcapil]
    include_in_schema = False

    @get("/", name="admin_dashboard")
    async def dashboard(
        self,
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
        wilayah: Region = None,
        kecamatan: Annotated[
            str | None, QueryParameter(max_length=13, description="A region below to draw beside it")
        ] = None,
    ) -> Template:
        today = local_date(utc_now(), settings.timezone)
        exact = small_cell_threshold(user, settings, exact=True)  # Dukcapil's own console: exact charts
        view = await dashboard.view_of(user, wilayah or None)
        data = await dashboard.dashboard_data(today, view, kecamatan or None, language, exact)
        return Template("admin/dashboard.html", context=data)

    @get("/unduh/{filename:str}", name="admin_download")
    async def download(
        self,
        filename: FromPath[str],
        user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
        wilayah: Region = None,
    ) -> Any:
        today = local_date(utc_now(), settings.timezone)
        threshold = small_cell_threshold(user, settings)  # a download leaves the console: suppressed
        name = filename.removesuffix(".csv")
        view = await dashboard.view_of(user, wilayah or None)
        rows = await dashboard.download(name, today, view, language, threshold) if filename.endswith(".csv") else None
        if rows is None:
            raise NotFound()
        return csv_response(rows, filename)
