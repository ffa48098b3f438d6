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
from core.errors import FieldProblem, Invalid
from core.forms import checked, problems_by_field, text, to_struct
from core.guards import requires_dukcapil_admin
from core.i18n import Language, Text
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
    async def register(self, user: NamedDependency[CurrentUser], settings: NamedDependency[Settings]) -> Template:
        return await _register_page(user, settings, {}, None, 200)

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def record(
        self, data: Form, user: NamedDependency[CurrentUser], settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Any:  # fmt: skip
        try:
            breach = await breaches.record(_breach_in(data, settings), user)
        except Invalid as problem:
            return await _register_page(user, settings, data, problem, 422, language)
        return Redirect(f"{PATH}/{breach.id}?ok=dicatat", status_code=303)

    @get("/unduh.csv", name="breach_register_csv")
    async def download(self, user: NamedDependency[CurrentUser]) -> Any:
        rows = breaches.export_rows(await breaches.register(user))
        return csv_response(rows, "insiden-data-pribadi.csv", list(breaches.CSV_COLUMNS))

    @get("/{breach_id:uuid}", name="breach_page", media_type=MediaType.HTML)
    async def read(
        self, breach_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser], settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Template:  # fmt: skip
        breach = await breaches.read(breach_id, user)
        return await _breach_page(breach, settings, _values(breach, settings), None, 200, language)

    @post("/{breach_id:uuid}", media_type=MediaType.HTML, status_code=303)
    async def update(
        self, breach_id: FromPath[uuid.UUID], data: Form, user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings], language: NamedDependency[Language],
    ) -> Any:  # fmt: skip
        try:
            await breaches.update(breach_id, _breach_in(data, settings), user)
        except Invalid as problem:
            breach = await breaches.read(breach_id, user)
            return await _breach_page(breach, settings, data, problem, 422, language)
        return Redirect(f"{PATH}/{breach_id}?ok=disimpan", status_code=303)

    @get("/{breach_id:uuid}/laporan.pdf", name="breach_report_pdf")
    async def report(
        self, breach_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser], settings: NamedDependency[Settings],
        language: NamedDependency[Language],
    ) -> Response[bytes]:  # fmt: skip
        return await pdf_response(breach_id, user, settings, language)


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


def _context(settings: Settings, values: dict[str, str], problem: Invalid | None, language: str) -> dict[str, Any]:
    return {
        "values": values,
        "problems": problems_by_field(problem, language),
        "categories": [(key, label.render(language)) for key, label in breaches.CATEGORIES.items()],
        "now_local": utc_now().astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%dT%H:%M"),
    }


async def _register_page(
    user: CurrentUser, settings: Settings, values: dict[str, str], problem: Invalid | None, status: int,
    language: str = "id",
) -> Template:  # fmt: skip
    found = await breaches.register(user)
    return Template(
        "admin/insiden.html",
        context={"breaches": [(b, _left(b)) for b in found], **_context(settings, values, problem, language)},
        status_code=status,
    )


async def _breach_page(
    breach: BreachRead, settings: Settings, values: dict[str, str], problem: Invalid | None, status: int,
    language: str,
) -> Template:  # fmt: skip
    office = await breaches.office_name(breach.scope_code)
    return Template(
        "admin/insiden_detail.html",
        context={
            "breach": breach,
            "left": _left(breach),
            "notice": breaches.parents_notice(breach, language, office, settings.timezone),
            "category_names": dict(breaches.CATEGORIES),
            **_context(settings, values, problem, language),
        },
        status_code=status,
    )
