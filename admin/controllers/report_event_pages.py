"""HTML for the events written beside the effect estimate (a supply limit, another programme): the list of those
that concern the viewer's area, and for an admin the form to add one of its own area and a button to remove it."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.schemas import ReportEventCreate
from admin.service import report_events
from admin.tables import ReportEventKind
from core.auth import CurrentUser
from core.errors import Invalid
from core.forms import problems_by_field, to_struct
from core.guards import requires_dukcapil, requires_dukcapil_admin
from core.i18n import Language
from core.pages import Form
from core.settings import Settings

FIELDS = ("kind", "title", "starts_on", "ends_on")


class ReportEventPages(Controller):
    path = "/admin/peristiwa"
    guards = [requires_dukcapil]
    include_in_schema = False

    @get("/", name="report_events_page", media_type=MediaType.HTML)
    async def index(
        self, user: NamedDependency[CurrentUser], settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Template:  # fmt: skip
        return await _index(user, settings, language, {}, None, 200)

    @post("/", media_type=MediaType.HTML, status_code=303, guards=[requires_dukcapil_admin])
    async def create(
        self, data: Form, user: NamedDependency[CurrentUser], settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Any:  # fmt: skip
        typed: dict[str, Any] = {field: str(data.get(field, "")).strip() for field in FIELDS}
        if not typed["ends_on"]:
            typed["ends_on"] = None
        try:
            await report_events.add_event(to_struct(ReportEventCreate, typed), user)
        except Invalid as problem:
            return await _index(user, settings, language, typed, problem, 422)
        return Redirect("/admin/peristiwa?ok=peristiwa-dicatat", status_code=303)

    @post("/{event_id:uuid}/hapus", media_type=MediaType.HTML, status_code=303, guards=[requires_dukcapil_admin])
    async def remove(self, event_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> Redirect:
        await report_events.remove_event(event_id, user)
        return Redirect("/admin/peristiwa?ok=peristiwa-dihapus", status_code=303)


async def _index(
    user: CurrentUser, settings: Settings, language: Language, values: dict[str, Any], problem: Invalid | None,
    status: int,
) -> Template:  # fmt: skip
    kinds = {kind.value: text.render(language) for kind, text in report_events.KIND_NAMES.items()}
    return Template(
        "admin/peristiwa.html",
        context={
            "events": await report_events.events_for(user.region),
            "values": values,
            "problems": problems_by_field(problem, language),
            "may_write": user.role == "dukcapil_admin",
            "mine": lambda event: report_events.owns(event.region_code, user.region),
            "kinds": kinds,
            "kind_choices": [(kind.value, kinds[kind.value]) for kind in ReportEventKind],
            "today": settings.today().isoformat(),
        },
        status_code=status,
    )
