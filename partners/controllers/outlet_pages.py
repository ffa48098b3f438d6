"""HTML for the partner's outlets at /mitra/outlet: the list, a new outlet and its changes, with opening hours of up
to two periods a day. The same service and messages as /api/v1/partners/{id}/outlets."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.errors import Invalid
from core.forms import checked, problems_by_field, text, to_struct
from core.i18n import Language, weekday_name
from core.offices import city_of
from core.pages import Form
from core.service.regions import cities_by_provinsi, region_with_parents
from partners.controllers.deps import Manager, manager_pages
from partners.schemas import OutletIn, OutletRead
from partners.service import onboarding, outlets

SHIFTS = 2  # up to two opening periods a day (a pool closing at noon for cleaning)


def outlet_form(outlet: OutletRead | None) -> dict[str, str]:
    """An outlet as the form's fields: `hours.<day>.<n>.open` / `.close`."""
    if outlet is None:
        return {"active": "on", **{f"hours.{day}.0.open": "08:00" for day in outlets.WEEKDAYS},
                **{f"hours.{day}.0.close": "17:00" for day in outlets.WEEKDAYS}}  # fmt: skip
    fields = {"name": outlet.name, "address": outlet.address, "kelurahan_code": outlet.kelurahan_code,
              "active": "on" if outlet.active else ""}  # fmt: skip
    for day, intervals in outlet.opening_hours.items():
        for index, interval in enumerate(intervals[:SHIFTS]):
            fields[f"hours.{day}.{index}.open"] = interval.open
            fields[f"hours.{day}.{index}.close"] = interval.close
    return fields


def outlet_in(data: dict[str, str]) -> OutletIn:
    """The form as the API's body; a day with no times is closed. Problems name the form's own fields."""
    hours: dict[str, list[dict[str, str]]] = {}
    for day in outlets.WEEKDAYS:
        for index in range(SHIFTS):
            opens, closes = text(data, f"hours.{day}.{index}.open"), text(data, f"hours.{day}.{index}.close")
            if opens or closes:
                hours.setdefault(day, []).append({"open": opens, "close": closes})
    return to_struct(
        OutletIn,
        {"name": text(data, "name"), "address": text(data, "address"),
         "kelurahan_code": text(data, "kelurahan_code"), "opening_hours": hours, "active": checked(data, "active")},
    )  # fmt: skip


def hours_problems_by_field(problems: dict[str, str]) -> dict[str, str]:
    """The service names a bad interval `opening_hours.mon[0]`: show it beside that day's fields."""
    shown = dict(problems)
    for field, message in problems.items():
        if field.startswith("opening_hours."):
            day, _, rest = field.removeprefix("opening_hours.").partition("[")
            shown[f"hours.{day}.{rest.rstrip(']') or '0'}"] = message
    return shown


def days(language: Language) -> list[tuple[str, str]]:
    """The week as the outlet's hours are keyed (`mon`…), each with its name."""
    return [(day, weekday_name(index, language)) for index, day in enumerate(outlets.WEEKDAYS, start=1)]


class OutletPages(Controller):
    path = "/outlet"

    @get("/", name="partner_outlets", media_type=MediaType.HTML)
    async def list_outlets(self, manager: NamedDependency[Manager]) -> Template:
        context = {"outlets": await outlets.list_outlets(manager.partner_id), "days": days(manager.language)}
        return Template("mitra/outlets.html", context=context)

    @get("/baru", name="partner_outlet_new", media_type=MediaType.HTML)
    async def new(self, manager: NamedDependency[Manager]) -> Template:
        return await _form(manager.partner_id, manager.language, None, outlet_form(None))

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, data: Form, manager: NamedDependency[Manager]) -> Any:
        try:
            await outlets.create_outlet(manager.partner_id, outlet_in(data), manager.user)
        except Invalid as problem:
            return await _form(manager.partner_id, manager.language, None, data, problem)
        return Redirect("/mitra/outlet?ok=outlet-dibuat", status_code=303)

    @get("/{outlet_id:uuid}", name="partner_outlet", media_type=MediaType.HTML)
    async def edit(self, outlet_id: FromPath[uuid.UUID], manager: NamedDependency[Manager]) -> Template:
        outlet = await outlets.get_outlet(manager.partner_id, outlet_id)  # another partner's outlet: 404
        return await _form(manager.partner_id, manager.language, outlet, outlet_form(outlet))

    @post("/{outlet_id:uuid}", media_type=MediaType.HTML, status_code=303)
    async def update(self, outlet_id: FromPath[uuid.UUID], data: Form, manager: NamedDependency[Manager]) -> Any:
        outlet = await outlets.get_outlet(manager.partner_id, outlet_id)
        try:
            await outlets.update_outlet(manager.partner_id, outlet_id, outlet_in(data), manager.user)
        except Invalid as problem:
            return await _form(manager.partner_id, manager.language, outlet, data, problem)
        return Redirect("/mitra/outlet?ok=outlet-disimpan", status_code=303)


async def _form(
    partner_id: uuid.UUID,
    language: Language,
    outlet: OutletRead | None,
    values: dict[str, str],
    problem: Invalid | None = None,
) -> Template:
    kelurahan = await region_with_parents(values.get("kelurahan_code", "").strip())
    # The kabupaten/kota the kelurahan search looks in first: the chosen kelurahan's, else the first where the
    # partner applied to the office (none: the search looks everywhere).
    working = await onboarding.cities_of(partner_id)
    city = values.get("kelurahan_city", city_of(kelurahan["code"]) if kelurahan else (working[0] if working else ""))
    return Template(
        "mitra/outlet_form.html",
        context={
            "outlet": outlet,
            "values": values,
            "problems": hours_problems_by_field(problems_by_field(problem, language)),
            # The kelurahan the field names, shown with its kecamatan and kabupaten/kota (the field holds its code).
            "kelurahan": kelurahan,
            "cities": await cities_by_provinsi(),
            "city": city,
            "days": days(language),
            "shifts": range(SHIFTS),
        },
        status_code=422 if problem else 200,
    )


outlet_pages = manager_pages(OutletPages)
