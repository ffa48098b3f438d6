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
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Template

from core.auth import CurrentUser
from core.confirm import Acting, ConfirmedAction
from core.errors import FieldProblem, Invalid
from core.forms import problems_by_field, to_struct
from core.i18n import Language, Text
from core.localtime import utc_now
from core.web import csv_response
from partners.controllers.deps import manager_pages
from partners.service import outlets
from partners.service.access import Membership
from partners.service.offers import list_offers
from verification.schemas import HistoryRow, VoidRequest
from verification.service import history as redemptions
from verification.service import void as voids
from verification.tables import RedemptionStatus

PAGE_SIZE = 50
CSV_BATCH = 1000  # the API's largest page
STATUSES = (RedemptionStatus.COMPLETED.value, RedemptionStatus.VOIDED.value)
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


class HistoryPages(Controller):
    path = "/riwayat"

    @get("/", name="partner_history", media_type=MediaType.HTML)
    async def history(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        membership: NamedDependency[Membership],
        language: NamedDependency[Language],
    ) -> Template:
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
                "outlets": [(str(o.id), o.name) for o in await outlets.list_outlets(membership.partner_id)],
                "offers": [(str(o.id), o.rules.title) for o in await list_offers(membership.partner_id)],
                "statuses": STATUSES,
                "now": utc_now(),
            },
            status_code=422 if wanted.problems else 200,
        )

    @get("/unduh.csv", name="partner_history_csv")
    async def download(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Any:
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


async def _redemption(acting: Acting) -> HistoryRow:
    return await redemptions.one_redemption(acting.user, acting.path("redemption_id"))  # another partner's: 404


async def _void(acting: Acting, row: HistoryRow) -> None:
    body = to_struct(VoidRequest, {"reason": acting.text("reason") or None})  # a reason too long: 422
    await voids.void(row.redemption_id, body.reason, acting.user, acting.stores)  # the window closed: 409


VOID = ConfirmedAction(
    path="/riwayat/{redemption_id:uuid}/batalkan", name="partner_history_void",
    template="mitra/konfirmasi/penukaran_batalkan.html", load=_redemption, act=_void,
    done=lambda _: "/mitra/riwayat?ok=dibatalkan",
)  # fmt: skip

history_pages = manager_pages(HistoryPages, *VOID.handlers())
