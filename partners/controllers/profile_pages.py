"""HTML for a merchant's application at /mitra/daftar, and the partner's profile and resubmission at /mitra/profil."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Template

from core.auth import PUBLIC, TokenIssuer, client_ip
from core.errors import DomainError, FieldProblem, Invalid
from core.forms import acted, problems_by_field, refusal, text, to_struct, typed_password
from core.i18n import Language
from core.pages import Form, signed_in
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from partners.controllers.deps import Manager, manager_pages
from partners.schemas import ManagerAccount, OfflineBounds, PartnerProfile, PartnerRead
from partners.service import onboarding
from partners.service.access import Membership

PROFILE_FIELDS = ("name", "category", "contact_name", "contact_phone", "contact_email", "business_id")
OPTIONAL_FIELDS = {"contact_email", "business_id"}


def profile_of(data: dict[str, str], prefix: str = "") -> dict[str, str | None]:
    """The profile fields of a form (named `<prefix>name`, …), empty optional ones as None."""
    values: dict[str, str | None] = {name: text(data, prefix + name) for name in PROFILE_FIELDS}
    for name in OPTIONAL_FIELDS:
        values[name] = values[name] or None
    return values


def profile_form(partner: PartnerRead) -> dict[str, str]:
    return {
        **{name: str(getattr(partner, name) or "") for name in PROFILE_FIELDS},
        "max_redemptions": str(partner.offline_max_redemptions),
        "max_hours": str(partner.offline_max_hours),
    }


class RegistrationPages(Controller):
    """Public: a merchant applies before they have any account."""

    path = "/mitra/daftar"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="partner_registration", media_type=MediaType.HTML)
    async def form(self) -> Template:
        return await _registration({"partner.category": "bookstore"})

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
        tokens: NamedDependency[TokenIssuer],
        language: NamedDependency[Language],
    ) -> Any:
        try:
            profile = to_struct(PartnerProfile, profile_of(data, "partner."))
            account = to_struct(
                ManagerAccount,
                {"username": text(data, "manager.username"), "display_name": text(data, "manager.display_name"),
                 "password": data.get("manager.password", "")},
            )  # fmt: skip
            # The two passwords are the form's own check (the API takes one), shown with every other problem.
            _, differ = typed_password(data, "manager.password", "manager.password_again")
            city = text(data, "city_code")
            problems = [
                *await onboarding.registration_problems(profile, account),
                *await onboarding.city_problems(city),
                *differ,
            ]
            if problems:
                raise Invalid(problems)
            _, user = await onboarding.register_partner(profile, account, city, client_ip(request), stores, settings)
        except Invalid as problem:
            return await _registration(data, _prefixed(problem, data), language)
        except DomainError as error:
            refused, status = refusal(request, error)
            return await _registration(data, refused, language, status)
        # The new manager is signed in at once: they go on to outlets and offers while Dukcapil reviews.
        await record_event("auth.login", "staff_user", user.id, actor=user, after={"via": "registration"})
        return await signed_in(user, "/mitra?ok=terdaftar", settings, tokens)


def _prefixed(problem: Invalid, data: dict[str, str]) -> Invalid:
    """A decoder problem on one part of the form names its field without the part (`contact_phone`): add it."""
    fields = {key for key in data if "." in key}
    problems = []
    for item in problem.problems:
        field = item.field
        if field and field not in fields:
            field = next((f for f in fields if f.endswith("." + field)), field)
        problems.append(FieldProblem(field, item.code, item.message, item.params))
    return Invalid(problems)


async def _registration(
    values: dict[str, Any], problem: Invalid | None = None, language: str = "id", status: int = 422
) -> Template:
    shown = {key: value for key, value in values.items() if "password" not in key}  # never sent back
    return Template(
        "mitra/daftar.html",
        context={
            "values": shown,
            "problems": problems_by_field(problem, language),
            "cities": await onboarding.office_choices(),
        },
        status_code=status if problem else 200,
    )


class ProfilePages(Controller):
    path = "/profil"

    @get("/", name="partner_profile", media_type=MediaType.HTML)
    async def form(self, membership: NamedDependency[Membership]) -> Template:
        partner = await onboarding.read_partner(membership.partner_id)
        return await _profile(partner, profile_form(partner))

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def update(self, request: Request[Any, Any, Any], data: Form, manager: NamedDependency[Manager]) -> Any:
        async def update() -> None:
            await onboarding.update_profile(
                manager.partner_id, to_struct(PartnerProfile, profile_of(data)), manager.user
            )

        return await acted(request, update(), "/mitra/profil?ok=profil-disimpan", _again(manager, data))

    @post("/ajukan-ulang", media_type=MediaType.HTML, status_code=303)
    async def resubmit(self, request: Request[Any, Any, Any], manager: NamedDependency[Manager]) -> Any:
        resubmitted = onboarding.resubmit(manager.partner_id, manager.user)
        return await acted(request, resubmitted, "/mitra?ok=diajukan-ulang", _again(manager))

    @post("/tanpa-koneksi", media_type=MediaType.HTML, status_code=303)
    async def offline(self, request: Request[Any, Any, Any], data: Form, manager: NamedDependency[Manager]) -> Any:
        """How much each till may confirm without a connection."""

        async def save() -> None:
            bounds = to_struct(OfflineBounds, {key: data.get(key) for key in ("max_redemptions", "max_hours")})
            await onboarding.set_offline_bounds(manager.partner_id, bounds, manager.user)

        return await acted(request, save(), "/mitra/profil?ok=tanpa-koneksi-disimpan#tanpa-koneksi", _again(manager))

    @post("/kabupaten-kota", media_type=MediaType.HTML, status_code=303)
    async def apply(self, request: Request[Any, Any, Any], data: Form, manager: NamedDependency[Manager]) -> Any:
        """Apply to another kabupaten/kota's Dukcapil, to open outlets there once it approves."""
        applied = onboarding.apply_to_office(manager.partner_id, text(data, "city_code"), manager.user)
        done = "/mitra/profil?ok=diajukan-ke-kabupaten-kota"
        return await acted(request, applied, done, _again(manager), "city_code")


def _again(manager: Manager, typed: dict[str, Any] | None = None) -> Callable[[Invalid, int], Awaitable[Template]]:
    """The profile page again with a refusal: with what was typed, or the profile as it is saved."""

    async def again(problem: Invalid, status: int) -> Template:
        partner = await onboarding.read_partner(manager.partner_id)
        values = typed if typed is not None else profile_form(partner)
        return await _profile(partner, values, problem, manager.language, status)

    return again


async def _profile(
    partner: PartnerRead,
    values: dict[str, Any],
    problem: Invalid | None = None,
    language: str = "id",
    status: int = 422,
) -> Template:
    return Template(
        "mitra/profil.html",
        context={
            "partner": partner,
            "values": values,
            "problems": problems_by_field(problem, language),
            "other_cities": [
                (code, name)
                for code, name in await onboarding.office_choices()
                if code not in {office.city_code for office in partner.offices}
            ],
        },
        status_code=status if problem else 200,
    )


profile_pages = manager_pages(ProfilePages)
