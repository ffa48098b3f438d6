"""HTML for Dukcapil's review queues: partner applications at /admin/mitra and offers at /admin/penawaran, decided
with the same services (and so the same rules and messages) as /api/v1/admin/partners and /offers. Both Dukcapil
roles read them; only the admin decides."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from litestar import Controller, Request, Router, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.service import review
from core.auth import CurrentUser
from core.confirm import Acting, ConfirmedAction
from core.errors import DomainError, Invalid, NotFound
from core.forms import problems_by_field, refusal, text
from core.guards import requires_dukcapil, requires_office_admin
from core.i18n import Language
from core.pages import Form
from core.settings import Settings
from partners.schemas import OfferRead, PartnerRead
from partners.service import offers, onboarding, outlets
from partners.service import rules as offer_rules
from partners.tables import OfferStatus, PartnerStatus

PARTNER_QUEUE = (PartnerStatus.PENDING, PartnerStatus.APPROVED, PartnerStatus.SUSPENDED, PartnerStatus.REJECTED)
REVISION_TAB = "perubahan"  # the queue's tab of live offers' edits awaiting review
OFFER_QUEUE = (OfferStatus.SUBMITTED, OfferStatus.PUBLISHED, OfferStatus.PAUSED, OfferStatus.SUSPENDED,
               OfferStatus.REJECTED, OfferStatus.ENDED, OfferStatus.DRAFT)  # fmt: skip


def _status_filter(request: Request[Any, Any, Any], allowed: tuple[Any, ...]) -> Any:
    wanted = request.query_params.get("status", allowed[0].value)
    return next((status for status in allowed if status.value == wanted), allowed[0])


def _counts(statuses: list[str], queue: tuple[Any, ...]) -> dict[str, int]:
    counts = {status.value: 0 for status in queue}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


# --- partners -------------------------------------------------------------------------------------------------


class PartnerReviewPages(Controller):
    @get("/", name="partner_review_queue", media_type=MediaType.HTML)
    async def queue(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        status = _status_filter(request, PARTNER_QUEUE)
        rows = await onboarding.list_partners(None, user)
        return Template(
            "admin/mitra.html",
            context={
                "partners": [row for row in rows if row["status"] == status.value],
                "status": status.value,
                "statuses": [s.value for s in PARTNER_QUEUE],
                "counts": _counts([str(row["status"]) for row in rows], PARTNER_QUEUE),
            },
        )

    @get("/{partner_id:uuid}", name="partner_review", media_type=MediaType.HTML)
    async def partner(
        self, partner_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser], language: NamedDependency[Language]
    ) -> Template:
        return await _partner_page(partner_id, user, language)

    @post("/{partner_id:uuid}/setujui", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin])
    async def approve(
        self,
        request: Request[Any, Any, Any],
        partner_id: FromPath[uuid.UUID],
        data: Form,
        user: NamedDependency[CurrentUser],
        language: NamedDependency[Language],
    ) -> Any:
        agreement = text(data, "agreement_number") or None
        decided = onboarding.decide(partner_id, PartnerStatus.APPROVED, None, user, agreement)
        return await _on_partner_page(request, partner_id, data, user, language, decided, "disetujui")

    @post("/{partner_id:uuid}/pks", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin])
    async def agreement(
        self,
        request: Request[Any, Any, Any],
        partner_id: FromPath[uuid.UUID],
        data: Form,
        user: NamedDependency[CurrentUser],
        language: NamedDependency[Language],
    ) -> Any:
        """The office sets or corrects its agreement (PKS) number with an approved partner: audited."""
        saved = onboarding.set_agreement_number(partner_id, text(data, "agreement_number"), user)
        return await _on_partner_page(request, partner_id, data, user, language, saved, "pks-disimpan")


async def _on_partner_page(
    request: Request[Any, Any, Any],
    partner_id: uuid.UUID,
    data: dict[str, str],
    user: CurrentUser,
    language: Language,
    action: Awaitable[Any],
    ok: str,
) -> Any:
    """Do a form's action on the partner's page: then back to it with a notice, or the page again with the refusal
    beside the field (another office's partner, or none, stays a 404)."""
    try:
        await action
    except NotFound:
        raise
    except DomainError as error:
        problem, status = refusal(request, error)
        return await _partner_page(partner_id, user, language, data, problem, status)
    return Redirect(f"/admin/mitra/{partner_id}?ok={ok}", status_code=303)


async def _partner_page(
    partner_id: uuid.UUID,
    reader: CurrentUser,
    language: Language,
    values: dict[str, str] | None = None,
    problem: Invalid | None = None,
    status: int = 200,
) -> Template:
    return Template(
        "admin/mitra_detail.html",
        context={
            "partner": await onboarding.read_partner(partner_id, reader),  # unknown, or another office's: 404
            "outlets": await outlets.list_outlets(partner_id),
            "offers": await offers.list_offers(partner_id),
            "values": values or {},
            "problems": problems_by_field(problem, language),
        },
        status_code=status,
    )


async def _partner(acting: Acting) -> PartnerRead:
    return await onboarding.read_partner(acting.path("partner_id"), acting.user)


def _partner_action(path: str, name: str, to: PartnerStatus, notice: str) -> ConfirmedAction[PartnerRead]:
    async def decide(acting: Acting, partner: PartnerRead) -> None:
        await onboarding.decide(partner.id, to, acting.text("reason"), acting.user)

    return ConfirmedAction(
        path=f"/{{partner_id:uuid}}/{path}", name=name, template=f"admin/konfirmasi/mitra_{path}.html",
        load=_partner, act=decide, done=lambda partner: f"/admin/mitra/{partner.id}?ok={notice}",
        guards=[requires_office_admin],
    )  # fmt: skip


PARTNER_ACTIONS = (
    _partner_action("tolak", "partner_reject_page", PartnerStatus.REJECTED, "ditolak"),
    _partner_action("tangguhkan", "partner_suspend_page", PartnerStatus.SUSPENDED, "ditangguhkan"),
    _partner_action("pulihkan", "partner_reinstate_page", PartnerStatus.APPROVED, "dipulihkan"),
)


# --- offers ---------------------------------------------------------------------------------------------------


class OfferReviewPages(Controller):
    @get("/", name="offer_review_queue", media_type=MediaType.HTML)
    async def queue(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        status = _status_filter(request, OFFER_QUEUE)
        everything = await offers.list_offers(partners=await onboarding.partners_of(user))
        edits = [offer for offer in everything if offer.pending_revision is not None]
        showing_edits = request.query_params.get("status") == REVISION_TAB
        return Template(
            "admin/penawaran.html",
            context={
                "offers": edits if showing_edits else [offer for offer in everything if offer.status is status],
                "edits": len(edits),
                "showing_edits": showing_edits,
                "partner_names": {row["id"]: row["name"] for row in await onboarding.list_partners(None, user)},
                "status": status.value,
                "statuses": [s.value for s in OFFER_QUEUE],
                "counts": _counts([offer.status.value for offer in everything], OFFER_QUEUE),
            },
        )

    @get("/{offer_id:uuid}", name="offer_review", media_type=MediaType.HTML)
    async def offer(
        self, offer_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser], language: NamedDependency[Language]
    ) -> Template:
        return await _offer_page(offer_id, user, language)

    @post("/{offer_id:uuid}/setujui", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin])
    async def publish(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        user: NamedDependency[CurrentUser],
        language: NamedDependency[Language],
        settings: NamedDependency[Settings],
    ) -> Any:
        return await _approved(request, offer_id, user, language, review.publish(offer_id, user, settings), "tayang")


