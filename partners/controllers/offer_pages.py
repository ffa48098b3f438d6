"""HTML for a partner's offers at /mitra/penawaran: the list with each status and what can be done next, the form with
every rule the API takes beside a live plain-words summary, and submit, pause, resume and end. The same services
and messages as /api/v1/partners/{id}/offers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth import CurrentUser
from core.confirm import Acting, ConfirmedAction
from core.errors import DomainError, Invalid, NotFound
from core.forms import acted, problems_by_field, refusal, text, to_struct
from core.i18n import Language, request_language
from core.pages import Form
from core.settings import Settings
from partners.controllers.deps import Manager, manager_pages
from partners.controllers.offer_form import (
    BASE,
    BENEFIT_KEYS,
    PREVIEW,
    blackout_row_count,
    new_offer_form,
    offer_form,
    offer_rules_of,
    preview,
    region_choices,
    shown_problems,
)
from partners.errors import InvalidTransition
from partners.schemas import BenefitType, Decision, LimitPeriod, OfferRead
from partners.service import offers, onboarding, outlets
from partners.service import rules as offer_rules
from partners.service.access import Membership, own_membership
from partners.tables import OfferStatus, PartnerStatus


class OfferPages(Controller):
    path = "/penawaran"

    @get("/", name="partner_offers", media_type=MediaType.HTML)
    async def list_offers(self, manager: NamedDependency[Manager]) -> Template:
        return await _list(manager.partner_id, manager.language)

    @get("/baru", name="partner_offer_new", media_type=MediaType.HTML)
    async def new(
        self,
        request: Request[Any, Any, Any],
        membership: NamedDependency[Membership],
        settings: NamedDependency[Settings],
    ) -> Template:
        partner = await onboarding.read_partner(membership.partner_id)
        values = new_offer_form(str(partner.category), settings.today())
        return await _form(request, membership.partner_id, None, values, first_look=True)

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, request: Request[Any, Any, Any], data: Form, manager: NamedDependency[Manager]) -> Any:
        if text(data, "aksi") == PREVIEW:
            return await _form(request, manager.partner_id, None, data, checked_now=True)
        try:
            created = await offers.create_offer(manager.partner_id, offer_rules_of(data), manager.user)
        except DomainError as error:
            return await _form(request, manager.partner_id, None, data, error)
        return Redirect(f"{BASE}?ok=penawaran-dibuat#penawaran-{created.id}", status_code=303)

    @post("/ringkasan", name="partner_offer_summary", media_type=MediaType.HTML, status_code=200)
    async def summary(
        self, data: Form, settings: NamedDependency[Settings], manager: NamedDependency[Manager]
    ) -> Template:
        """The summary fragment htmx swaps in beside the form as the manager types."""
        shown = await preview(data, manager.partner_id, manager.language, settings.today())
        return Template("mitra/penawaran_ringkasan.html", context={"preview": shown})

    @get("/{offer_id:uuid}", name="partner_offer", media_type=MediaType.HTML)
    async def edit(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], membership: NamedDependency[Membership]
    ) -> Template:
        offer = await offers.read_offer(membership.partner_id, offer_id)  # another partner's offer: 404
        # A live offer's edit under review is what the manager goes on editing.
        return await _form(request, membership.partner_id, offer, offer_form(offer.pending_rules or offer.rules))

    @post("/{offer_id:uuid}", media_type=MediaType.HTML, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        data: Form,
        manager: NamedDependency[Manager],
    ) -> Any:
        offer = await offers.read_offer(manager.partner_id, offer_id)
        if text(data, "aksi") == PREVIEW:
            return await _form(request, manager.partner_id, offer, data, checked_now=True)
        try:
            saved = await offers.update_offer(manager.partner_id, offer_id, offer_rules_of(data), manager.user)
        except NotFound:
            raise
        except DomainError as error:  # a rule (422) or an offer that can no longer change (409)
            return await _form(request, manager.partner_id, offer, data, error)
        notice = "perubahan-diajukan" if saved.pending_revision else "penawaran-disimpan"
        return Redirect(f"{BASE}?ok={notice}#penawaran-{offer_id}", status_code=303)

    @post("/{offer_id:uuid}/ajukan", media_type=MediaType.HTML, status_code=303)
    async def submit(self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID]) -> Any:
        return await _move(request, offer_id, OfferStatus.SUBMITTED, "diajukan")

    @post("/{offer_id:uuid}/jeda", media_type=MediaType.HTML, status_code=303)
    async def pause(self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID]) -> Any:
        return await _move(request, offer_id, OfferStatus.PAUSED, "dijeda")

    @post("/{offer_id:uuid}/lanjutkan", media_type=MediaType.HTML, status_code=303)
    async def resume(self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID]) -> Any:
        return await _move(request, offer_id, OfferStatus.PUBLISHED, "dilanjutkan")


async def _move(request: Request[CurrentUser, Any, Any], offer_id: uuid.UUID, target: OfferStatus, done: str) -> Any:
    """Submit, pause or resume (nothing to ask; each can be followed by another move), back to the list."""
    partner_id, language = (await own_membership(request.user)).partner_id, request_language(request)
    moved = offers.move_by_manager(partner_id, offer_id, target, None, request.user)
    return await acted(request, moved, f"{BASE}?ok={done}#penawaran-{offer_id}", partial(_list, partner_id, language))


async def _list(
    partner_id: uuid.UUID, language: Language, problem: Invalid | None = None, status: int = 200
) -> Template:
    partner = await onboarding.read_partner(partner_id)
    items = await offers.list_offers(partner_id)
    return Template(
        "mitra/penawaran.html",
        context={
            "offers": [
                {
                    "offer": offer,
                    "summary": offer_rules.summary(offer.rules, language),
                    "can": offers.manager_actions(offer.status),
                }
                for offer in reversed(items)  # newest first
            ],
            "partner_approved": partner.status == PartnerStatus.APPROVED,
            "problems": problems_by_field(problem, language),
        },
        status_code=status,
    )


async def _form(
    request: Request[Any, Any, Any],
    partner_id: uuid.UUID,
    offer: OfferRead | None,
    values: Mapping[str, str],
    error: DomainError | None = None,
    first_look: bool = False,
    checked_now: bool = False,
) -> Template:
    """The form with what was typed, the problems beside their fields, and the summary as it stands.
    `checked_now`: the no-JavaScript summary button, which shows the problems without saving."""
    language = request_language(request)
    shown = await preview(values, partner_id, language, request.app.state.settings.today(), first_look=first_look)
    status = 200
    problems: dict[str, str] = {}
    if error is not None:
        problem, status = refusal(request, error)
        problems = shown_problems(problem, values, language)
    if checked_now:
        problems = {name: message for name, message in shown.problems}
    return Template(
        "mitra/penawaran_form.html",
        context={
            "offer": offer,
            "can": offers.manager_actions(offer.status) if offer else {},
            "values": dict(values),
            "problems": problems,
            "preview": shown,
            "benefit_kinds": [kind.value for kind in BenefitType],
            # which kinds of benefit use a field: the page hides the others' fields once a kind is chosen
            "uses": {
                key: [k.value for k in BenefitType if key in offer_rules.benefit_fields(k)] for key in BENEFIT_KEYS
            },
            "blackout_rows": range(blackout_row_count(values)),
            "periods": [period.value for period in LimitPeriod],
            **await region_choices(partner_id, values),
            "outlets": await outlets.list_outlets(partner_id),
            "action": f"{BASE}/{offer.id}" if offer else f"{BASE}/baru",
        },
        status_code=status,
    )


# --- ending an offer: the one move that cannot be undone, behind a confirmation ---------------------------------


async def _offer(acting: Acting) -> OfferRead:
    membership = await own_membership(acting.user)
    return await offers.read_offer(membership.partner_id, acting.path("offer_id"))  # another partner's: 404


async def _end(acting: Acting, offer: OfferRead) -> None:
    decision = to_struct(Decision, {"reason": acting.text("reason") or None})
    await offers.move_by_manager(offer.partner_id, offer.id, OfferStatus.ENDED, decision.reason, acting.user)


def _not_endable(offer: OfferRead) -> DomainError | None:
    if offers.manager_actions(offer.status)["end"]:
        return None
    return InvalidTransition(current=offer.status.value, target=OfferStatus.ENDED.value)


END = ConfirmedAction(
    path="/penawaran/{offer_id:uuid}/akhiri", name="partner_offer_end",
    template="mitra/konfirmasi/penawaran_akhiri.html",
    load=_offer, act=_end, done=lambda offer: f"{BASE}?ok=diakhiri#penawaran-{offer.id}", refused_now=_not_endable,
)  # fmt: skip

offer_pages = manager_pages(OfferPages, *END.handlers())
