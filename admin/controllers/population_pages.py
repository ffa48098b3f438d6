"""HTML for coverage's denominators and targets at /admin/penduduk: their history, a form for one figure, a CSV
import, and the yearly target. The same service and messages as /api/v1/admin/population and /targets."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from admin.controllers.console import DUKCAPIL
from admin.service import population, reports
from core.auth import PUBLIC, CurrentUser
from core.errors import Invalid
from core.pages import page_language, require_page_user
from core.settings import Settings
from core.tables import Role

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


class PopulationPages(Controller):
    path = "/admin/penduduk"
    opt = {PUBLIC: True}  # pages: require_page_user checks the session cookie (and the role) and redirects
    include_in_schema = False

    @get("/", name="population_page", media_type=MediaType.HTML)
    async def page(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        user = await require_page_user(request, settings, *DUKCAPIL)
        return await _page(request, user, saved=request.query_params.get("tersimpan"))

    @post("/angka", media_type=MediaType.HTML, status_code=303)
    async def add_figure(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user = await require_page_user(request, settings, Role.DUKCAPIL_ADMIN)
        try:
            entry = population.parse_population_form(data)
            await population.record_population([entry], user)
        except Invalid as problem:
            return await _page(request, user, figure=(data, problem), status=422)
        return Redirect("/admin/penduduk?tersimpan=angka", status_code=303)

    @post("/impor", media_type=MediaType.HTML, status_code=303)
    async def import_figures(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: NamedDependency[Settings],
    ) -> Any:
        user = await require_page_user(request, settings, Role.DUKCAPIL_ADMIN)
        upload = data.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            entries = population.parse_population_csv(content)
            await population.record_population(entries, user, population.csv_row)
        except Invalid as problem:
            return await _page(request, user, upload_problem=problem, status=422)
        return Redirect(f"/admin/penduduk?tersimpan=impor-{len(entries)}", status_code=303)

    @post("/target", media_type=MediaType.HTML, status_code=303)
    async def set_target(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user = await require_page_user(request, settings, Role.DUKCAPIL_ADMIN)
        year = data.get("year", "").strip()
        try:
            if not year.isdigit():
                raise Invalid([population.bad_year()])
            await population.set_target(
                int(year), data.get("target_percent", "").replace(",", "."), data.get("region_code") or None,
                data.get("source"), user,
            )  # fmt: skip
        except Invalid as problem:
            return await _page(request, user, target=(data, problem), status=422)
        return Redirect("/admin/penduduk?tersimpan=target", status_code=303)


async def _page(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    *,
    saved: str | None = None,
    figure: tuple[dict[str, str], Invalid] | None = None,
    target: tuple[dict[str, str], Invalid] | None = None,
    upload_problem: Invalid | None = None,
    status: int = 200,
) -> Template:
    language = page_language(request)
    tree = await reports.region_tree()
    regions = sorted(tree.names, key=lambda code: (len(code.split(".")), code))
    choices = [(code, tree.names[code]) for code in regions if code == "17.71" or code.startswith("17.71.")]

    def problems(invalid: Invalid | None) -> dict[str, str]:
        return {p.field: p.message.render(language, **p.params) for p in (invalid.problems if invalid else [])}

    figures = sorted(await population.population_history(), key=lambda r: (r["as_of"], r["recorded_at"]), reverse=True)
    return Template(
        "admin/penduduk.html",
        context={
            "user": user,
            "can_edit": user.role == Role.DUKCAPIL_ADMIN,
            "saved": saved,
            "regions": choices,
            "names": tree.names,
            "figures": figures,
            "targets": sorted(
                await population.target_history(), key=lambda r: (r["year"], r["recorded_at"]), reverse=True
            ),
            "figure_form": figure[0] if figure else {},
            "figure_problems": problems(figure[1] if figure else None),
            "target_form": target[0] if target else {},
            "target_problems": problems(target[1] if target else None),
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
