"""HTML for Dukcapil's work on one card at /admin/kartu: find it by the manual code under its QR (never by name or
NIK), read its status and history, print its QR, and revoke, reissue or erase it behind a confirmation page. The
same service calls as /api/v1/admin/cards, which is for the Dukcapil admin only, so these pages are too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from admin.controllers.cards import NO_STORE, Revocation
from admin.controllers.console import DUKCAPIL, Form, admin, labels
from admin.service import printing, reports
from core.auth import PUBLIC
from core.errors import REQUIRED_FIELD, DomainError, FieldProblem, Invalid
from core.forms import Confirmation, confirmation_page, notice, problem_of, problems_by_field, text, to_struct
from core.i18n import Language, Text
from core.localtime import local_date, utc_now
from core.service import users
from core.settings import Settings
from core.stores import Stores
from partners.controllers.pages import refusal_status
from verification.errors import CardNotFound
from verification.service import cards, credentials
from verification.service.cards import CardDetail
from verification.service.keys import KeyRing
from verification.tables import CardStatus, RevocationReason

PATH = "/admin/kartu"
MESSAGES = {
    "dicabut": Text("Kartu dicabut. Kasir menolaknya mulai sekarang.", "Card revoked. Cashiers refuse it from now on."),
    "diterbitkan-ulang": Text(
        "Kartu diterbitkan ulang dengan kode manual baru. Cetak QR baru: stiker lama tidak berlaku lagi.",
        "Card reissued with a new manual code. Print the new QR: the old sticker no longer works.",
    ),
    "persetujuan-ditarik": Text(
        "Persetujuan ditarik: kartu dicabut dan data pribadinya dihapus.",
        "Consent withdrawn: the card is revoked and its personal data erased.",
    ),
}
KIA_TYPES = {
    "under_5": Text("KIA anak di bawah 5 tahun", "KIA for a child under 5"),
    "5_to_17": Text("KIA anak 5 sampai 17 tahun", "KIA for a child aged 5 to 17"),
}
GUARDIANS = {"ayah": Text("Ayah", "Father"), "ibu": Text("Ibu", "Mother"), "wali": Text("Wali", "Guardian")}
SYSTEM = Text("Sistem (perintah impor atau cetak)", "System (import or print command)")
# A new sticker is for a lost or damaged one; the other reasons end the card (revoke).
REISSUE_REASONS = (RevocationReason.LOST, RevocationReason.DAMAGED)
# Withdrawn consent also erases data: it has its own action, not a revocation reason here.
REVOKE_REASONS = tuple(reason for reason in RevocationReason if reason is not RevocationReason.CONSENT_WITHDRAWN)


class CardPages(Controller):
    path = PATH
    opt = {PUBLIC: True}  # pages: `admin()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="card_search_page", media_type=MediaType.HTML)
    async def find(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Any:
        _, language = await admin(request, settings)
        raw = request.query_params.get("manual_code")
        if raw is None:
            return _search(language, "")
        try:
            if not raw.strip():
                raise Invalid([FieldProblem("manual_code", "required", REQUIRED_FIELD)])
            card_id = await cards.find_by_manual_code(raw)
        except (Invalid, CardNotFound) as error:
            return _search(
                language, raw, problem_of(error, "manual_code"), 404 if isinstance(error, CardNotFound) else 422
            )
        return Redirect(f"{PATH}/{card_id}", status_code=303)

    @get("/{card_id:uuid}", name="card_page", media_type=MediaType.HTML)
    async def read(
        self, request: Request[Any, Any, Any], card_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, language = await admin(request, settings)
        card = await _detail(card_id, settings)
        tree = await reports.region_tree()
        kecamatan = tree.parents.get(card.kelurahan_code) or ""
        return Template(
            "admin/kartu.html",
            context={
                "card": card,
                "labels": labels(language),
                "kia_type": KIA_TYPES[card.kia_type].render(language) if card.kia_type else None,
                "guardian": _guardian(card.consent_guardian, language),
                "kelurahan": (card.kelurahan_code, tree.names.get(card.kelurahan_code, "")),
                "kecamatan": (kecamatan, tree.names.get(kecamatan, "")),
                "history": await _history(card, language),
                "active": card.status is CardStatus.ACTIVE,
                "erased": card.status_reason == RevocationReason.CONSENT_WITHDRAWN,
                "notice": notice(request, MESSAGES, language),
            },
        )

    @get("/{card_id:uuid}/qr.png", name="card_qr_png", media_type="image/png")
    async def qr_png(
        self,
        request: Request[Any, Any, Any],
        card_id: FromPath[uuid.UUID],
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        user, _ = await admin(request, settings)
        qr, manual_code = await cards.issue_qr_text(card_id, keyring, settings)
        await cards.mark_printed([card_id], user)
        saved_as = {
            "Content-Disposition": f'attachment; filename="kia-{credentials.format_manual_code(manual_code)}.png"'
        }
        return Response(credentials.qr_png(qr), media_type="image/png", headers={**NO_STORE, **saved_as})

    @get("/{card_id:uuid}/stiker.pdf", name="card_sticker_pdf", media_type="application/pdf")
    async def sticker(
        self,
        request: Request[Any, Any, Any],
        card_id: FromPath[uuid.UUID],
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        user, _ = await admin(request, settings)
        pdf = await printing.sticker_pdf([card_id], keyring, settings, user)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={**NO_STORE, "Content-Disposition": f'inline; filename="stiker-{card_id}.pdf"'},
        )

    @get("/{card_id:uuid}/cabut", name="card_revoke_page", media_type=MediaType.HTML)
    async def confirm_revocation(
        self, request: Request[Any, Any, Any], card_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, language = await admin(request, settings)
        return confirmation_page(_revocation(await _detail(card_id, settings), language), language)

    @post("/{card_id:uuid}/cabut", media_type=MediaType.HTML, status_code=303)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        card_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Any:
        user, language = await admin(request, settings)
        confirmation = _revocation(await _detail(card_id, settings), language)
        try:
            await cards.revoke(card_id, _reason(data).reason, user, stores)
        except DomainError as error:
            return _refused(confirmation, language, data, error)
        return Redirect(f"{PATH}/{card_id}?ok=dicabut", status_code=303)

    @get("/{card_id:uuid}/terbitkan-ulang", name="card_reissue_page", media_type=MediaType.HTML)
    async def confirm_reissue(
        self, request: Request[Any, Any, Any], card_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, language = await admin(request, settings)
        return confirmation_page(_reissue(await _detail(card_id, settings), language), language)

    @post("/{card_id:uuid}/terbitkan-ulang", media_type=MediaType.HTML, status_code=303)
    async def reissue(
        self,
        request: Request[Any, Any, Any],
        card_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Any:
        user, language = await admin(request, settings)
        confirmation = _reissue(await _detail(card_id, settings), language)
        try:
            await cards.reissue(card_id, _reason(data).reason, user, stores)
        except DomainError as error:
            return _refused(confirmation, language, data, error)
        return Redirect(f"{PATH}/{card_id}?ok=diterbitkan-ulang", status_code=303)

    @get("/{card_id:uuid}/tarik-persetujuan", name="card_consent_withdrawal_page", media_type=MediaType.HTML)
    async def confirm_withdrawal(
        self, request: Request[Any, Any, Any], card_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        _, language = await admin(request, settings)
        return confirmation_page(_withdrawal(await _detail(card_id, settings), language), language)

    @post("/{card_id:uuid}/tarik-persetujuan", media_type=MediaType.HTML, status_code=303)
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        card_id: FromPath[uuid.UUID],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Any:
        user, language = await admin(request, settings)
        confirmation = _withdrawal(await _detail(card_id, settings), language)
        try:
            await cards.withdraw_consent(card_id, user, stores)
        except DomainError as error:
            return _refused(confirmation, language, {}, error)
        return Redirect(f"{PATH}/{card_id}?ok=persetujuan-ditarik", status_code=303)


def _search(language: Language, value: str, problem: Invalid | None = None, status: int = 200) -> Template:
    return Template(
        "admin/kartu_cari.html",
        context={"value": value, "problems": problems_by_field(problem, language)},
        status_code=status if problem else 200,
    )


def _guardian(guardian: str | None, language: Language) -> str | None:
    """Who gave consent, by relation (ayah, ibu, wali); None once consent was withdrawn and erased."""
    if guardian is None:
        return None
    return GUARDIANS[guardian].render(language) if guardian in GUARDIANS else guardian


async def _detail(card_id: uuid.UUID, settings: Settings) -> CardDetail:
    return await cards.detail(card_id, local_date(utc_now(), settings.timezone))


async def _history(card: CardDetail, language: Language) -> list[dict[str, Any]]:
    """The card's events, newest first, with who did each (a staff name, or the system for the CLI)."""
    staff = {
        row["id"]: f"{row['display_name']} ({row['username']})" for row in await users.list_users(frozenset(DUKCAPIL))
    }
    return [
        {
            **event,
            "occurred_at": datetime.fromisoformat(event["occurred_at"]),
            "actor": staff.get(event["actor_id"], "—") if event.get("actor_id") else SYSTEM.render(language),
        }
        for event in reversed(card.history)
    ]


