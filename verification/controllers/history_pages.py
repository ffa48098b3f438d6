"""HTML for the partner's redemption history at /mitra/riwayat: filters, pages, a CSV of the filtered rows, and voiding
a redemption within its window after a confirmation. The same service and rows as /api/v1/verification/redemptions;
children appear in none of it (the history holds no NIK, name or birth date)."""

from __future__ import annotations

import dataclasses
import math
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import msgspec
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
    to_struct,
)
from core.i18n import Language, Text
from core.localtime import utc_now
from core.money import format_rupiah
from core.pages import page_language
from core.settings import Settings
from core.stores import Stores
from core.web import csv_response
from partners.controllers.pages import Form, manager
from partners.service import outlets
from partners.service.offers import list_offers
from verification.errors import RedemptionNotFound
from verification.schemas import HistoryRow, VoidRequest
from verification.service import history as redemptions
from verification.service import void as voids
from verification.tables import RedemptionStatus

PAGE_SIZE = 50
CSV_BATCH = 1000  # the API's largest page
STATUSES = {
    RedemptionStatus.COMPLETED.value: Text("Selesai", "Completed"),
    RedemptionStatus.VOIDED.value: Text("Dibatalkan", "Voided"),
}
SAVED = {"dibatalkan": Text("Penukaran dibatalkan.", "Redemption voided.")}
BAD_DATE = Text("Tanggal tidak valid (YYYY-MM-DD).", "Not a valid date (YYYY-MM-DD).")
BAD_CHOICE = Text("Pilihan tidak dikenal.", "Unknown choice.")


@dataclass
class Wanted:
    """The filters as typed (to show them again) and as the service's filter; problems for fields that did not
    parse (that filter is left out, the others still apply)."""

    values: dict[str, str]
    filter: redemptions.HistoryFilter
    page: int
    problems: list[FieldProblem] = field(default_factory=list)

    def query(self, **changes: Any) -> str:
        kept = {key: value for key, value in {**self.values, **changes}.items() if value}
        return urlencode(kept)


