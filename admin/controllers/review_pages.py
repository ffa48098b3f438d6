"""HTML for Dukcapil's review queues: partner applications at /admin/mitra and offers at /admin/penawaran, decided
with the same services (and so the same rules and messages) as /api/v1/admin/partners and /offers. Both Dukcapil
roles read them; only the admin decides."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from functools import partial
from typing import Any

from litestar import Controller, Request, Router, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Template

from admin.service import review
from core.confirm import Acting, ConfirmedAction
from core.errors import Invalid
from core.forms import acted, problems_by_field, text
from core.guards import requires_dukcapil, requires_office_admin
from core.pages import Form
from partners.schemas import OfferRead, PartnerRead
from partners.service import offers, onboarding, outlets
from partners.service import rules as offer_rules
from partners.tables import OfferStatus, PartnerStatus

PARTNER_QUEUE = (PartnerStatus.PENDING, PartnerStatus.APPROVED, PartnerStatus.SUSPENDED, PartnerStatus.REJECTED)
REVISION_TAB = "perubahan"  # the queue's tab of live offers' edits awaiting review
DECIDES: dict[str, Any] = {"media_type": MediaType.HTML, "status_code": 303, "guards": [requires_office_admin]}
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
    async def queue(self, acting: NamedDependency[Acting]) -> Template:
        status = _status_filter(acting.request, PARTNER_QUEUE)
        rows = await onboarding.list_partners(None, acting.user)
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
    async def partner(self, partner_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        return await _partner_page(acting, partner_id)

    @post("/{partner_id:uuid}/setujui", **DECIDES)
    async def approve(self, partner_id: FromPath[uuid.UUID], data: Form, acting: NamedDependency[Acting]) -> Any:
        agreement = text(data, "agreement_number") or None
        decided = onboarding.decide(partner_id, PartnerStatus.APPROVED, None, acting.user, agreement)
        return await _on_partner_page(acting, partner_id, data, decided, "disetujui")

    @post("/{partner_id:uuid}/pks", **DECIDES)
    async def agreement(self, partner_id: FromPath[uuid.UUID], data: Form, acting: NamedDependency[Acting]) -> Any:
        """The office sets or corrects its agreement (PKS) number with an approved partner: audited."""
        saved = onboarding.set_agreement_number(partner_id, text(data, "agreement_number"), acting.user)
        return await _on_partner_page(acting, partner_id, data, saved, "pks-disimpan")


async def _on_partner_page(
    acting: Acting, partner_id: uuid.UUID, data: dict[str, str], action: Awaitable[Any], ok: str
) -> Any:
    """Do a form's action on the partner's page: then back to it with a notice, or the page again with the refusal."""
    again = partial(_partner_page, acting, partner_id, data)
    return await acted(acting.request, action, f"/admin/mitra/{partner_id}?ok={ok}", again)


async def _partner_page(
    acting: Acting,
    partner_id: uuid.UUID,
    values: dict[str, str] | None = None,
    problem: Invalid | None = None,
    status: int = 200,
) -> Template:
    return Template(
        "admin/mitra_detail.html",
        context={
            "partner": await onboarding.read_partner(partner_id, acting.user),  # unknown, or another office's: 404
            "outlets": await outlets.list_outlets(partner_id),
            "offers": await offers.list_offers(partner_id),
            "values": values or {},
            "problems": problems_by_field(problem, acting.language),
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
    async def queue(self, acting: NamedDependency[Acting]) -> Template:
        status = _status_filter(acting.request, OFFER_QUEUE)
        everything = await offers.list_offers(partners=await onboarding.partners_of(acting.user))
        edits = [offer for offer in everything if offer.pending_revision is not None]
        showing_edits = acting.request.query_params.get("status") == REVISION_TAB
        partners = await onboarding.list_partners(None, acting.user)
        return Template(
            "admin/penawaran.html",
            context={
                "offers": edits if showing_edits else [offer for offer in everything if offer.status is status],
                "edits": len(edits),
                "showing_edits": showing_edits,
                "partner_names": {row["id"]: row["name"] for row in partners},
                "status": status.value,
                "statuses": [s.value for s in OFFER_QUEUE],
                "counts": _counts([offer.status.value for offer in everything], OFFER_QUEUE),
            },
        )

    @get("/{offer_id:uuid}", name="offer_review", media_type=MediaType.HTML)
    async def offer(self, offer_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        return await _offer_page(acting, offer_id)

    @post("/{offer_id:uuid}/setujui", **DECIDES)
    async def publish(self, offer_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Any:
        return await _approved(acting, offer_id, review.publish(offer_id, acting.user, acting.settings), "tayang")

    @post("/{offer_id:uuid}/setujui-perubahan", **DECIDES)
    async def approve_revision(self, offer_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Any:
        approval = review.approve_revision(offer_id, acting.user, acting.settings)
        return await _approved(acting, offer_id, approval, "perubahan-disetujui")


async def _approved(acting: Acting, offer_id: uuid.UUID, approval: Awaitable[OfferRead], notice: str) -> Any:
    """An approval from the offer's page: back to it with a notice, or the page again with the refusal."""
    again = partial(_offer_page, acting, offer_id)
    return await acted(acting.request, approval, f"/admin/penawaran/{offer_id}?ok={notice}", again)


async def _offer_page(
    acting: Acting, offer_id: uuid.UUID, problem: Invalid | None = None, status: int = 200
) -> Template:
    offer = await review.reviewed_offer(offer_id, acting.user)  # unknown, or another office's: 404
    partner_outlets = await outlets.list_outlets(offer.partner_id)
    chosen = set(offer.rules.outlet_ids)
    pending = offer_rules.summary(offer.pending_rules, acting.language) if offer.pending_rules else ""
    return Template(
        "admin/penawaran_detail.html",
        context={
            "offer": offer,
            "partner": await onboarding.read_partner(offer.partner_id, acting.user),
            "outlets": [o for o in partner_outlets if not chosen or o.id in chosen],
            "slices": await review.region_slices(offer),
            "pending_summary": pending,
            "problems": problems_by_field(problem, acting.language),
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
    route_handlers=[OfferReviewPages, *(h for action in OFFER_ACTIONS for h in action.handlers())],
)