def _reason(data: dict[str, str]) -> Revocation:
    """The chosen reason as the API's body (an empty choice is a missing field: "required")."""
    reason = text(data, "reason")
    return to_struct(Revocation, {"reason": reason} if reason else {})


def _refused(confirmation: Confirmation, language: Language, data: dict[str, str], error: DomainError) -> Template:
    return confirmation_page(confirmation, language, data, problem_of(error), refusal_status(error))


def _subject(card: CardDetail, language: Language) -> str:
    return Text(
        "Kartu {code} · versi kredensial {cv} · status: {status}",
        "Card {code} · credential version {cv} · status: {status}",
    ).render(language, code=card.manual_code, cv=card.cv, status=labels(language)["card_status"][card.status.value])


def _choices(reasons: tuple[RevocationReason, ...], language: Language) -> list[tuple[str, str]]:
    names = labels(language)["revocation_reason"]
    return [("", Text("— pilih alasan —", "— choose a reason —").render(language))] + [
        (reason.value, names[reason.value]) for reason in reasons
    ]


def _revocation(card: CardDetail, language: Language) -> Confirmation:
    consequences = [
        Text(
            "Kartu berhenti berlaku seketika: setiap kasir menolak QR dan kode manualnya.",
            "The card stops working at once: every cashier refuses its QR and its manual code.",
        ),
        Text(
            "Pencabutan tidak dapat dibatalkan. Bila stiker hilang atau rusak dan anak masih berhak, pilih "
            "Terbitkan ulang, bukan Cabut.",
            "A revocation cannot be undone. If the sticker was lost or damaged and the child is still eligible, "
            "choose Reissue, not Revoke.",
        ),
        Text(
            "Bila orang tua menarik persetujuan, pakai Tarik persetujuan: data pribadinya juga dihapus.",
            "If the parent withdraws consent, use Withdraw consent: it also erases the personal data.",
        ),
    ]
    return Confirmation(
        layout="admin/layout.html",
        title=Text("Cabut kartu {code}?", "Revoke card {code}?").render(language, code=card.manual_code),
        subject=_subject(card, language),
        consequences=[line.render(language) for line in consequences],
        action=f"{PATH}/{card.id}/cabut",
        button=Text("Ya, cabut kartu ini", "Yes, revoke this card").render(language),
        back=f"{PATH}/{card.id}",
        reason="choice",
        reason_label=Text("Alasan pencabutan", "Reason for the revocation").render(language),
        choices=_choices(REVOKE_REASONS, language),
    )


