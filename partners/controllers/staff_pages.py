"""HTML for the partner's staff at /mitra/staf: the list, a new cashier (or manager), a password reset, moving a
cashier to another outlet, disabling (after a confirmation) and enabling again. The same service and messages as
/api/v1/partners/{id}/staff."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.confirm import Acting, ConfirmedAction
from core.errors import DomainError, FieldProblem, Invalid
from core.forms import acted, new_account, optional, problems_by_field, refusal, text, to_struct, typed_password
from core.i18n import Language
from core.pages import Form
from partners.controllers.deps import Manager, manager_pages
from partners.schemas import StaffCreate, StaffRead, StaffRole, StaffUpdate
from partners.service import outlets, staff
from partners.service.access import Membership, own_membership


class StaffPages(Controller):
    path = "/staf"

    @get("/", name="partner_staff", media_type=MediaType.HTML)
    async def list_staff(self, membership: NamedDependency[Membership]) -> Template:
        return Template(
            "mitra/staf.html",
            context={
                "staff": await staff.list_staff(membership.partner_id),
                "outlet_names": {o.id: o.name for o in await outlets.list_outlets(membership.partner_id)},
            },
        )

    @get("/baru", name="partner_staff_new", media_type=MediaType.HTML)
    async def new(self, membership: NamedDependency[Membership]) -> Template:
        return await _new_form(membership.partner_id, {"role": StaffRole.CASHIER.value})

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, request: Request[Any, Any, Any], data: Form, manager: NamedDependency[Manager]) -> Any:
        async def create() -> None:  # the fields' rules (422), or the username is taken (409)
            role = text(data, "role") or StaffRole.CASHIER.value
            body = new_account(StaffCreate, data, role=role, outlet_id=optional(data, "outlet_id"))
            await staff.create_staff(manager.partner_id, body, manager.user)

        again = partial(_new_form, manager.partner_id, data, manager.language)
        return await acted(request, create(), "/mitra/staf?ok=staf-dibuat", again, "username")

    @get("/{user_id:uuid}", name="partner_staff_member", media_type=MediaType.HTML)
    async def member(self, user_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]) -> Template:
        member = await staff.get_staff(membership.partner_id, user_id)  # another partner's staff: 404
        return await _member_page(membership.partner_id, member)

    @post("/{user_id:uuid}/kata-sandi", media_type=MediaType.HTML, status_code=303)
    async def reset_password(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[uuid.UUID],
        data: Form,
        manager: NamedDependency[Manager],
    ) -> Any:
        member = await staff.get_staff(manager.partner_id, user_id)
        try:
            password, differ = typed_password(data)
            if differ:
                raise Invalid(differ)
            change = to_struct(StaffUpdate, {"password": password})
            await staff.update_staff(manager.partner_id, user_id, change, manager.user)
        except DomainError as error:
            problem, status = refusal(request, error)
            problems = {"password": problems_by_field(problem, manager.language)}
            return await _member_page(manager.partner_id, member, problems, status=status)
        return Redirect("/mitra/staf?ok=sandi-direset", status_code=303)

    @post("/{user_id:uuid}/outlet", media_type=MediaType.HTML, status_code=303)
    async def move(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[uuid.UUID],
        data: Form,
        manager: NamedDependency[Manager],
    ) -> Any:
        member = await staff.get_staff(manager.partner_id, user_id)
        try:
            change = to_struct(StaffUpdate, {"outlet_id": optional(data, "outlet_id")})
            if change.outlet_id is None:  # the service reads "no outlet" as "keep it": say what is missing
                raise Invalid([FieldProblem("outlet_id", "outlet_required", staff.OUTLET_REQUIRED)])
            await staff.update_staff(manager.partner_id, user_id, change, manager.user)
        except DomainError as error:
            problem, status = refusal(request, error)
            problems = {"outlet": problems_by_field(problem, manager.language)}
            return await _member_page(manager.partner_id, member, problems, data.get("outlet_id"), status)
        return Redirect("/mitra/staf?ok=outlet-dipindah", status_code=303)

    @post("/{user_id:uuid}/aktifkan", media_type=MediaType.HTML, status_code=303)
    async def enable(self, user_id: FromPath[uuid.UUID], manager: NamedDependency[Manager]) -> Any:
        # Enabling takes nothing away, so it needs no confirmation.
        await staff.update_staff(manager.partner_id, user_id, StaffUpdate(active=True), manager.user)
        return Redirect("/mitra/staf?ok=staf-diaktifkan", status_code=303)


async def _new_form(
    partner_id: uuid.UUID,
    values: dict[str, str],
    language: Language = "id",
    problem: Invalid | None = None,
    status: int = 200,
) -> Template:
    return Template(
        "mitra/staf_form.html",
        context={
            "values": {
                key: value for key, value in values.items() if not key.startswith("password")
            },  # never typed back
            "problems": problems_by_field(problem, language),
            "outlets": await outlets.list_outlets(partner_id, active_only=True),
            "roles": [StaffRole.CASHIER, StaffRole.PARTNER_MANAGER],
        },
        status_code=status,
    )


async def _member_page(
    partner_id: uuid.UUID,
    member: StaffRead,
    problems: dict[str, dict[str, str]] | None = None,
    outlet_value: str | None = None,
    status: int = 200,
) -> Template:
    all_outlets = await outlets.list_outlets(partner_id)
    return Template(
        "mitra/staf_anggota.html",
        context={
            "member": member,
            "outlet_names": {o.id: o.name for o in all_outlets},
            "outlets": [o for o in all_outlets if o.active],
            "outlet_value": outlet_value if outlet_value is not None else str(member.outlet_id or ""),
            "password_problems": (problems or {}).get("password", {}),
            "outlet_problems": (problems or {}).get("outlet", {}),
        },
        status_code=status,
    )


async def _member(acting: Acting) -> StaffRead:
    membership = await own_membership(acting.user)
    return await staff.get_staff(membership.partner_id, acting.path("user_id"))  # another partner's staff: 404


async def _disable(acting: Acting, member: StaffRead) -> None:
    membership = await own_membership(acting.user)
    await staff.update_staff(membership.partner_id, member.id, StaffUpdate(active=False), acting.user)  # not oneself


DISABLE = ConfirmedAction(
    path="/staf/{user_id:uuid}/nonaktifkan", name="partner_staff_disable",
    template="mitra/konfirmasi/staf_nonaktifkan.html", load=_member, act=_disable,
    done=lambda _: "/mitra/staf?ok=staf-dinonaktifkan",
)  # fmt: skip

staff_pages = manager_pages(StaffPages, *DISABLE.handlers())
