"""HTML for Dukcapil's console: the coverage and incentives dashboard at /admin, and CSV downloads of its tables
(their figures: admin.service.dashboard)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from admin.service import dashboard
from core.confirm import Acting
from core.database.replica import ReportReads
from core.errors import NotFound
from core.guards import requires_dukcapil
from core.web import csv_response
from verification.service.figures import small_cell_threshold

# The region the dashboard shows: the viewer's own scope by default, or one within it (another's answers 404).
Region = Annotated[str | None, QueryParameter(max_length=13, pattern=r"^[0-9.]*$")]


class DukcapilDashboard(Controller):
    path = "/admin"
    guards = [requires_dukcapil]
    middleware = [ReportReads()]
    include_in_schema = False

    @get("/", name="admin_dashboard")
    async def dashboard(
        self, acting: NamedDependency[Acting], wilayah: Region = None, kecamatan: Region = None
    ) -> Template:
        """`wilayah`: the region shown; `kecamatan`: a region below it drawn beside it."""
        user, settings = acting.user, acting.settings
        exact = small_cell_threshold(user, settings, exact=True)  # Dukcapil's own console: exact charts
        view = await dashboard.view_of(user, wilayah or None)
        data = await dashboard.dashboard_data(settings.today(), view, kecamatan or None, acting.language, exact)
        return Template("admin/dashboard.html", context=data)

    @get("/unduh/{filename:str}", name="admin_download")
    async def download(self, filename: FromPath[str], acting: NamedDependency[Acting], wilayah: Region = None) -> Any:
        user, settings = acting.user, acting.settings
        threshold = small_cell_threshold(user, settings)  # a download leaves the console: suppressed
        view, name = await dashboard.view_of(user, wilayah or None), filename.removesuffix(".csv")
        rows = (
            await dashboard.download(name, settings.today(), view, acting.language, threshold)
            if name != filename
            else None
        )
        if rows is None:
            raise NotFound()
        return csv_response(rows, filename)
