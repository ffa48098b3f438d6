"""HTML for Dukcapil's own staff accounts at /admin/staf: the list, a new account, a password reset, disabling
(behind a confirmation) and enabling. The same service and messages as /api/v1/admin/staff (admin only)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from litestar import Controller, Router, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.service import staff as service
from core.auth import CurrentUser
from core.confirm import Acting, ConfirmedAction
from core.errors import Invalid
from core.forms import acted, new_account, problems_by_field, text, to_struct, typed_password
from core.guards import requires_dukcapil_admin
from core.i18n import Language
from core.pages import Form
from core.schemas import StaffUserCreate, StaffUserUpdate
from core.service import users
from core.tables import Role

PATH = "/admin/staf"


class DukcapilStaffPages(Controller):
    @get("/", name="dukcapil_staff_page", media_type=MediaType.HTML)
    async def list_staff(self, user: NamedDependency[CurrentUser]) -> Template:
        return Template("admin/staf.html", context={"staff": await service.list_staff(user)})

    @get("/baru", name="dukcapil_staff_new", media_type=MediaType.HTML)
    async def new(self, language: NamedDependency[Language]) -> Template:
        return _account_form({"role": Role.DUKCAPIL_ANALYST.value}, language)

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, data: Form, acting: NamedDependency[Acting]) -> Any:
        async def create() -> None:  # the fields' rules (422), or the username is taken (409)
            body = new_account(StaffUserCreate, data, role=text(data, "role"))
            await service.create_staff(body.username, body.password, body.role, body.display_name, acting.user)

        again = partial(_account_form, data, acting.language)
        return await acted(acting.request, create(), f"{PATH}?ok=dibuat", again, "username")

    @get("/{user_id:uuid}/sandi", name="dukcapil_staff_password", media_type=MediaType.HTML)
    async def password_form(self, user_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        return _password_form(await service.get_staff(user_id, acting.user), acting.language)

    @post("/{user_id:uuid}/sandi", media_type=MediaType.HTML, status_code=303)
    async def reset_password(self, user_id: FromPath[uuid.UUID], data: Form, acting: NamedDependency[Acting]) -> Any:
        user, language = acting.user, acting.language
        account = await service.get_staff(user_id, user)  # not a Dukcapil account of this office: 404
        password, differ = typed_password(data)
        try:
            body = to_struct(StaffUserUpdate, {"password": password})
            if differ:
                raise Invalid(differ)
            await service.update_staff(user_id, None, body.password, user)
        except Invalid as problem:
            return _password_form(account, language, problem, 422)
        if user_id == user.id:  # their own sessions ended with the reset: sign in again with the new password
            return Redirect("/masuk", status_code=303)
        return Redirect(f"{PATH}?ok=sandi", status_code=303)

    @post("/{user_id:uuid}/aktifkan", media_type=MediaType.HTML, status_code=303)
    async def enable(self, user_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> Any:
        # Enabling takes nothing away, so it needs no confirmation.
        await service.update_staff(user_id, True, None, user)  # not a Dukcapil account of this office: 404
        return Redirect(f"{PATH}?ok=aktif", status_code=303)


def _account_form(
    values: dict[str, str], language: Language, problem: Invalid | None = None, status: int = 200
) -> Template:
    return Template(
        "admin/staf_form.html",
        context={
            "values": {key: value for key, value in values.items() if not key.startswith("password")},
            "problems": problems_by_field(problem, language),
            "roles": [Role.DUKCAPIL_ADMIN, Role.DUKCAPIL_ANALYST],
            "username_rule": users.USERNAME_RULE.render(language),  # as the service words it: the field's help
        },
        status_code=status,
    )


def _password_form(
    account: dict[str, Any], language: Language, problem: Invalid | None = None, status: int = 200
) -> Template:
    context = {"account": account, "problems": problems_by_field(problem, language)}
    return Template("admin/staf_sandi.html", context=context, status_code=status)


async def _account(acting: Acting) -> dict[str, Any]:
    return await service.get_staff(acting.path("user_id"), acting.user)  # not a Dukcapil account of this office: 404


async def _disable(acting: Acting, account: dict[str, Any]) -> None:
    await service.update_staff(account["id"], False, None, acting.user)  # their own account: refused


DISABLE = ConfirmedAction(
    path="/{user_id:uuid}/nonaktifkan", name="dukcapil_staff_disable",
    template="admin/konfirmasi/staf_nonaktifkan.html", load=_account, act=_disable,
    done=lambda _: f"{PATH}?ok=nonaktif",
)  # fmt: skip

dukcapil_staff_pages = Router(
    PATH,
    guards=[requires_dukcapil_admin],  # the API's staff accounts are admin-only
    include_in_schema=False,
    route_handlers=[DukcapilStaffPages, *DISABLE.handlers()],
)
