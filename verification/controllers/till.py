"""HTTP for the till: scan (no side effects), redeem (with Idempotency-Key), void, and a partner's history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from core.auth import AuthedRequest, client_ip
from core.guards import requires_cashier, requires_partner_staff, requires_scope
from core.localtime import check_days, utc_now
from core.openapi import raises
from core.problems import request_language
from core.settings import Settings
from core.stores import Stores
from core.web import csv_response
from partners.errors import OfferNotFound, PartnerNotApproved, PartnerNotFound
from partners.service.rules import benefit_text
from verification.errors import (
    CardRefused,
    CardVelocity,
    CredentialRefused,
    IdempotencyKeyInFlight,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    Ineligible,
    ManualCodeThrottled,
    OutletInactive,
    PurchaseAmountRequired,
    RedemptionNotFound,
    ScanThrottled,
    StatusListNotFound,
    VoidWindowClosed,
)
from verification.schemas import (
    HistoryPage,
    HistoryRow,
    OfflineKit,
    RedeemRequest,
    RedemptionReceipt,
    ScanBenefit,
    ScanCard,
    ScanOffer,
    ScanRequest,
    ScanResponse,
    StatusListRef,
    StatusLists,
    VoidRequest,
    VoidResponse,
)
from verification.service import history, offline, redeem, scan, snapshots, void
from verification.service.keys import KeyRing

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", max_length=128, description="Unique per redemption; reused on retry"),
]
DeviceId = Annotated[str | None, HeaderParameter(name="X-Device-Id", max_length=64)]


def _scan_response(result: scan.ScanResult, language: str) -> ScanResponse:
    english = language == "en"
    card_message = result.refusal.render_detail(language) if result.refusal else None
    card_code = result.refusal.code if result.refusal else None
    offers = []
    for item in result.verdicts:
        rules, verdict = item.offer.rules, item.verdict
        refusal = verdict.refusal
        offers.append(
            ScanOffer(
                offer_id=item.offer.id,
                title=(rules.title_en if english and rules.title_en else rules.title),
                benefit=ScanBenefit(
                    type=rules.benefit.type.value,
                    text=benefit_text(rules.benefit, language),
                    percent=rules.benefit.percent,
                    max_discount=rules.benefit.max_discount,
                    amount=rules.benefit.amount,
                    value=rules.benefit.value,
                    item=rules.benefit.item,
                ),
                eligible=verdict.eligible and result.refusal is None,
                reason_code=refusal.code if refusal else card_code,
                message=refusal.render_detail(language) if refusal else card_message,
                next_eligible_at=verdict.next_eligible_at,
                remaining=verdict.remaining,
                period=verdict.period,
                min_purchase=rules.min_purchase,
                needs_purchase_amount=item.needs_purchase_amount,
            )
        )
    return ScanResponse(
        card=ScanCard(
            status=result.status,
            age_years=result.age_years,
            holder_ref=result.holder_ref,
            reason_code=card_code,
            message=card_message,
        ),
        offers=offers,
    )


class TillController(Controller):
    path = "/api/v1/verification"
    tags = ["verification"]

    @get(
        "/offline-kit",
        guards=[requires_cashier, requires_scope("redeem")],
        summary="What the till keeps to check cards and confirm redemptions offline (keys, status lists, offers)",
        opt=raises(PartnerNotFound, PartnerNotApproved, OutletInactive),
    )
    async def offline_kit(
        self,
        request: AuthedRequest,
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Response[OfflineKit]:
        found = await offline.kit(request.user, None, client_ip(request), keyring, settings, stores, utc_now())
        return Response(found, headers={"Cache-Control": "private, no-store"})

    @get(
        "/status-lists",
        guards=[requires_cashier, requires_scope("scan")],
        summary="The status lists this till needs to check cards offline",
        opt=raises(PartnerNotFound, PartnerNotApproved, OutletInactive),
    )
    async def status_lists(self, request: AuthedRequest, settings: NamedDependency[Settings]) -> StatusLists:
        numbers = list(await snapshots.till_lists(request.user, None, client_ip(request)))
        return StatusLists(
            lists=[StatusListRef(n, f"/api/v1/verification/status-lists/{n}") for n in numbers],
            ttl_seconds=settings.status_list_ttl,
        )

    @get(
        "/status-lists/{number:int}",
        guards=[requires_cashier, requires_scope("scan")],
        media_type="application/vc+jwt",
        summary="One status list: a W3C Bitstring Status List credential, signed (VC-JOSE-COSE)",
        opt=raises(PartnerNotFound, PartnerNotApproved, OutletInactive, StatusListNotFound),
    )
    async def status_list(
        self,
        number: FromPath[int],
        request: AuthedRequest,
        keyring: NamedDependency[KeyRing],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Response[str]:
        token = await snapshots.till_list(number, request.user, None, client_ip(request), keyring, settings, stores)
        return Response(token, media_type="application/vc+jwt", headers={"Cache-Control": "private, no-cache"})

    @post(
        "/scan",
        guards=[requires_cashier, requires_scope("scan")],
        status_code=HTTP_200_OK,
        summary="Which offers apply to this card here and now, and why not the others (writes nothing)",
        opt=raises(
            PartnerNotFound, PartnerNotApproved, OutletInactive, ScanThrottled, ManualCodeThrottled, CardVelocity
        ),
    )
    async def scan(
        self,
        data: JSONBody[ScanRequest],
        request: AuthedRequest,
        keyring: NamedDependency[KeyRing],
        stores: NamedDependency[Stores],
        settings: NamedDependency[Settings],
        device_id: DeviceId = None,
    ) -> ScanResponse:
        result = await scan.scan(
            data.qr, request.user, device_id, client_ip(request), keyring, stores, settings, utc_now()
        )
        return _scan_response(result, request_language(request))

    @post(
        "/redemptions",
        guards=[requires_cashier, requires_scope("redeem")],
        status_code=HTTP_201_CREATED,
        summary="Give the benefit, exactly once per Idempotency-Key",
        opt=raises(
            PartnerNotFound,
            PartnerNotApproved,
            OutletInactive,
            ScanThrottled,
            ManualCodeThrottled,
            CardVelocity,
            IdempotencyKeyRequired,
            IdempotencyKeyReused,
            IdempotencyKeyInFlight,
            CredentialRefused,
            CardRefused,
            Ineligible,
            OfferNotFound,
            PurchaseAmountRequired,
        ),
    )
    async def redeem(
        self,
        data: JSONBody[RedeemRequest],
        request: AuthedRequest,
        keyring: NamedDependency[KeyRing],
        stores: NamedDependency[Stores],
        settings: NamedDependency[Settings],
        idempotency_key: IdempotencyKey = None,
        device_id: DeviceId = None,
    ) -> RedemptionReceipt:
        if not idempotency_key or not idempotency_key.strip():
            raise IdempotencyKeyRequired()
        return await redeem.redeem(
            data.qr, data.offer_id, None if data.purchase_amount is None else int(data.purchase_amount),
            idempotency_key.strip(), request.user, device_id,
            client_ip(request), keyring, stores, settings, language=request_language(request),
            offline_at=data.offline_at,
        )  # fmt: skip

    @post(
        "/redemptions/{redemption_id:uuid}/void",
        guards=[requires_partner_staff, requires_scope("redeem")],
        status_code=HTTP_200_OK,
        summary="Undo a redemption within the void window (idempotent)",
        opt=raises(PartnerNotFound, RedemptionNotFound, VoidWindowClosed),
    )
    async def void(
        self,
        redemption_id: FromPath[uuid.UUID],
        request: AuthedRequest,
        stores: NamedDependency[Stores],
        data: JSONBody[VoidRequest | None] = None,
        device_id: DeviceId = None,
    ) -> VoidResponse:
        return await void.void(redemption_id, data.reason if data else None, request.user, stores, device_id=device_id)

    @get(
        "/redemptions",
        guards=[requires_partner_staff, requires_scope("redeem")],
        summary="The partner's redemptions (a cashier: their outlet, today); ?format=csv for a spreadsheet",
        opt=raises(PartnerNotFound),
    )
    async def list_redemptions(
        self,
        request: AuthedRequest,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_until: Annotated[date | None, QueryParameter(name="until")] = None,
        outlet_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        offer_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=history.DEEPEST_OFFSET)] = 0,
        format: Annotated[str, QueryParameter(pattern="^(json|csv)$")] = "json",
    ) -> Response[Any]:
        check_days({"from": date_from, "until": date_until})
        wanted = history.HistoryFilter(date_from, date_until, outlet_id, offer_id, limit, offset)
        rows, total = await history.history(request.user, wanted)
        items = await history.history_rows(request.user, rows)
        if format == "csv":
            return _csv(items)
        return Response(HistoryPage(items=items, total=total, limit=limit, offset=offset))


def _csv(items: list[HistoryRow]) -> Response[bytes]:
    """Through the one sanitising writer: an outlet named `=HYPERLINK(...)` is text in a spreadsheet, not a formula."""
    rows = [{column: getattr(item, column) for column in history.HISTORY_CSV_COLUMNS} for item in items]
    response: Response[bytes] = csv_response(rows, "penukaran.csv", list(history.HISTORY_CSV_COLUMNS))
    return response
