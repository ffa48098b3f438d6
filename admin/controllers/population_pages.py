"""HTML for coverage's denominators and targets at /admin/penduduk: their history, a form for one figure, a CSV
import, and the yearly target. The same service and messages as /api/v1/admin/population and /targets."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from admin.service import population, reports
from core.auth import CurrentUser
from core.errors import Invalid
from core.forms import problems_by_field
from core.guards import requires_dukcapil, requires_dukcapil_admin
from core.i18n import Language
from core.pages import Form, Upload
from core.service.regions import HOME_CITY


class PopulationPages(Controller):
    """Both Dukcapil roles read the figures; only the admin records them."""

    path = "/admin/penduduk"
    guards = [requires_dukcapil]
    include_in_schema = False

    @get("/", name="population_page", media_type=MediaType.HTML)
    async def page(self, request: Request[Any, Any, Any], language: NamedDependency[Language]) -> Template:
        return await _page(language, saved=request.query_params.get("tersimpan"))

    @post("/angka", media_type=MediaType.HTML, status_code=303, guards=[requires_dukcapil_admin])
    async def add_figure(
        self, data: Form, user: NamedDependency[CurrentUser], language: NamedDependency[Language]
    ) -> Any:
        try:
            entry = population.parse_population_form(data)
            await population.record_population([entry], user)
        except Invalid as problem:
            return await _page(language, figure=(data, problem), status=422)
        return Redirect("/admin/penduduk?tersimpan=angka", status_code=303)

    @post("/impor", media_type=MediaType.HTML, status_code=303, guards=[requires_dukcapil_admin])
    async def import_figures(
        self, data: Upload, user: NamedDependency[CurrentUser], language: NamedDependency[Language]
    ) -> Any:
        upload = data.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            entries = population.parse_population_csv(content)
            await population.record_population(entries, user, population.csv_row)
        except Invalid as problem:
            return await _page(language, upload_problem=problem, status=422)
        return Redirect(f"/admin/penduduk?tersimpan=impor-{len(entries)}", status_code=303)

    @post("/target", media_type=MediaType.HTML, status_code=303, guards=[requires_dukcapil_admin])
    async def set_target(
        self, data: Form, user: NamedDependency[CurrentUser], language: NamedDependency[Language]
    ) -> Any:
        year = data.get("year", "").strip()
        try:
            if not year.isdigit():
                raise Invalid([population.bad_year()])
            await population.set_target(
                int(year), data.get("target_percent", "").replace(",", "."), data.get("region_code") or None,
                data.get("source"), user,
            )  # fmt: skip
        except Invalid as problem:
            return await _page(language, target=(data, problem), status=422)
        return Redirect("/admin/penduduk?tersimpan=target", status_code=303)


async def _page(
    language: Language,
    *,
    saved: str | None = None,
    figure: tuple[dict[str, str], Invalid] | None = None,
    target: tuple[dict[str, str], Invalid] | None = None,
    upload_problem: Invalid | None = None,
    status: int = 200,
) -> Template:
    tree = await reports.region_tree(HOME_CITY)
    regions = sorted(tree.names, key=lambda code: (len(code.split(".")), code))
    choices = [(code, tree.names[code]) for code in regions if code == HOME_CITY or code.startswith(HOME_CITY + ".")]

    figures = sorted(await population.population_history(), key=lambda r: (r["as_of"], r["recorded_at"]), reverse=True)
    return Template(
        "admin/penduduk.html",
        context={
            "saved": saved,
            "regions": choices,
            "names": tree.names,
            "figures": figures,
            "targets": sorted(
                await population.target_history(), key=lambda r: (r["year"], r["recorded_at"]), reverse=True
            ),
            "figure_form": figure[0] if figure else {},
            "figure_problems": problems_by_field(figure[1] if figure else None, language),
            "target_form": target[0] if target else {},
            "target_problems": problems_by_field(target[1] if target else None, language),
            "upload_problems": [
                (
                    p.field.replace("row ", "baris ") if language == "id" else p.field,
                    p.message.render(language, **p.params),
                )
                for p in (upload_problem.problems if upload_problem else [])
            ],
        },
        status_code=status,
    )
