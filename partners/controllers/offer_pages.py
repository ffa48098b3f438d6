"""HTML for a partner's offers at /mitra/penawaran: the list with each status and what can be done next, the form with
every rule the API takes beside a live plain-words summary, and submit, pause, resume and end. The same services
and messages as /api/v1/partners/{id}/offers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.auth import PUBLIC
from core.errors import DomainError, FieldProblem, Invalid, NotFound
from core.forms import Confirmation, checked, confirmation_page, notice, problem_of, problems_by_field, text, to_struct
from core.i18n import Language, Text
from core.localtime import local_date, utc_now
from core.pages import page_language
from core.service.regions import list_regions
from core.settings import Settings
from core.tables import RegionLevel
from partners.controllers.offer_form import (
    BASE,
    BENEFIT_KEYS,
    BENEFIT_NAMES,
    LABELS,
    PREVIEW,
    WEEKDAYS,
    blackout_row_count,
    new_offer_form,
    offer_form,
    offer_rules_of,
    preview,
    shown_problems,
    ticked,
)
from partners.controllers.pages import Form, manager, refusal_status
from partners.errors import InvalidTransition, OfferNotEditable, PartnerNotApproved
from partners.schemas import BenefitType, Decision, LimitPeriod, OfferRead
from partners.service import offers, onboarding, outlets
from partners.service import rules as offer_rules
from partners.tables import OfferStatus, PartnerStatus

STATUS: dict[OfferStatus, tuple[Text, Text, str]] = {  # name, what it means for the partner, badge colour
    OfferStatus.DRAFT: (
        Text("Draf", "Draft"),
        Text(
            "Belum dikirim ke Dukcapil. Warga belum melihatnya.", "Not sent to Dukcapil yet. The public cannot see it."
        ),
        "",
    ),
    OfferStatus.SUBMITTED: (
        Text("Menunggu persetujuan Dukcapil", "Awaiting Dukcapil's approval"),
        Text("Dukcapil sedang memeriksanya. Belum tampil untuk warga.", "Dukcapil is reviewing it. Not public yet."),
        "warn",
    ),
    OfferStatus.PUBLISHED: (
        Text("Tayang", "Published"),
        Text("Tampil di katalog dan dapat dipakai di kasir.", "Shown in the catalog and usable at the till."),
        "ok",
    ),
    OfferStatus.REJECTED: (
        Text("Ditolak Dukcapil", "Rejected by Dukcapil"),
        Text(
            "Perbaiki sesuai alasan Dukcapil, simpan, lalu ajukan lagi.",
            "Fix it as Dukcapil explains, save, then submit it again.",
        ),
        "bad",
    ),
    OfferStatus.PAUSED: (
        Text("Dijeda", "Paused"),
        Text(
            "Sementara tidak dapat dipakai di kasir. Lanjutkan kapan saja.",
            "The till cannot use it for now. Resume it at any time.",
        ),
        "warn",
    ),
    OfferStatus.ENDED: (
        Text("Berakhir", "Ended"),
        Text("Sudah selesai: tidak dapat diubah atau dipakai lagi.", "Finished: it cannot be edited or used again."),
        "",
    ),
    OfferStatus.SUSPENDED: (
        Text("Ditangguhkan Dukcapil", "Suspended by Dukcapil"),
        Text(
            "Dukcapil menghentikannya sementara. Hubungi Dukcapil untuk membukanya lagi.",
            "Dukcapil has stopped it for now. Contact Dukcapil to have it reopened.",
        ),
        "bad",
    ),
}
# Reasons the system records by itself (offers.EXHAUSTION_REASONS), said in plain words.
SYSTEM_REASONS = {
    "quota_exhausted": Text(
        "Kuota habis: semua penukaran sudah terpakai. Naikkan kuota lalu lanjutkan.",
        "The quota is used up. Raise the quota, then resume.",
    ),
    "budget_exhausted": Text(
        "Anggaran habis. Naikkan anggaran lalu lanjutkan.", "The budget is used up. Raise the budget, then resume."
    ),
}
NOT_NOW = Text(
    "Tindakan ini tidak tersedia untuk penawaran berstatus {status}. Muat ulang halaman untuk melihat statusnya.",
    "This cannot be done to an offer that is {status}. Reload the page to see its status.",
)
PARTNER_NOT_APPROVED = Text(
    "Penawaran dapat diajukan setelah Dukcapil menyetujui pendaftaran mitra Anda. Lihat statusnya di halaman Profil.",
    "Offers can be submitted once Dukcapil approves your partner application. See its status on the Profile page.",
)
SAVED = {
    "penawaran-dibuat": Text(
        "Penawaran disimpan sebagai draf. Ajukan ke Dukcapil bila sudah siap.",
        "Offer saved as a draft. Submit it to Dukcapil when it is ready.",
    ),
    "penawaran-disimpan": Text("Perubahan penawaran disimpan.", "Offer changes saved."),
    "diajukan": Text(
        "Penawaran diajukan ke Dukcapil. Keputusannya akan tampil di sini.",
        "Offer submitted to Dukcapil. Its decision will show here.",
    ),
    "dijeda": Text(
        "Penawaran dijeda: kasir tidak dapat memakainya sampai Anda melanjutkannya.",
        "Offer paused: cashiers cannot use it until you resume it.",
    ),
    "dilanjutkan": Text("Penawaran tayang lagi.", "The offer is published again."),
    "diakhiri": Text("Penawaran diakhiri.", "Offer ended."),
}


# --- pages --------------------------------------------------------------------------------------------------------


def _today(settings: Settings) -> date:
    return local_date(utc_now(), settings.timezone)


def actions_for(status: OfferStatus) -> dict[str, bool]:
    """What the manager may do now: the service's own table of moves, so the page never offers a refused one."""

    def may(target: OfferStatus) -> bool:
        return status in offers.MANAGER_MOVES[target][0]

    return {
        "edit": status in offers.EDITABLE,
        "submit": may(OfferStatus.SUBMITTED),
        "pause": may(OfferStatus.PAUSED),
        "resume": may(OfferStatus.PUBLISHED),
        "end": may(OfferStatus.ENDED),
    }


