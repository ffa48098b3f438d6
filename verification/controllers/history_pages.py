"""HTML for the partner's redemption history at /mitra/riwayat: filters, pages, a CSV of the filtered rows, and voiding
a redemption within its window after a confirmation. The same service and rows as /api/v1/verification/redemptions;
children appear in none of it (the history holds no NIK, name or birth date)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.response import Template

from core.auth import CurrentUser
from core.confirm import Acting, ConfirmedAction
from core.forms import Filters, problems_by_field, to_struct
from core.localtime import utc_now
from core.web import csv_response
from partners.controllers.deps import Manager, manager_pages
from partners.service import outlets
from partners.service.offers import list_offers
from verification.schemas import HistoryRow, VoidRequest
from verification.service import history as redemptions
from verification.service import void as voids
from verification.tables import RedemptionStatus

PAGE_SIZE = 50
LAST_PAGE = redemptions.DEEPEST_OFFSET // PAGE_SIZE
CSV_BATCH = 1000  # the API's largest page
STATUSES = (RedemptionStatus.COMPLETED.value, RedemptionStatus.VOIDED.value)


def _wanted(request: Request[Any, Any, Any]) -> tuple[Filters, redemptions.HistoryFilter, int]:
    """The filters as typed (shown again, with a problem beside one that does not parse) and as the service's."""
    typed = Filters(request.query_params, ("dari", "sampai", "outlet", "penawaran", "status"))
    raw_page = request.query_params.get("halaman") or "1"
    # A page past any history (or `²`, a digit int() refuses) is the first page, as any other nonsense is.
    fits = raw_page.isdecimal() and len(raw_page) <= len(str(LAST_PAGE))
    page = int(raw_page) if fits and 1 <= int(raw_page) <= LAST_PAGE else 1
    status = typed.choice("status", STATUSES)
    wanted = redemptions.HistoryFilter(
        date_from=typed.day("dari"), date_until=typed.day("sampai"), outlet_id=typed.identifier("outlet"),
        offer_id=typed.identifier("penawaran"), status=RedemptionStatus(status) if status else None, limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip
    return typed, wanted, page


class HistoryPages(Controller):
    path = "/riwayat"

    @get("/", name="partner_history", media_type=MediaType.HTML)
    async def history(self, request: Request[Any, Any, Any], manager: NamedDependency[Manager]) -> Template:
        typed, wanted, page = _wanted(request)
        rows, total = await redemptions.history(manager.user, wanted)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        return Template(
            "mitra/riwayat.html",
            context={
                "rows": await redemptions.history_rows(manager.user, rows),
                "total": total,
                "page": page,
                "pages": pages,
                "previous": typed.link(halaman=page - 1) if page > 1 else None,
                "next": typed.link(halaman=page + 1) if page < pages else None,
                "download": typed.link(),
                "values": typed.values,
                "problems": problems_by_field(typed.problem, manager.language),
                "outlets": [(str(o.id), o.name) for o in await outlets.list_outlets(manager.partner_id)],
                "offers": [(str(o.id), o.rules.title) for o in await list_offers(manager.partner_id)],
                "statuses": STATUSES,
                "now": utc_now(),
            },
            status_code=422 if typed.problems else 200,
        )

    @get("/unduh.csv", name="partner_history_csv")
    async def download(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Any:
        _, wanted, _ = _wanted(request)
        items: list[HistoryRow] = []
        offset = 0
        while True:  # every filtered row, in the API's largest pages
            batch = dataclasses.replace(wanted, limit=CSV_BATCH, offset=offset)
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
