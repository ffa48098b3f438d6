"""HTML for the partner's staff at /mitra/staf: the list, a new cashier (or manager), a password reset, moving a
cashier to another outlet, disabling (after a confirmation) and enabling again. The same service and messages as
/api/v1/partners/{id}/staff."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth import PUBLIC, CurrentUser
from core.errors import DomainError, FieldProblem, Invalid
from core.forms import (
    Confirmation,
    confirmation_page,
    notice,
    optional,
    problem_of,
    problems_by_field,
    refusal_status,
    text,
    to_struct,
)
from core.i18n import Language, Text
from core.pages import page_language
from core.service import users
from core.settings import Settings
from partners.controllers.pages import Form, manager
from partners.schemas import OutletRead, StaffCreate, StaffRead, StaffRole, StaffUpdate
from partners.service import outlets, staff

PASSWORDS_DIFFER = Text("Kedua kata sandi tidak sama. Ketik ulang.", "The two passwords differ. Type them again.")
ROLES = {
    StaffRole.CASHIER: Text("Kasir", "Cashier"),
    StaffRole.PARTNER_MANAGER: Text("Manajer", "Manager"),
}
SAVED = {
    "staf-dibuat": Text(
        "Akun dibuat. Berikan nama pengguna dan kata sandinya kepada orangnya; ia masuk di /masuk.",
        "Account created. Give its username and password to its holder; they sign in at /masuk.",
    ),
    "sandi-direset": Text(
        "Kata sandi diganti. Sesi lama akun ini berakhir; ia masuk lagi dengan kata sandi baru.",
        "Password changed. The account's old sessions ended; it signs in again with the new password.",
    ),
    "outlet-dipindah": Text(
        "Kasir dipindahkan. Ia perlu masuk lagi untuk bekerja di outlet barunya.",
        "Cashier moved. They sign in again to work at their new outlet.",
    ),
    "staf-dinonaktifkan": Text(
        "Akun dinonaktifkan: tidak dapat masuk lagi.", "Account disabled: it can no longer sign in."
    ),
    "staf-diaktifkan": Text("Akun diaktifkan kembali.", "Account enabled again."),
}


def _passwords_match(data: dict[str, str]) -> FieldProblem | None:
    if data.get("password", "") == data.get("password_confirm", ""):
        return None
    return FieldProblem("password_confirm", "passwords_differ", PASSWORDS_DIFFER)


def _staff_create(data: dict[str, str]) -> StaffCreate:
    """The form as the API's body. Passwords that differ are refused together with the account's other problems
    (the service's own checks), so one submit shows everything to fix."""
    username, password, display_name = text(data, "username"), data.get("password", ""), text(data, "display_name")
    differ = _passwords_match(data)
    if differ is not None:
        raise Invalid([*users.account_problems(username, password, display_name), differ])
    return to_struct(
        StaffCreate,
        {"username": username, "password": password, "display_name": display_name,
         "role": text(data, "role") or StaffRole.CASHIER.value, "outlet_id": optional(data, "outlet_id")},
    )  # fmt: skip


class StaffPages(Controller):
    path = "/mitra/staf"
    opt = {PUBLIC: True}  # pages: `manager()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_staff", media_type=MediaType.HTML)
    async def list_staff(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        user, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        return Template(
            "mitra/staf.html",
            context={
                "staff": await staff.list_staff(partner_id),
                "outlet_names": {o.id: o.name for o in await outlets.list_outlets(partner_id)},
                "roles": _roles(language),
                "me": user.id,
                "notice": notice(request, SAVED, language),
            },
        )

    @get("/baru", name="partner_staff_new", media_type=MediaType.HTML)
    async def new(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        return await _new_form(request, settings, partner_id, {"role": StaffRole.CASHIER.value})

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user, partner_id = await manager(request, settings)
        try:
            await staff.create_staff(partner_id, _staff_create(data), user)
        except Invalid as problem:
            return await _new_form(request, settings, partner_id, data, problem)
        return Redirect("/mitra/staf?ok=staf-dibuat", status_code=303)

    @get("/{user_id:uuid}", name="partner_staff_member", media_type=MediaType.HTML)
    async def member(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        user, partner_id = await manager(request, settings)
        member = await staff.get_staff(partner_id, user_id)  # another partner's staff: 404
        return await _member_page(request, settings, user, partner_id, member)

    @post("/{user_id:uuid}/kata-sandi", media_type=MediaType.HTML, status_code=303)
    async def reset_password(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:  # fmt: skip
        user, partner_id = await manager(request, settings)
        member = await staff.get_staff(partner_id, user_id)
        try:
            differ = _passwords_match(data)
            if differ is not None:
                raise Invalid([differ])
            change = to_struct(StaffUpdate, {"password": data.get("password", "")})
            await staff.update_staff(partner_id, user_id, change, user)
        except DomainError as refused:
            return await _member_page(request, settings, user, partner_id, member, password_problem=refused)
        return Redirect("/mitra/staf?ok=sandi-direset", status_code=303)

    @post("/{user_id:uuid}/outlet", media_type=MediaType.HTML, status_code=303)
    async def move(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:  # fmt: skip
        user, partner_id = await manager(request, settings)
        member = await staff.get_staff(partner_id, user_id)
        try:
            change = to_struct(StaffUpdate, {"outlet_id": optional(data, "outlet_id")})
            if change.outlet_id is None:  # the service reads "no outlet" as "keep it": say what is missing
                raise Invalid([FieldProblem("outlet_id", "outlet_required", staff.OUTLET_REQUIRED)])
            await staff.update_staff(partner_id, user_id, change, user)
        except DomainError as refused:
            return await _member_page(
                request, settings, user, partner_id, member, outlet_problem=refused, outlet_value=data
            )
        return Redirect("/mitra/staf?ok=outlet-dipindah", status_code=303)

    @get("/{user_id:uuid}/nonaktifkan", name="partner_staff_disable", media_type=MediaType.HTML)
    async def confirm_disable(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, partner_id = await manager(request, settings)
        member = await staff.get_staff(partner_id, user_id)
        language = page_language(request, settings.language)
        return confirmation_page(_disabling(member, language), language)

    @post("/{user_id:uuid}/nonaktifkan", media_type=MediaType.HTML, status_code=303)
    async def disable(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        user, partner_id = await manager(request, settings)
        member = await staff.get_staff(partner_id, user_id)
        language = page_language(request, settings.language)
        try:
            await staff.update_staff(partner_id, user_id, StaffUpdate(active=False), user)
        except DomainError as refused:  # disabling oneself
            return confirmation_page(
                _disabling(member, language), language, problem=problem_of(refused), status=refusal_status(refused)
            )
        return Redirect("/mitra/staf?ok=staf-dinonaktifkan", status_code=303)

    @post("/{user_id:uuid}/aktifkan", media_type=MediaType.HTML, status_code=303)
    async def enable(
        self, request: Request[Any, Any, Any], user_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        # Enabling takes nothing away, so it needs no confirmation.
        user, partner_id = await manager(request, settings)
        await staff.update_staff(partner_id, user_id, StaffUpdate(active=True), user)
        return Redirect("/mitra/staf?ok=staf-diaktifkan", status_code=303)


def _roles(language: Language) -> dict[str, str]:
    return {role.value: name.render(language) for role, name in ROLES.items()}


def _disabling(member: StaffRead, language: Language) -> Confirmation:
    def t(indonesian: str, english: str) -> str:
        return Text(indonesian, english).render(language)

    return Confirmation(
        layout="mitra/layout.html",
        title=t("Nonaktifkan akun staf", "Disable a staff account"),
        subject=f"{member.display_name} ({member.username})",
        consequences=[
            t(
                "Akun ini tidak dapat masuk lagi, di halaman maupun di aplikasi kasir.",
                "This account can no longer sign in, on the pages or in the cashier app.",
            ),
            t("Sesi yang sedang terbuka berakhir sekarang.", "Its open sessions end now."),
            t("Riwayat penukaran yang dilayaninya tetap tersimpan.", "The redemptions it served stay in the history."),
            t(
                "Anda dapat mengaktifkannya kembali kapan saja dari daftar staf.",
                "You can enable it again at any time from the staff list.",
            ),
        ],
        action=f"/mitra/staf/{member.id}/nonaktifkan",
        button=t("Nonaktifkan akun", "Disable the account"),
        back="/mitra/staf",
    )


async def _active_outlets(partner_id: uuid.UUID) -> list[OutletRead]:
    return await outlets.list_outlets(partner_id, active_only=True)


async def _new_form(
    request: Request[Any, Any, Any],
    settings: Settings,
    partner_id: uuid.UUID,
    values: dict[str, str],
    problem: Invalid | None = None,
) -> Template:
    language = page_language(request, settings.language)
    shown = {key: value for key, value in values.items() if not key.startswith("password")}  # never typed back
    return Template(
        "mitra/staf_form.html",
        context={
            "values": shown,
            "problems": problems_by_field(problem, language),
            "outlets": await _active_outlets(partner_id),
            "roles": list(_roles(language).items()),
        },
        status_code=422 if problem else 200,
    )


async def _member_page(
    request: Request[Any, Any, Any],
    settings: Settings,
    user: CurrentUser,
    partner_id: uuid.UUID,
    member: StaffRead,
    *,
    password_problem: DomainError | None = None,
    outlet_problem: DomainError | None = None,
    outlet_value: dict[str, str] | None = None,
) -> Template:
    language = page_language(request, settings.language)
    refused = password_problem or outlet_problem
    all_outlets = await outlets.list_outlets(partner_id)
    return Template(
        "mitra/staf_anggota.html",
        context={
            "member": member,
            "me": user.id,
            "roles": _roles(language),
            "outlet_names": {o.id: o.name for o in all_outlets},
            "outlets": [o for o in all_outlets if o.active],
            "outlet_value": (outlet_value or {}).get("outlet_id", str(member.outlet_id or "")),
            "password_problems": problems_by_field(
                problem_of(password_problem) if password_problem else None, language
            ),
            "outlet_problems": problems_by_field(problem_of(outlet_problem) if outlet_problem else None, language),
        },
        status_code=refusal_status(refused) if refused else 200,
    )
