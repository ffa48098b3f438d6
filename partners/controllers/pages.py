"""HTML for the partner console at /mitra: the partner's outlets, and what every console page shares (the signed-in
manager, the form body, the status a refusal answers with). Pages call the same services as the JSON API, so every
rule and message is the API's."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from core.auth import PUBLIC, CurrentUser
from core.errors import Invalid
from core.forms import checked, notice, problems_by_field, refusal_status, text, to_struct
from core.i18n import Text
from core.pages import page_language, require_page_user
from core.service.regions import kelurahan_by_kecamatan
from core.settings import Settings
from core.tables import Role
from partners.schemas import OutletIn, OutletRead
from partners.service import outlets
from partners.service.access import own_membership

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
DAYS = (("mon", Text("Senin", "Monday")), ("tue", Text("Selasa", "Tuesday")), ("wed", Text("Rabu", "Wednesday")),
        ("thu", Text("Kamis", "Thursday")), ("fri", Text("Jumat", "Friday")), ("sat", Text("Sabtu", "Saturday")),
        ("sun", Text("Minggu", "Sunday")))  # fmt: skip
SHIFTS = 2  # up to two opening periods a day (a pool closing at noon for cleaning)
SAVED = {
    "outlet-dibuat": Text("Outlet ditambahkan.", "Outlet added."),
    "outlet-disimpan": Text("Perubahan outlet disimpan.", "Outlet changes saved."),
}


async def manager(request: Request[Any, Any, Any], settings: Settings) -> tuple[CurrentUser, uuid.UUID]:
    """The signed-in partner manager and their partner (a page for anyone else answers 403, or sends to /masuk)."""
    user = await require_page_user(request, settings, Role.PARTNER_MANAGER)
    return user, (await own_membership(user)).partner_id


def outlet_form(outlet: OutletRead | None) -> dict[str, str]:
    """An outlet as the form's fields: `hours.<day>.<n>.open` / `.close`."""
    if outlet is None:
        return {"active": "on", **{f"hours.{day}.0.open": "08:00" for day, _ in DAYS},
                **{f"hours.{day}.0.close": "17:00" for day, _ in DAYS}}  # fmt: skip
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
    for day, _ in DAYS:
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


class OutletPages(Controller):
    path = "/mitra/outlet"
    opt = {PUBLIC: True}  # pages: `manager()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_outlets", media_type=MediaType.HTML)
    async def list_outlets(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        return Template(
            "mitra/outlets.html",
            context={
                "outlets": await outlets.list_outlets(partner_id),
                "days": [(day, name.render(language)) for day, name in DAYS],
                "notice": notice(request, SAVED, language),
            },
        )

    @get("/baru", name="partner_outlet_new", media_type=MediaType.HTML)
    async def new(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        await manager(request, settings)
        return await _form(request, settings, None, outlet_form(None))

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user, partner_id = await manager(request, settings)
        try:
            await outlets.create_outlet(partner_id, outlet_in(data), user)
        except Invalid as problem:
            return await _form(request, settings, None, data, problem)
        return Redirect("/mitra/outlet?ok=outlet-dibuat", status_code=303)

    @get("/{outlet_id:uuid}", name="partner_outlet", media_type=MediaType.HTML)
    async def edit(
        self, request: Request[Any, Any, Any], outlet_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, partner_id = await manager(request, settings)
        outlet = await outlets.get_outlet(partner_id, outlet_id)  # another partner's outlet: 404
        return await _form(request, settings, outlet, outlet_form(outlet))

    @post("/{outlet_id:uuid}", media_type=MediaType.HTML, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        outlet_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, partner_id = await manager(request, settings)
        outlet = await outlets.get_outlet(partner_id, outlet_id)
        try:
            await outlets.update_outlet(partner_id, outlet_id, outlet_in(data), user)
        except Invalid as problem:
            return await _form(request, settings, outlet, data, problem)
        return Redirect("/mitra/outlet?ok=outlet-disimpan", status_code=303)


async def _form(
    request: Request[Any, Any, Any],
    settings: Settings,
    outlet: OutletRead | None,
    values: dict[str, str],
    problem: Invalid | None = None,
) -> Template:
    language = page_language(request, settings.language)
    return Template(
        "mitra/outlet_form.html",
        context={
            "outlet": outlet,
            "values": values,
            "problems": hours_problems_by_field(problems_by_field(problem, language)),
            "kelurahan": await kelurahan_by_kecamatan(),
            "days": [(day, name.render(language)) for day, name in DAYS],
            "shifts": range(SHIFTS),
        },
        status_code=422 if problem else 200,
    )


__all__ = ["Form", "OutletPages", "manager", "refusal_status"]
