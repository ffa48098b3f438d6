"""HTML for the breach register at /admin/insiden: the register with each incident's 3 × 24 hour deadline, a form to
record or complete one, and its exports (CSV of the register, the PDF report, the parents' notice). The same
service and rules as /api/v1/admin/breaches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.controllers.breaches import pdf_response
from admin.schemas import BreachIn, BreachRead
from admin.service import breaches
from core.auth import CurrentUser
from core.confirm import Acting
from core.errors import FieldProblem, Invalid
from core.forms import checked, problems_by_field, text, to_struct
from core.guards import requires_dukcapil_admin
from core.i18n import Text
from core.localtime import utc_now
from core.pages import Form
from core.settings import Settings
from core.web import csv_response

PATH = "/admin/insiden"
TIME_FIELDS = ("discovered_at", "authority_notified_at", "parents_notified_at")
NOT_A_TIME = Text("Isi tanggal dan jam (WIB).", "Fill in the date and time (WIB).")


class BreachPages(Controller):
    path = PATH
    guards = [requires_dukcapil_admin]
    include_in_schema = False

    @get("/", name="breach_register_page", media_type=MediaType.HTML)
    async def register(self, acting: NamedDependency[Acting]) -> Template:
        return await _register_page(acting, {})

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def record(self, data: Form, acting: NamedDependency[Acting]) -> Any:
        try:
            breach = await breaches.record(_breach_in(data, acting.settings), acting.user)
        except Invalid as problem:
            return await _register_page(acting, data, problem)
        return Redirect(f"{PATH}/{breach.id}?ok=dicatat", status_code=303)

    @get("/unduh.csv", name="breach_register_csv")
    async def download(self, user: NamedDependency[CurrentUser]) -> Any:
        rows = breaches.export_rows(await breaches.register(user))
        return csv_response(rows, "insiden-data-pribadi.csv", list(breaches.CSV_COLUMNS))

    @get("/{breach_id:uuid}", name="breach_page", media_type=MediaType.HTML)
    async def read(self, breach_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        breach = await breaches.read(breach_id, acting.user)
        return await _breach_page(acting, breach, _values(breach, acting.settings))

    @post("/{breach_id:uuid}", media_type=MediaType.HTML, status_code=303)
    async def update(self, breach_id: FromPath[uuid.UUID], data: Form, acting: NamedDependency[Acting]) -> Any:
        try:
            await breaches.update(breach_id, _breach_in(data, acting.settings), acting.user)
        except Invalid as problem:
            return await _breach_page(acting, await breaches.read(breach_id, acting.user), data, problem)
        return Redirect(f"{PATH}/{breach_id}?ok=disimpan", status_code=303)

    @get("/{breach_id:uuid}/laporan.pdf", name="breach_report_pdf")
    async def report(self, breach_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Response[bytes]:
        return await pdf_response(breach_id, acting.user, acting.settings, acting.language)


def _local(value: str, settings: Settings, name: str) -> str | None:
    """A `datetime-local` field (the office's clock) as ISO 8601 in UTC; None when left empty."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid([FieldProblem(name, "invalid_datetime", NOT_A_TIME)]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
    return moment.isoformat()


def _breach_in(data: dict[str, str], settings: Settings) -> BreachIn:
    fields: dict[str, Any] = {name: _local(text(data, name), settings, name) for name in TIME_FIELDS}
    if fields["discovered_at"] is None:
        raise Invalid([FieldProblem("discovered_at", "required", NOT_A_TIME)])
    regions = [code.strip() for code in text(data, "regions").replace(";", ",").split(",") if code.strip()]
    return to_struct(
        BreachIn,
        {
            **fields,
            "description": text(data, "description"),
            "categories": [key for key in breaches.CATEGORIES if checked(data, f"category_{key}")],
            "regions": regions,
            "children_affected": text(data, "children_affected") or "0",
            "measures": text(data, "measures"),
            "others_notified": text(data, "others_notified"),
            "closed": checked(data, "closed"),
        },
    )


def _values(breach: BreachRead, settings: Settings) -> dict[str, str]:
    """A record as its form shows it: times on the office's clock."""
    zone = ZoneInfo(settings.timezone)
    values = {
        name: moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if (moment := getattr(breach, name)) else ""
        for name in TIME_FIELDS
    }
    values.update(
        description=breach.description, regions=", ".join(breach.regions), measures=breach.measures,
        children_affected=str(breach.children_affected), others_notified=breach.others_notified,
        **{f"category_{key}": "on" for key in breach.categories},
        **({"closed": "on"} if breach.status == "closed" else {}),
    )  # fmt: skip
    return values


def _left(breach: BreachRead) -> tuple[int, int] | None:
    """Hours and minutes until the notification deadline, while it still runs."""
    seconds = int((breach.notify_by - utc_now()).total_seconds())
    if seconds <= 0 or (breach.authority_notified_at and breach.parents_notified_at):
        return None
    return seconds // 3600, seconds % 3600 // 60


def _context(acting: Acting, values: dict[str, str], problem: Invalid | None) -> dict[str, Any]:
    language, settings = acting.language, acting.settings
    return {
        "values": values,
        "problems": problems_by_field(problem, language),
        "categories": [(key, label.render(language)) for key, label in breaches.CATEGORIES.items()],
        "now_local": utc_now().astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%dT%H:%M"),
    }


async def _register_page(acting: Acting, values: dict[str, str], problem: Invalid | None = None) -> Template:
    found = await breaches.register(acting.user)
    return Template(
        "admin/insiden.html",
        context={"breaches": [(b, _left(b)) for b in found], **_context(acting, values, problem)},
        status_code=422 if problem else 200,
    )


async def _breach_page(
    acting: Acting, breach: BreachRead, values: dict[str, str], problem: Invalid | None = None
) -> Template:
    office, zone = await breaches.office_name(breach.scope_code), acting.settings.timezone
    return Template(
        "admin/insiden_detail.html",
        context={
            "breach": breach,
            "left": _left(breach),
            "notice": breaches.parents_notice(breach, acting.language, office, zone),
            "category_names": dict(breaches.CATEGORIES),
            **_context(acting, values, problem),
        },
        status_code=422 if problem else 200,
    )
