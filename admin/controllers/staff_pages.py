"""HTML for Dukcapil's own staff accounts at /admin/staf: the list, a new account, a password reset, disabling
(behind a confirmation) and enabling. The same service and messages as /api/v1/admin/staff (admin only)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.controllers.console import Form, admin, labels
from admin.service import staff as service
from core.auth import PUBLIC, CurrentUser
from core.errors import DomainError, FieldProblem, Invalid
from core.forms import Confirmation, confirmation_page, notice, problem_of, problems_by_field, text, to_struct
from core.i18n import Language, Text
from core.schemas import StaffUserCreate, StaffUserUpdate
from core.service import users
from core.settings import Settings
from core.tables import Role
from partners.controllers.pages import refusal_status

PATH = "/admin/staf"
ROLES = (Role.DUKCAPIL_ADMIN, Role.DUKCAPIL_ANALYST)
PASSWORDS_DIFFER = Text(
    "Kedua kata sandi tidak sama. Ketik kata sandi yang sama dua kali.",
    "The two passwords differ. Type the same password twice.",
)
MESSAGES = {
    "dibuat": Text(
        "Akun dibuat. Berikan nama pengguna dan kata sandinya kepada pemiliknya secara langsung.",
        "Account created. Give its username and password to its owner in person.",
    ),
    "sandi": Text(
        "Kata sandi diganti. Pemilik akun harus masuk lagi dengan kata sandi baru.",
        "Password changed. The account's owner must sign in again with the new password.",
    ),
    "nonaktif": Text(
        "Akun dinonaktifkan: pemiliknya tidak dapat masuk lagi.", "Account disabled: its owner can no longer sign in."
    ),
    "aktif": Text("Akun diaktifkan kembali.", "Account enabled again."),
}


def _passwords(data: dict[str, str]) -> tuple[str, list[FieldProblem]]:
    """The password typed (not trimmed: spaces count) and a problem beside the second field if they differ."""
    password = data.get("password", "")
    differ = password != data.get("password_confirm", "")
    return password, [FieldProblem("password_confirm", "passwords_differ", PASSWORDS_DIFFER)] if differ else []


def _new_account(data: dict[str, str]) -> StaffUserCreate:
    """The form as the API's body. Every rule's message is the service's; the second password is the form's own."""
    password, differ = _passwords(data)
    fields = {"username": text(data, "username"), "password": password,
              "display_name": text(data, "display_name"), "role": text(data, "role")}  # fmt: skip
    rules = users.account_problems(fields["username"], password, fields["display_name"])
    try:
        body = to_struct(StaffUserCreate, fields)
    except Invalid as invalid:
        raise Invalid([*rules, *invalid.problems, *differ]) from None
    if differ:
        raise Invalid([*rules, *differ])
    return body


class DukcapilStaffPages(Controller):
    path = PATH
    opt = {PUBLIC: True}  # pages: `admin()` checks the session cookie and the role (the API is admin-only)
    include_in_schema = False

    @get("/", name="dukcapil_staff_page", media_type=MediaType.HTML)
    async def list_staff(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        user, language = await admin(request, settings)
        return Template(
            "admin/staf.html",
            context={
                "staff": await service.list_staff(),
                "me": user.id,
                "labels": labels(language),
                "notice": notice(request, MESSAGES, language),
            },
        )

    @get("/baru", name="dukcapil_staff_new", media_type=MediaType.HTML)
    async def new(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, language = await admin(request, settings)
        return _account_form(language, {"role": Role.DUKCAPIL_ANALYST.value})

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user, language = await admin(request, settings)
        try:
            body = _new_account(data)
            await service.create_staff(body.username, body.password, body.role, body.display_name, user)
        except Invalid as problem:
            return _account_form(language, data, problem)
        except DomainError as error:  # the username is taken
            return _account_form(language, data, problem_of(error, "username"), refusal_status(error))
        return Redirect(f"{PATH}?ok=dibuat", status_code=303)

    @get("/{user_id:uuid}/sandi", name="dukcapil_staff_password", media_type=MediaType.HTML)
    async def password_form(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        user, language = await admin(request, settings)
        return _password_form(language, await service.get_staff(user_id), user)

    @post("/{user_id:uuid}/sandi", media_type=MediaType.HTML, status_code=303)
    async def reset_password(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, language = await admin(request, settings)
        account = await service.get_staff(user_id)  # not a Dukcapil account: 404
        password, differ = _passwords(data)
        try:
            body = to_struct(StaffUserUpdate, {"password": password})
            if differ:
                raise Invalid(differ)
            await service.update_staff(user_id, None, body.password, user)
        except Invalid as problem:
            return _password_form(language, account, user, problem)
        if user_id == user.id:  # their own sessions ended with the reset: sign in again with the new password
            return Redirect("/masuk", status_code=303)
        return Redirect(f"{PATH}?ok=sandi", status_code=303)

    @get("/{user_id:uuid}/nonaktifkan", name="dukcapil_staff_disable", media_type=MediaType.HTML)
    async def confirm_disable(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, language = await admin(request, settings)
        return confirmation_page(_disabling(await service.get_staff(user_id), language), language)

    @post("/{user_id:uuid}/nonaktifkan", media_type=MediaType.HTML, status_code=303)
    async def disable(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        user, language = await admin(request, settings)
        confirmation = _disabling(await service.get_staff(user_id), language)
        try:
            await service.update_staff(user_id, False, None, user)
        except DomainError as error:  # their own account
            return confirmation_page(confirmation, language, problem=problem_of(error), status=refusal_status(error))
        return Redirect(f"{PATH}?ok=nonaktif", status_code=303)

    @post("/{user_id:uuid}/aktifkan", media_type=MediaType.HTML, status_code=303)
    async def enable(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        user, _ = await admin(request, settings)
        await service.update_staff(user_id, True, None, user)  # not a Dukcapil account: 404
        return Redirect(f"{PATH}?ok=aktif", status_code=303)


def _account_form(
    language: Language, values: dict[str, str], problem: Invalid | None = None, status: int | None = None
) -> Template:
    role_names = labels(language)["role"]
    return Template(
        "admin/staf_form.html",
        context={
            "values": {key: value for key, value in values.items() if not key.startswith("password")},
            "problems": problems_by_field(problem, language),
            "roles": [(role.value, role_names[role.value]) for role in ROLES],
            "username_rule": users.USERNAME_RULE.render(language),
            "password_rule": users.PASSWORD_RULE.render(language, minimum=users.MIN_PASSWORD_LENGTH),
        },
        status_code=status or (422 if problem else 200),
    )


def _password_form(
    language: Language, account: dict[str, Any], user: CurrentUser, problem: Invalid | None = None
) -> Template:
    return Template(
        "admin/staf_sandi.html",
        context={
            "account": account,
            "own": account["id"] == user.id,
            "problems": problems_by_field(problem, language),
            "password_rule": users.PASSWORD_RULE.render(language, minimum=users.MIN_PASSWORD_LENGTH),
        },
        status_code=422 if problem else 200,
    )


def _disabling(account: dict[str, Any], language: Language) -> Confirmation:
    consequences = [
        Text(
            "{username} tidak dapat masuk lagi, dan sesi yang sedang terbuka langsung berakhir.",
            "{username} can no longer sign in, and any open session ends at once.",
        ),
        Text(
            "Akun dan riwayatnya di log audit tetap tersimpan. Anda dapat mengaktifkannya kembali kapan saja.",
            "The account and its history in the audit log are kept. You can enable it again at any time.",
        ),
    ]
    return Confirmation(
        layout="admin/layout.html",
        title=Text("Nonaktifkan akun {username}?", "Disable the account {username}?").render(
            language, username=account["username"]
        ),
        subject=f"{account['display_name']} · {labels(language)['role'][str(account['role'])]}",
        consequences=[line.render(language, username=account["username"]) for line in consequences],
        action=f"{PATH}/{account['id']}/nonaktifkan",
        button=Text("Ya, nonaktifkan akun ini", "Yes, disable this account").render(language),
        back=PATH,
    )