def _wanted(request: Request[Any, Any, Any]) -> Wanted:
    params = request.query_params
    values = {name: (params.get(name) or "").strip() for name in ("dari", "sampai", "outlet", "penawaran", "status")}
    problems: list[FieldProblem] = []

    def day(name: str) -> date | None:
        if not values[name]:
            return None
        try:
            return date.fromisoformat(values[name])
        except ValueError:
            problems.append(FieldProblem(name, "invalid_date", BAD_DATE))
            return None

    def identifier(name: str) -> uuid.UUID | None:
        if not values[name]:
            return None
        try:
            return uuid.UUID(values[name])
        except ValueError:
            problems.append(FieldProblem(name, "unknown_choice", BAD_CHOICE))
            return None

    status = None
    if values["status"]:
        if values["status"] in STATUSES:
            status = RedemptionStatus(values["status"])
        else:
            problems.append(FieldProblem("status", "unknown_choice", BAD_CHOICE))
    raw_page = params.get("halaman") or "1"
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) >= 1 else 1
    wanted = redemptions.HistoryFilter(
        date_from=day("dari"), date_until=day("sampai"), outlet_id=identifier("outlet"),
        offer_id=identifier("penawaran"), status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip
    return Wanted(values, wanted, page, problems)


async def _one(user: CurrentUser, redemption_id: uuid.UUID) -> HistoryRow:
    """One of the partner's redemptions, as the history shows it; another partner's: not found."""
    rows, _ = await redemptions.history(user, redemptions.HistoryFilter(redemption_id=redemption_id, limit=1))
    if not rows:
        raise RedemptionNotFound()
    return (await redemptions.history_rows(user, rows))[0]


class HistoryPages(Controller):
    path = "/mitra/riwayat"
    opt = {PUBLIC: True}  # pages: `manager()` checks the session cookie and the role
    include_in_schema = False

    @get("/", name="partner_history", media_type=MediaType.HTML)
    async def history(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        user, partner_id = await manager(request, settings)
        language = page_language(request, settings.language)
        wanted = _wanted(request)
        rows, total = await redemptions.history(user, wanted.filter)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        return Template(
            "mitra/riwayat.html",
            context={
                "rows": await redemptions.history_rows(user, rows),
                "total": total,
                "page": wanted.page,
                "pages": pages,
                "previous": wanted.query(halaman=str(wanted.page - 1)) if wanted.page > 1 else None,
                "next": wanted.query(halaman=str(wanted.page + 1)) if wanted.page < pages else None,
                "download": wanted.query(halaman=""),
                "values": wanted.values,
                "problems": problems_by_field(Invalid(wanted.problems) if wanted.problems else None, language),
                "outlets": [(str(o.id), o.name) for o in await outlets.list_outlets(partner_id)],
                "offers": [(str(o.id), o.rules.title) for o in await list_offers(partner_id)],
                "statuses": [(code, name.render(language)) for code, name in STATUSES.items()],
                "status_names": {code: name.render(language) for code, name in STATUSES.items()},
                "now": utc_now(),
                "notice": notice(request, SAVED, language),
            },
            status_code=422 if wanted.problems else 200,
        )

    @get("/unduh.csv", name="partner_history_csv")
    async def download(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Any:
        user, _ = await manager(request, settings)
        wanted = _wanted(request)
        items: list[HistoryRow] = []
        offset = 0
        while True:  # every filtered row, in the API's largest pages
            batch = dataclasses.replace(wanted.filter, limit=CSV_BATCH, offset=offset)
            rows, total = await redemptions.history(user, batch)
            items += await redemptions.history_rows(user, rows)
            offset += CSV_BATCH
            if not rows or offset >= total:
                break
        return csv_response(
            [msgspec.structs.asdict(item) for item in items],
            "riwayat-penukaran.csv",
            list(redemptions.HISTORY_CSV_COLUMNS),
        )

    @get("/{redemption_id:uuid}/batalkan", name="partner_history_void", media_type=MediaType.HTML)
    async def confirm_void(
        self, request: Request[Any, Any, Any], redemption_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]
    ) -> Template:
        user, _ = await manager(request, settings)
        row = await _one(user, redemption_id)  # another partner's: 404
        language = page_language(request, settings.language)
        return confirmation_page(_voiding(row, language), language)

    @post("/{redemption_id:uuid}/batalkan", media_type=MediaType.HTML, status_code=303)
    async def void(
        self,
        request: Request[Any, Any, Any],
        redemption_id: FromPath[uuid.UUID],
        data: Form,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Any:
        user, _ = await manager(request, settings)
        row = await _one(user, redemption_id)  # another partner's: 404
        language = page_language(request, settings.language)
        try:
            body = to_struct(VoidRequest, {"reason": optional(data, "reason")})
            await voids.void(redemption_id, body.reason, user, stores)
        except DomainError as refused:  # a reason too long (422), the window closed (409)
            return confirmation_page(
                _voiding(row, language), language, data, problem_of(refused), status=refusal_status(refused)
            )
        return Redirect("/mitra/riwayat?ok=dibatalkan", status_code=303)


def _voiding(row: HistoryRow, language: Language) -> Confirmation:
    def t(indonesian: str, english: str, **params: Any) -> str:
        return Text(indonesian, english).render(language, **params)

    return Confirmation(
        layout="mitra/layout.html",
        title=t("Batalkan penukaran", "Void a redemption"),
        subject=t(
            "Struk {code}: {offer} di {outlet}, {time}, diskon {discount}.",
            "Receipt {code}: {offer} at {outlet}, {time}, discount {discount}.",
            code=row.receipt_code,
            offer=row.offer_title,
            outlet=row.outlet_name,
            time=row.redeemed_at_local,
            discount=format_rupiah(row.discount_amount),
        ),
        consequences=[
            t(
                "Penukaran ini ditandai dibatalkan dan tidak dihitung lagi di laporan.",
                "This redemption is marked voided and no longer counts in the reports.",
            ),
            t(
                "Kuota dan anggaran penawaran, serta jatah anak untuk penawaran ini, kembali seperti sebelum "
                "penukaran.",
                "The offer's quota and budget, and the child's allowance for this offer, return to what they were.",
            ),
            t(
                "Pembatalan tidak dapat diurungkan. Bila manfaat tetap diberikan, kasir memindai kartunya lagi.",
                "A void cannot be undone. If the benefit is given after all, the cashier scans the card again.",
            ),
        ],
        action=f"/mitra/riwayat/{row.redemption_id}/batalkan",
        button=t("Batalkan penukaran", "Void the redemption"),
        back="/mitra/riwayat",
        reason="text",
        reason_label=t("Alasan pembatalan", "Reason for voiding"),
        reason_required=False,
        reason_help=t(
            "Boleh dikosongkan. Mis. salah pilih penawaran. Maksimal 200 karakter.",
            "May be left empty. E.g. the wrong offer was chosen. At most 200 characters.",
        ),
    )
