"""HTML for a merchant's application at /mitra/daftar, and the partner's profile and resubmission at /mitra/profil."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from core.auth import PUBLIC, TokenIssuer, client_ip
from core.errors import DomainError, FieldProblem, Invalid
from core.forms import notice, problem_of, problems_by_field, text, to_struct
from core.i18n import Text
from core.pages import page_language, signed_in
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from partners.controllers.pages import Form, manager, refusal_status
from partners.schemas import ManagerAccount, PartnerProfile, PartnerRead
from partners.service import onboarding

PROFILE_FIELDS = ("name", "category", "contact_name", "contact_phone", "contact_email", "business_id")
OPTIONAL_FIELDS = {"contact_email", "business_id"}
PASSWORDS_DIFFER = Text("Kedua kata sandi tidak sama. Ketik ulang.", "The two passwords differ. Type them again.")
SAVED = {"profil-disimpan": Text("Profil mitra disimpan.", "Partner profile saved.")}
APPLICATION_NOTICES = {  # shown on the dashboard, where these two lead
    "terdaftar": Text(
        "Pendaftaran terkirim. Dukcapil akan memeriksanya; status dan catatannya tampil di halaman ini.",
        "Application sent. Dukcapil will review it; its status and notes appear on this page.",
    ),
    "diajukan-ulang": Text(
        "Pendaftaran diajukan lagi. Dukcapil akan meninjaunya.", "Application sent again. Dukcapil will review it."
    ),
}


def profile_of(data: dict[str, str], prefix: str = "") -> dict[str, str | None]:
    """The profile fields of a form (named `<prefix>name`, …), empty optional ones as None."""
    values: dict[str, str | None] = {name: text(data, prefix + name) for name in PROFILE_FIELDS}
    for name in OPTIONAL_FIELDS:
        values[name] = values[name] or None
    return values


def profile_form(partner: PartnerRead) -> dict[str, str]:
    return {name: str(getattr(partner, name) or "") for name in PROFILE_FIELDS}


class RegistrationPages(Controller):
    """Public: a merchant applies before they have any account."""

    path = "/mitra/daftar"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="partner_registration", media_type=MediaType.HTML)
    async def form(self) -> Template:
        return _registration({"partner.category": "bookstore"})

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
        tokens: NamedDependency[TokenIssuer],
    ) -> Any:
        language = page_language(request, settings.language)
        try:
            profile = to_struct(PartnerProfile, profile_of(data, "partner."))
            account = to_struct(
                ManagerAccount,
                {"username": text(data, "manager.username"), "display_name": text(data, "manager.display_name"),
                 "password": data.get("manager.password", "")},
            )  # fmt: skip
            # The two passwords are the form's own check (the API takes one), shown with every other problem.
            problems = await onboarding.registration_problems(profile, account)
            if data.get("manager.password", "") != data.get("manager.password_again", ""):
                problems.append(FieldProblem("manager.password_again", "passwords_differ", PASSWORDS_DIFFER))
            if problems:
                raise Invalid(problems)
            _, user = await onboarding.register_partner(profile, account, client_ip(request), stores)
        except Invalid as problem:
            return _registration(data, _prefixed(problem, data), language)
        except DomainError as error:
            return _registration(data, problem_of(error), language, refusal_status(error))
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


def _registration(
    values: dict[str, Any], problem: Invalid | None = None, language: str = "id", status: int = 422
) -> Template:
    shown = {key: value for key, value in values.items() if "password" not in key}  # never sent back
    return Template(
        "mitra/daftar.html",
        context={"values": shown, "problems": problems_by_field(problem, language)},
        status_code=status if problem else 200,
    )


class ProfilePages(Controller):
    path = "/mitra/profil"
    opt = {PUBLIC: True}  # pages: `manager()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_profile", media_type=MediaType.HTML)
    async def form(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        partner = await onboarding.read_partner(partner_id)
        language = page_language(request, settings.language)
        return _profile(partner, profile_form(partner), notice=notice(request, SAVED, language))

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def update(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        try:
            await onboarding.update_profile(partner_id, to_struct(PartnerProfile, profile_of(data)), user)
        except DomainError as error:
            partner = await onboarding.read_partner(partner_id)
            return _profile(partner, data, problem_of(error), language, refusal_status(error))
        return Redirect("/mitra/profil?ok=profil-disimpan", status_code=303)

    @post("/ajukan-ulang", media_type=MediaType.HTML, status_code=303)
    async def resubmit(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Any:
        user, partner_id = await manager(request, settings)
        try:
            await onboarding.resubmit(partner_id, user)
        except DomainError as error:
            partner = await onboarding.read_partner(partner_id)
            language = page_language(request, settings.language)
            return _profile(partner, profile_form(partner), problem_of(error), language, refusal_status(error))
        return Redirect("/mitra?ok=diajukan-ulang", status_code=303)


def _profile(
    partner: PartnerRead,
    values: dict[str, Any],
    problem: Invalid | None = None,
    language: str = "id",
    status: int = 422,
    notice: str | None = None,
) -> Template:
    return Template(
        "mitra/profil.html",
        context={
            "partner": partner,
            "values": values,
            "problems": problems_by_field(problem, language),
            "notice": notice,
        },
        status_code=status if problem else 200,
    )