def status_view(offer: OfferRead, language: Language) -> dict[str, Any]:
    name, meaning, colour = STATUS[offer.status]
    reason = offer.status_reason
    return {
        "name": name.render(language),
        "meaning": meaning.render(language),
        "colour": colour,
        "reason": SYSTEM_REASONS[reason].render(language) if reason in SYSTEM_REASONS else reason,
        "by_dukcapil": offer.status in {OfferStatus.REJECTED, OfferStatus.SUSPENDED},
    }


def history_view(offer: OfferRead, language: Language) -> list[dict[str, Any]]:
    """Newest first: when, to which status, and the reason given (a rejection's reason stays after a new draft)."""
    return [
        {
            "at": change.changed_at,
            "status": STATUS[OfferStatus(change.to_status)][0].render(language),
            "reason": SYSTEM_REASONS[change.reason].render(language)
            if change.reason in SYSTEM_REASONS
            else change.reason,
        }
        for change in reversed(offer.history)
    ]


def refusal(error: DomainError, language: Language) -> Invalid:
    """A refusal shown at the top of a page, in plain words (the API's messages name statuses by their codes)."""
    if isinstance(error, Invalid):
        return error
    if isinstance(error, InvalidTransition | OfferNotEditable):
        current = str(error.params.get("current", error.params.get("status", "")))
        status = STATUS[OfferStatus(current)][0] if current in set(OfferStatus) else Text(current, current)
        return Invalid([FieldProblem("", error.code, NOT_NOW, {"status": status.render(language)})])
    if isinstance(error, PartnerNotApproved):
        return Invalid([FieldProblem("", error.code, PARTNER_NOT_APPROVED)])
    return problem_of(error)