def _reissue(card: CardDetail, language: Language) -> Confirmation:
    consequences = [
        Text(
            "Kartu mendapat versi kredensial {cv} dan kode manual baru; QR dan kode lama (versi {old}) langsung "
            "ditolak kasir.",
            "The card gets credential version {cv} and a new manual code; the old QR and code (version {old}) are "
            "refused by cashiers at once.",
        ),
        Text(
            "Anak tetap terdaftar dengan riwayat dan persetujuan yang sama.",
            "The child stays enrolled with the same history and consent.",
        ),
        Text(
            "Setelah ini, cetak QR baru dari halaman kartu dan tempelkan pada KIA.",
            "Afterwards, print the new QR from the card's page and stick it on the KIA.",
        ),
    ]
    return Confirmation(
        layout="admin/layout.html",
        title=Text("Terbitkan ulang kartu {code}?", "Reissue card {code}?").render(language, code=card.manual_code),
        subject=_subject(card, language),
        consequences=[line.render(language, cv=card.cv + 1, old=card.cv) for line in consequences],
        action=f"{PATH}/{card.id}/terbitkan-ulang",
        button=Text("Terbitkan ulang", "Reissue").render(language),
        back=f"{PATH}/{card.id}",
        reason="choice",
        reason_label=Text("Mengapa stiker diganti?", "Why is the sticker replaced?").render(language),
        choices=_choices(REISSUE_REASONS, language),
        danger=False,
    )


def _withdrawal(card: CardDetail, language: Language) -> Confirmation:
    consequences = [
        Text(
            "Kartu dicabut seketika: setiap kasir menolak QR dan kode manualnya.",
            "The card is revoked at once: every cashier refuses its QR and its manual code.",
        ),
        Text(
            "Data pribadi anak DIHAPUS: tanggal lahir (tinggal tahunnya), jenis kelamin, sidik NIK, dan rincian "
            "persetujuan (wali, versi naskah, waktu).",
            "The child's personal data is ERASED: the birth date (only its year stays), sex, the NIK fingerprint, "
            "and the consent details (guardian, text version, time).",
        ),
        Text(
            "Yang tersisa hanya angka untuk laporan: tahun lahir, kelurahan, tanggal cetak KIA dan tanggal "
            "terdaftar, saluran.",
            "Only what reports count remains: birth year, kelurahan, KIA print date and enrolment date, channel.",
        ),
        Text(
            "Tindakan ini TIDAK DAPAT DIBATALKAN. Bila orang tua kemudian setuju lagi, anak didaftarkan kembali "
            "lewat impor SIAK dan mendapat kartu baru.",
            "This CANNOT BE UNDONE. If the parent consents again later, the child is enrolled again through the "
            "SIAK import and gets a new card.",
        ),
    ]
    return Confirmation(
        layout="admin/layout.html",
        title=Text(
            "Tarik persetujuan orang tua untuk kartu {code}?", "Withdraw parental consent for card {code}?"
        ).render(language, code=card.manual_code),
        subject=_subject(card, language),
        consequences=[line.render(language) for line in consequences],
        action=f"{PATH}/{card.id}/tarik-persetujuan",
        button=Text("Ya, cabut kartu dan hapus datanya", "Yes, revoke the card and erase its data").render(language),
        back=f"{PATH}/{card.id}",
    )
