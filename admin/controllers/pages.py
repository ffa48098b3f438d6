"""HTML for Dukcapil's console: the coverage and incentives dashboard at /admin, and CSV downloads of its tables
(their figures: admin.service.dashboard)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from admin.service import dashboard, effect
from core.confirm import Acting
from core.database.replica import ReportReads
from core.errors import NotFound
from core.guards import requires_dukcapil
from core.stores import Stores
from core.web import csv_response
from verification.service.figures import small_cell_threshold

# The region the dashboard shows: the viewer's own scope by default, or one within it (another's answers 404).
Region = Annotated[str | None, QueryParameter(max_length=13, pattern=r"^[0-9.]*$")]


def _computing(missing: list[tuple[Any, ...]]) -> BackgroundTasks | None:
    """Estimates not in the store yet, computed after the page has answered (one worker per estimate)."""
    return BackgroundTasks([BackgroundTask(effect.compute, *args) for args in missing]) if missing else None


class DukcapilDashboard(Controller):
    path = "/admin"
    guards = [requires_dukcapil]
    middleware = [ReportReads()]
    include_in_schema = False

    @get("/", name="admin_dashboard")
    async def dashboard(
        self, acting: NamedDependency[Acting], stores: NamedDependency[Stores], wilayah: Region = None,
        kecamatan: Region = None,
    ) -> Template:  # fmt: skip
        """`wilayah`: the region shown; `kecamatan`: a region below it drawn beside it."""
        user, settings = acting.user, acting.settings
        exact = small_cell_threshold(user, settings, exact=True)  # Dukcapil's own console: exact charts
        view = await dashboard.view_of(user, wilayah or None)
        data = await dashboard.dashboard_data(settings.today(), view, kecamatan or None, acting.language, exact)
        data["effect"], missing = await dashboard.effect_view(view, settings.today(), stores, acting.language)
        return Template("admin/dashboard.html", context=data, background=_computing(missing))

    @get("/dampak", name="admin_effect")
    async def effect(
        self, acting: NamedDependency[Acting], stores: NamedDependency[Stores], wilayah: Region = None
    ) -> Template:
        """The effect section alone: the dashboard fetches it again (htmx) until the estimate is computed."""
        view = await dashboard.view_of(acting.user, wilayah or None)
        found, missing = await dashboard.effect_view(view, acting.settings.today(), stores, acting.language)
        return Template("admin/dampak.html", context={"effect": found, "view": view}, background=_computing(missing))

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