class OfferPages(Controller):
    path = BASE
    opt = {PUBLIC: True}  # pages: `manager()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_offers", media_type=MediaType.HTML)
    async def list_offers(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        return await _list(request, settings, partner_id)

    @get("/baru", name="partner_offer_new", media_type=MediaType.HTML)
    async def new(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        _, partner_id = await manager(request, settings)
        partner = await onboarding.read_partner(partner_id)
        values = new_offer_form(str(partner.category), _today(settings))
        return await _form(request, settings, partner_id, None, values, first_look=True)

    @post("/baru", media_type=MediaType.HTML, status_code=303)
    async def create(self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
        user, partner_id = await manager(request, settings)
        if text(data, "aksi") == PREVIEW:
            return await _form(request, settings, partner_id, None, data, checked_now=True)
        try:
            created = await offers.create_offer(partner_id, offer_rules_of(data), user)
        except Invalid as problem:
            return await _form(request, settings, partner_id, None, data, problem)
        return Redirect(f"{BASE}?ok=penawaran-dibuat#penawaran-{created.id}", status_code=303)

    @post("/ringkasan", name="partner_offer_summary", media_type=MediaType.HTML, status_code=200)
    async def summary(
        self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]
    ) -> Template:
        """The summary fragment htmx swaps in beside the form as the manager types."""
        _, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        shown = await preview(data, partner_id, language, _today(settings))
        return Template("mitra/penawaran_ringkasan.html", context={"preview": shown})

    @get("/{offer_id:uuid}", name="partner_offer", media_type=MediaType.HTML)
    async def edit(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, partner_id = await manager(request, settings)
        offer = await offers.read_offer(partner_id, offer_id)  # another partner's offer: 404
        return await _form(request, settings, partner_id, offer, offer_form(offer.rules))

    @post("/{offer_id:uuid}", media_type=MediaType.HTML, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, partner_id = await manager(request, settings)
        offer = await offers.read_offer(partner_id, offer_id)
        if text(data, "aksi") == PREVIEW:
            return await _form(request, settings, partner_id, offer, data, checked_now=True)
        try:
            await offers.update_offer(partner_id, offer_id, offer_rules_of(data), user)
        except NotFound:
            raise
        except DomainError as error:  # a rule (422) or an offer that can no longer change (409)
            return await _form(request, settings, partner_id, offer, data, error)
        return Redirect(f"{BASE}?ok=penawaran-disimpan#penawaran-{offer_id}", status_code=303)

    @post("/{offer_id:uuid}/ajukan", media_type=MediaType.HTML, status_code=303)
    async def submit(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        return await _move(request, settings, offer_id, OfferStatus.SUBMITTED, "diajukan")

    @post("/{offer_id:uuid}/jeda", media_type=MediaType.HTML, status_code=303)
    async def pause(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        return await _move(request, settings, offer_id, OfferStatus.PAUSED, "dijeda")

    @post("/{offer_id:uuid}/lanjutkan", media_type=MediaType.HTML, status_code=303)
    async def resume(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Any:
        return await _move(request, settings, offer_id, OfferStatus.PUBLISHED, "dilanjutkan")

    @get("/{offer_id:uuid}/akhiri", name="partner_offer_end", media_type=MediaType.HTML)
    async def confirm_end(
        self, request: Request[Any, Any, Any], offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        offer = await offers.read_offer(partner_id, offer_id)
        if actions_for(offer.status)["end"]:
            return confirmation_page(_end_confirmation(offer, language), language)
        error = InvalidTransition(current=offer.status.value, target=OfferStatus.ENDED.value)
        return confirmation_page(_end_confirmation(offer, language), language, None, refusal(error, language), 409)

    @post("/{offer_id:uuid}/akhiri", media_type=MediaType.HTML, status_code=303)
    async def end(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Any:
        user, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        offer = await offers.read_offer(partner_id, offer_id)
        try:
            decision = to_struct(Decision, {"reason": text(data, "reason") or None})
            await offers.move_by_manager(partner_id, offer_id, OfferStatus.ENDED, decision.reason, user)
        except NotFound:
            raise
        except DomainError as error:
            page = _end_confirmation(offer, language)
            return confirmation_page(page, language, data, refusal(error, language), refusal_status(error))
        return Redirect(f"{BASE}?ok=diakhiri#penawaran-{offer_id}", status_code=303)


def _end_confirmation(offer: OfferRead, language: Language) -> Confirmation:
    def say(indonesian: str, english: str) -> str:
        return Text(indonesian, english).render(language)

    return Confirmation(
        layout="mitra/layout.html",
        title=say("Akhiri penawaran ini?", "End this offer?"),
        subject=f"{offer.rules.title} — {offer_rules.summary(offer.rules, language)}",
        consequences=[
            say("Penawaran langsung hilang dari katalog, dan kasir tidak dapat memakainya lagi.",
                "The offer leaves the catalog at once, and cashiers can no longer use it.")
            if offer.status in {OfferStatus.PUBLISHED, OfferStatus.PAUSED}
            else say("Penawaran ini tidak akan pernah tampil di katalog; Dukcapil tidak perlu memeriksanya.",
                     "This offer will never be shown in the catalog; Dukcapil need not review it."),
            say("Tidak dapat dibatalkan: penawaran yang berakhir tidak dapat diubah, dijeda, atau ditayangkan lagi. "
                "Untuk menawarkan lagi, buat penawaran baru dan ajukan ke Dukcapil.",
                "This cannot be undone: an ended offer cannot be edited, paused or published again. To offer it "
                "again, create a new offer and submit it to Dukcapil."),
            say("Penukaran yang sudah terjadi tetap tercatat di riwayat dan laporan.",
                "Redemptions already made stay in the history and the reports."),
        ],
        action=f"{BASE}/{offer.id}/akhiri",
        button=say("Ya, akhiri penawaran", "Yes, end the offer"),
        back=f"{BASE}/{offer.id}",
        reason="text",
        reason_label=say("Catatan", "Note"),
        reason_required=False,  # the API's reason for ending is optional
        reason_help=say("Mengapa diakhiri, mis. stok habis. Tercatat di riwayat penawaran.",
                        "Why it ends, e.g. out of stock. Kept in the offer's history."),
    )  # fmt: skip


async def _move(
    request: Request[Any, Any, Any], settings: Settings, offer_id: uuid.UUID, target: OfferStatus, done: str
) -> Any:
    """Submit, pause or resume (nothing to ask; each can be followed by another move), back to the list."""
    user, partner_id = await manager(request, settings)
    try:
        await offers.move_by_manager(partner_id, offer_id, target, None, user)
    except NotFound:
        raise
    except DomainError as error:
        return await _list(request, settings, partner_id, error)
    return Redirect(f"{BASE}?ok={done}#penawaran-{offer_id}", status_code=303)


async def _list(
    request: Request[Any, Any, Any], settings: Settings, partner_id: uuid.UUID, error: DomainError | None = None
) -> Template:
    language = page_language(request, settings.language)
    partner = await onboarding.read_partner(partner_id)
    items = await offers.list_offers(partner_id)
    return Template(
        "mitra/penawaran.html",
        context={
            "offers": [
                {
                    "offer": offer,
                    "summary": offer_rules.summary(offer.rules, language),
                    "status": status_view(offer, language),
                    "can": actions_for(offer.status),
                }
                for offer in reversed(items)  # newest first
            ],
            "partner_approved": partner.status == PartnerStatus.APPROVED,
            "notice": notice(request, SAVED, language),
            "refusal": problems_by_field(refusal(error, language), language).get("") if error else None,
        },
        status_code=refusal_status(error) if error else 200,
    )


async def _form(
    request: Request[Any, Any, Any],
    settings: Settings,
    partner_id: uuid.UUID,
    offer: OfferRead | None,
    values: Mapping[str, str],
    error: DomainError | None = None,
    first_look: bool = False,
    checked_now: bool = False,
) -> Template:
    """The form with what was typed, the problems beside their fields, and the summary as it stands.
    `checked_now`: the no-JavaScript summary button, which shows the problems without saving."""
    language = page_language(request, settings.language)
    shown = await preview(values, partner_id, language, _today(settings), first_look=first_look)
    problems = shown_problems(refusal(error, language) if error else None, values, language)
    if checked_now:
        problems = {name: message for name, _, message in shown.problems}
    kecamatan = await list_regions(RegionLevel.KECAMATAN, "17.71")
    kelurahan = await list_regions(RegionLevel.KELURAHAN)
    known = {row["code"] for row in kecamatan} | {row["code"] for row in kelurahan}
    return Template(
        "mitra/penawaran_form.html",
        context={
            "offer": offer,
            "status": status_view(offer, language) if offer else None,
            "history": history_view(offer, language) if offer else [],
            "can": actions_for(offer.status) if offer else {},
            "values": dict(values),
            "problems": problems,
            "preview": shown,
            "labels": {name: label.render(language) for name, label in LABELS.items()},
            "benefit_kinds": [(kind.value, name.render(language)) for kind, name in BENEFIT_NAMES.items()],
            # which kinds of benefit use a field: the page hides the others' fields once a kind is chosen
            "uses": {
                key: [k.value for k in BenefitType if key in offer_rules.benefit_fields(k)] for key in BENEFIT_KEYS
            },
            "weekdays": [(day, name.render(language)) for day, name in enumerate(WEEKDAYS, start=1)],
            "blackout_rows": range(blackout_row_count(values)),
            "periods": [period.value for period in LimitPeriod],
            "kecamatan": [_kecamatan(row, kelurahan, values) for row in kecamatan],
            "other_regions": sorted(code for code in ticked(values, "region.") if code not in known),
            "outlets": await outlets.list_outlets(partner_id),
            "action": f"{BASE}/{offer.id}" if offer else f"{BASE}/baru",
        },
        status_code=refusal_status(error) if error else 200,
    )


def _kecamatan(
    row: dict[str, Any], kelurahan: list[dict[str, Any]], values: Mapping[str, str]
) -> tuple[str, str, list[tuple[str, str]], bool]:
    """A kecamatan with its kelurahan, and whether one of them is ticked (its list then starts open)."""
    inside = sorted(((k["code"], k["name"]) for k in kelurahan if k["parent_code"] == row["code"]), key=lambda k: k[1])
    return row["code"], row["name"], inside, any(checked(values, f"region.{code}") for code, _ in inside)