class OfferRevisionPages(Controller):
    @post(
        "/{offer_id:uuid}/setujui-perubahan", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin]
    )
    async def approve_revision(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        user: NamedDependency[CurrentUser],
        language: NamedDependency[Language],
        settings: NamedDependency[Settings],
    ) -> Any:
        approval = review.approve_revision(offer_id, user, settings)
        return await _approved(request, offer_id, user, language, approval, "perubahan-disetujui")


async def _approved(
    request: Request[Any, Any, Any],
    offer_id: uuid.UUID,
    user: CurrentUser,
    language: Language,
    approval: Awaitable[OfferRead],
    notice: str,
) -> Any:
    """An approval from the offer's page: back to it with a notice, or the page again with the refusal."""
    try:
        await approval
    except NotFound:
        raise
    except DomainError as error:
        problem, status = refusal(request, error)
        return await _offer_page(offer_id, user, language, problem, status)
    return Redirect(f"/admin/penawaran/{offer_id}?ok={notice}", status_code=303)


async def _offer_page(
    offer_id: uuid.UUID, reader: CurrentUser, language: Language, problem: Invalid | None = None, status: int = 200
) -> Template:
    offer = await review.reviewed_offer(offer_id, reader)  # unknown, or another office's: 404
    partner_outlets = await outlets.list_outlets(offer.partner_id)
    chosen = set(offer.rules.outlet_ids)
    return Template(
        "admin/penawaran_detail.html",
        context={
            "offer": offer,
            "partner": await onboarding.read_partner(offer.partner_id, reader),
            "outlets": [o for o in partner_outlets if not chosen or o.id in chosen],
            "slices": await review.region_slices(offer),
            "pending_summary": offer_rules.summary(offer.pending_rules, language) if offer.pending_rules else "",
            "problems": problems_by_field(problem, language),
        },
        status_code=status,
    )


