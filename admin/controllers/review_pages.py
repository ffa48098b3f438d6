"""HTML for Dukcapil's review queues: partner applications at /admin/mitra and offers at /admin/penawaran, decided
with the same services (and so the same rules and messages) as /api/v1/admin/partners and /offers."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.controllers.console import Form, admin, labels, reader
from core.auth import PUBLIC, CurrentUser
from core.errors import DomainError, NotFound
from core.forms import Confirmation, confirmation_page, notice, problem_of, problems_by_field, refusal_status, text
from core.i18n import Language, Text
from core.settings import Settings
from partners.controllers.offer_form import WEEKDAYS
from partners.service import offers, onboarding, outlets
from partners.tables import OfferStatus, PartnerStatus

NOTICES = {
    "disetujui": Text("Mitra disetujui. Pengelolanya kini dapat mengajukan penawaran.",
                      "Partner approved. Its manager can now submit offers."),
    "ditolak": Text("Pendaftaran ditolak; mitra melihat alasan Anda dan dapat mengajukan lagi.",
                    "Application rejected; the partner sees your reason and may apply again."),
    "ditangguhkan": Text("Mitra ditangguhkan: penawarannya tidak tampil dan kasirnya tidak dapat melayani.",
                         "Partner suspended: its offers are hidden and its cashiers cannot serve."),
    "dipulihkan": Text("Mitra dipulihkan.", "Partner reinstated."),
    "tayang": Text("Penawaran disetujui dan tayang di katalog publik.",
                   "Offer approved and shown in the public catalog."),
    "penawaran-ditolak": Text("Penawaran ditolak; mitra melihat alasan Anda.",
                              "Offer rejected; the partner sees your reason."),
    "penawaran-ditangguhkan": Text("Penawaran ditangguhkan dan tidak lagi dapat dipakai.",
                                   "Offer suspended; it can no longer be used."),
}  # fmt: skip
PARTNER_QUEUE = (PartnerStatus.PENDING, PartnerStatus.APPROVED, PartnerStatus.SUSPENDED, PartnerStatus.REJECTED)
OFFER_QUEUE = (OfferStatus.SUBMITTED, OfferStatus.PUBLISHED, OfferStatus.PAUSED, OfferStatus.SUSPENDED,
               OfferStatus.REJECTED, OfferStatus.ENDED, OfferStatus.DRAFT)  # fmt: skip


def _status_filter(request: Request[Any, Any, Any], allowed: tuple[Any, ...], default: Any) -> Any:
    wanted = request.query_params.get("status", default.value)
    return next((status for status in allowed if status.value == wanted), default)


# --- partners -------------------------------------------------------------------------------------------------

PARTNER_ACTIONS: dict[str, tuple[PartnerStatus, str]] = {
    # action in the URL: (the status it leads to, the notice after it)
    "tolak": (PartnerStatus.REJECTED, "ditolak"),
    "tangguhkan": (PartnerStatus.SUSPENDED, "ditangguhkan"),
    "pulihkan": (PartnerStatus.APPROVED, "dipulihkan"),
}


def _partner_confirmation(action: str, partner_id: uuid.UUID, name: str, language: Language) -> Confirmation:
    def t(indonesian: str, english: str) -> str:
        return Text(indonesian, english).render(language)

    back = f"/admin/mitra/{partner_id}"
    common: dict[str, Any] = {
        "layout": "admin/layout.html", "action": f"{back}/{action}", "back": back, "subject": name, "reason": "text"
    }  # fmt: skip
    if action == "tolak":
        return Confirmation(
            title=t("Tolak pendaftaran mitra", "Reject the partner's application"),
            consequences=[
                t("Mitra tidak dapat mengajukan penawaran.", "The partner cannot submit offers."),
                t("Pengelola melihat alasan Anda di konsolnya, dapat memperbaiki profil dan mengajukan lagi.",
                  "The manager sees your reason in their console, can fix the profile and apply again."),
            ],
            button=t("Tolak pendaftaran", "Reject the application"),
            reason_label=t("Alasan penolakan (dibaca mitra)", "Reason for rejecting (the partner reads it)"),
            reason_help=t("Tulis apa yang perlu diperbaiki, mis. \"Lampirkan NIB yang masih berlaku.\"",
                          "Say what needs fixing, e.g. \"Attach a valid NIB.\""),
            **common,
        )  # fmt: skip
    if action == "tangguhkan":
        return Confirmation(
            title=t("Tangguhkan mitra", "Suspend the partner"),
            consequences=[
                t("Semua penawaran mitra hilang dari katalog publik.",
                  "All of the partner's offers leave the public catalog."),
                t("Kasir mitra tidak dapat melayani penukaran sampai mitra dipulihkan.",
                  "The partner's cashiers cannot serve redemptions until the partner is reinstated."),
                t("Penukaran yang sudah tercatat tidak berubah.", "Redemptions already recorded do not change."),
            ],
            button=t("Tangguhkan mitra", "Suspend the partner"),
            reason_label=t("Alasan penangguhan (dibaca mitra)", "Reason for suspending (the partner reads it)"),
            **common,
        )  # fmt: skip
    return Confirmation(
        title=t("Pulihkan mitra", "Reinstate the partner"),
        consequences=[t("Penawaran yang tayang kembali tampil dan kasir dapat melayani lagi.",
                        "Published offers show again and cashiers can serve again.")],
        button=t("Pulihkan mitra", "Reinstate the partner"),
        reason_label=t("Catatan pemulihan", "Note on reinstating"),
        danger=False,
        **common,
    )  # fmt: skip


class PartnerReviewPages(Controller):
    path = "/admin/mitra"
    opt = {PUBLIC: True}  # pages: `reader()` / `admin()` check the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_review_queue", media_type=MediaType.HTML)
    async def queue(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, language = await reader(request, settings)
        status = _status_filter(request, PARTNER_QUEUE, PartnerStatus.PENDING)
        counts = {s.value: 0 for s in PARTNER_QUEUE}
        rows = await onboarding.list_partners()
        for row in rows:
            counts[str(row["status"])] = counts.get(str(row["status"]), 0) + 1
        return Template(
            "admin/mitra.html",
            context={
                "partners": [row for row in rows if row["status"] == status.value],
                "status": status.value,
                "statuses": [s.value for s in PARTNER_QUEUE],
                "counts": counts,
                "labels": labels(language),
                "notice": notice(request, NOTICES, language),
            },
        )

    @get("/{partner_id:uuid}", name="partner_review", media_type=MediaType.HTML)
    async def partner(
        self, request: Request[Any, Any, Any], partner_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        user, language = await reader(request, settings)
        return await _partner_page(partner_id, user, language, notice(request, NOTICES, language))

    @post("/{partner_id:uuid}/setujui", media_type=MediaType.HTML, status_code=303)
    async def approve(
        self,
        request: Request[Any, Any, Any],
        partner_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, language = await admin(request, settings)
        try:
            await onboarding.decide(
                partner_id, PartnerStatus.APPROVED, None, user, text(data, "agreement_number") or None
            )
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            return await _partner_page(partner_id, user, language, None, data, problem_of(error), refusal_status(error))
        return Redirect(f"/admin/mitra/{partner_id}?ok=disetujui", status_code=303)

    @get("/{partner_id:uuid}/{action:str}", name="partner_review_confirm", media_type=MediaType.HTML)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        partner_id: FromPath[uuid.UUID],
        action: FromPath[str],
        settings: NamedDependency[Settings],
    ) -> Template:
        _, language = await admin(request, settings)
        if action not in PARTNER_ACTIONS:
            raise NotFound()
        partner = await onboarding.read_partner(partner_id)
        return confirmation_page(_partner_confirmation(action, partner_id, partner.name, language), language)

    @post("/{partner_id:uuid}/{action:str}", media_type=MediaType.HTML, status_code=303)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        partner_id: FromPath[uuid.UUID],
        action: FromPath[str],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, language = await admin(request, settings)
        if action not in PARTNER_ACTIONS:
            raise NotFound()
        target, done = PARTNER_ACTIONS[action]
        partner = await onboarding.read_partner(partner_id)
        try:
            await onboarding.decide(partner_id, target, text(data, "reason"), user)
        except DomainError as error:
            confirmation = _partner_confirmation(action, partner_id, partner.name, language)
            return confirmation_page(confirmation, language, data, problem_of(error, "reason"), refusal_status(error))
        return Redirect(f"/admin/mitra/{partner_id}?ok={done}", status_code=303)


async def _partner_page(
    partner_id: uuid.UUID,
    user: CurrentUser,
    language: Language,
    shown_notice: str | None,
    values: dict[str, str] | None = None,
    problem: Any = None,
    status: int = 200,
) -> Template:
    partner = await onboarding.read_partner(partner_id)  # unknown: 404
    return Template(
        "admin/mitra_detail.html",
        context={
            "partner": partner,
            "outlets": await outlets.list_outlets(partner_id),
            "offers": await offers.list_offers(partner_id),
            "can_act": user.role == "dukcapil_admin",
            "labels": labels(language),
            "notice": shown_notice,
            "values": values or {},
            "problems": problems_by_field(problem, language),
        },
        status_code=status,
    )


# --- offers ---------------------------------------------------------------------------------------------------

OFFER_ACTIONS: dict[str, tuple[OfferStatus, str]] = {
    "tolak": (OfferStatus.REJECTED, "penawaran-ditolak"),
    "tangguhkan": (OfferStatus.SUSPENDED, "penawaran-ditangguhkan"),
    "cabut-penangguhan": (OfferStatus.PUBLISHED, "tayang"),
}


def _offer_confirmation(action: str, offer_id: uuid.UUID, title: str, language: Language) -> Confirmation:
    def t(indonesian: str, english: str) -> str:
        return Text(indonesian, english).render(language)

    back = f"/admin/penawaran/{offer_id}"
    common: dict[str, Any] = {
        "layout": "admin/layout.html", "action": f"{back}/{action}", "back": back, "subject": title, "reason": "text"
    }  # fmt: skip
    if action == "tolak":
        return Confirmation(
            title=t("Tolak penawaran", "Reject the offer"),
            consequences=[
                t("Penawaran tidak tayang.", "The offer is not published."),
                t("Mitra melihat alasan Anda, dapat mengubah aturan dan mengajukan lagi.",
                  "The partner sees your reason, can change the rules and submit again."),
            ],
            button=t("Tolak penawaran", "Reject the offer"),
            reason_label=t("Alasan penolakan (dibaca mitra)", "Reason for rejecting (the partner reads it)"),
            reason_help=t("Mis. \"Batas usia harus mencakup anak 0–16 tahun sesuai PKS.\"",
                          "E.g. \"The age range must cover children 0–16 as the agreement says.\""),
            **common,
        )  # fmt: skip
    if action == "tangguhkan":
        return Confirmation(
            title=t("Tangguhkan penawaran", "Suspend the offer"),
            consequences=[
                t("Penawaran hilang dari katalog publik dan kasir tidak dapat memakainya.",
                  "The offer leaves the public catalog and cashiers cannot use it."),
                t("Mitra tidak dapat melanjutkannya sendiri; hanya Dukcapil yang dapat mencabut penangguhan.",
                  "The partner cannot resume it; only Dukcapil can lift the suspension."),
            ],
            button=t("Tangguhkan penawaran", "Suspend the offer"),
            reason_label=t("Alasan penangguhan (dibaca mitra)", "Reason for suspending (the partner reads it)"),
            **common,
        )  # fmt: skip
    return Confirmation(
        title=t("Cabut penangguhan", "Lift the suspension"),
        consequences=[t("Penawaran tayang lagi di katalog dan kasir dapat memakainya.",
                        "The offer shows in the catalog again and cashiers can use it.")],
        button=t("Cabut penangguhan", "Lift the suspension"),
        reason_label=t("Catatan", "Note"),
        reason=None,
        danger=False,
        **{k: v for k, v in common.items() if k != "reason"},
    )  # fmt: skip


class OfferReviewPages(Controller):
    path = "/admin/penawaran"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="offer_review_queue", media_type=MediaType.HTML)
    async def queue(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, language = await reader(request, settings)
        status = _status_filter(request, OFFER_QUEUE, OfferStatus.SUBMITTED)
        everything = await offers.list_offers()
        counts = {s.value: 0 for s in OFFER_QUEUE}
        for offer in everything:
            counts[offer.status.value] = counts.get(offer.status.value, 0) + 1
        names = {row["id"]: row["name"] for row in await onboarding.list_partners()}
        return Template(
            "admin/penawaran.html",
            context={
                "offers": [offer for offer in everything if offer.status is status],
                "partner_names": names,
                "status": status.value,
                "statuses": [s.value for s in OFFER_QUEUE],
                "counts": counts,
                "labels": labels(language),
                "notice": notice(request, NOTICES, language),
            },
        )

    @get("/{offer_id:uuid}", name="offer_review", media_type=MediaType.HTML)
    async def offer(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        user, language = await reader(request, settings)
        return await _offer_page(offer_id, user, language, notice(request, NOTICES, language))

    @post("/{offer_id:uuid}/setujui", media_type=MediaType.HTML, status_code=303)
    async def publish(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        user, language = await admin(request, settings)
        try:
            await offers.move_by_dukcapil(offer_id, OfferStatus.PUBLISHED, None, user)
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            return await _offer_page(offer_id, user, language, None, problem_of(error), refusal_status(error))
        return Redirect(f"/admin/penawaran/{offer_id}?ok=tayang", status_code=303)

    @get("/{offer_id:uuid}/{action:str}", name="offer_review_confirm", media_type=MediaType.HTML)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        action: FromPath[str],
        settings: NamedDependency[Settings],
    ) -> Template:
        _, language = await admin(request, settings)
        if action not in OFFER_ACTIONS:
            raise NotFound()
        offer = await offers.read_offer(None, offer_id)
        return confirmation_page(_offer_confirmation(action, offer_id, offer.rules.title, language), language)

    @post("/{offer_id:uuid}/{action:str}", media_type=MediaType.HTML, status_code=303)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        action: FromPath[str],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, language = await admin(request, settings)
        if action not in OFFER_ACTIONS:
            raise NotFound()
        target, done = OFFER_ACTIONS[action]
        offer = await offers.read_offer(None, offer_id)
        try:
            await offers.move_by_dukcapil(offer_id, target, text(data, "reason"), user)
        except DomainError as error:
            confirmation = _offer_confirmation(action, offer_id, offer.rules.title, language)
            return confirmation_page(confirmation, language, data, problem_of(error, "reason"), refusal_status(error))
        return Redirect(f"/admin/penawaran/{offer_id}?ok={done}", status_code=303)


async def _offer_page(
    offer_id: uuid.UUID,
    user: CurrentUser,
    language: Language,
    shown_notice: str | None,
    problem: Any = None,
    status: int = 200,
) -> Template:
    offer = await offers.read_offer(None, offer_id)  # unknown: 404
    partner = await onboarding.read_partner(offer.partner_id)
    partner_outlets = await outlets.list_outlets(offer.partner_id)
    chosen = set(offer.rules.outlet_ids)
    return Template(
        "admin/penawaran_detail.html",
        context={
            "offer": offer,
            "partner": partner,
            "outlets": [o for o in partner_outlets if not chosen or o.id in chosen],
            "can_act": user.role == "dukcapil_admin",
            "labels": labels(language),
            "notice": shown_notice,
            "problems": problems_by_field(problem, language),
            "weekday_names": ["", *(day.render(language) for day in WEEKDAYS)],  # ISO: 1 = Monday
        },
        status_code=status,
    )