async def _offer(acting: Acting) -> OfferRead:
    return await review.reviewed_offer(acting.path("offer_id"), acting.user)


def _offer_action(path: str, name: str, to: OfferStatus, notice: str) -> ConfirmedAction[OfferRead]:
    async def decide(acting: Acting, offer: OfferRead) -> None:
        await offers.move_by_dukcapil(offer.id, to, acting.text("reason"), acting.user)

    return ConfirmedAction(
        path=f"/{{offer_id:uuid}}/{path}", name=name, template=f"admin/konfirmasi/penawaran_{path}.html",
        load=_offer, act=decide, done=lambda offer: f"/admin/penawaran/{offer.id}?ok={notice}",
        guards=[requires_office_admin],
    )  # fmt: skip


async def _reject_revision(acting: Acting, offer: OfferRead) -> None:
    await offers.decide_revision(offer.id, False, acting.text("reason"), acting.user)


OFFER_ACTIONS = (
    ConfirmedAction(
        path="/{offer_id:uuid}/tolak-perubahan",
        name="offer_revision_reject_page",
        template="admin/konfirmasi/penawaran_tolak-perubahan.html",
        load=_offer,
        act=_reject_revision,
        done=lambda offer: f"/admin/penawaran/{offer.id}?ok=perubahan-ditolak",
        guards=[requires_office_admin],
    ),
    _offer_action("tolak", "offer_reject_page", OfferStatus.REJECTED, "penawaran-ditolak"),
    _offer_action("tangguhkan", "offer_suspend_page", OfferStatus.SUSPENDED, "penawaran-ditangguhkan"),
    _offer_action("cabut-penangguhan", "offer_unsuspend_page", OfferStatus.PUBLISHED, "tayang"),
)

partner_review_pages = Router(
    "/admin/mitra",
    guards=[requires_dukcapil],
    include_in_schema=False,
    route_handlers=[PartnerReviewPages, *(h for action in PARTNER_ACTIONS for h in action.handlers())],
)
offer_review_pages = Router(
    "/admin/penawaran",
    guards=[requires_dukcapil],
    include_in_schema=False,
    route_handlers=[OfferReviewPages, OfferRevisionPages, *(h for action in OFFER_ACTIONS for h in action.handlers())],
)
