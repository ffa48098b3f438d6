"""Redeem: give the benefit once, in one transaction: lock the card row (per-card limits) and the offer row (quota
and budget), count, write, commit. It passes the same abuse limits and the same card check as a scan. An
Idempotency-Key makes a retry return the first answer; the database is the judge of that too (a unique index),
so Redis can vanish without a double redemption."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import structlog
from asyncpg.exceptions import LockNotAvailableError, QueryCanceledError
from piccolo.query.functions.aggregate import Count, Sum

from core.auth import CurrentUser
from core.database.statements import CompiledQuery, bulk_insert
from core.database.transactions import for_update, is_unique_violation, set_lock_timeout, write_transaction
from core.errors import DomainError
from core.localtime import utc_now
from core.service.regions import parent_of
from core.settings import Settings
from core.stores import Stores
from partners.errors import OfferNotFound
from partners.service import offers as partner_offers
from partners.service import webhooks
from partners.tables import WebhookEvent
from verification.errors import (
    CardRefused,
    CredentialRefused,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    Ineligible,
    MinimumPurchaseNotMet,
    OfferBudgetExhausted,
    PurchaseAmountRequired,
    RegionNotEligible,
)
from verification.schemas import RedemptionReceipt
from verification.service import cards, credentials, eligibility, rollups
from verification.service.abuse import check_rate_limits, check_velocity, is_typed
from verification.service.attempts import record_attempts
from verification.service.credentials import Presented
from verification.service.keys import KeyRing
from verification.service.limits import redeem_read
from verification.service.offline import OfflineSync, offline_sync
from verification.service.till import Till, holder_ref, till_for
from verification.service.void import void_deadline
from verification.tables import Card, IdempotencyRecord, OfferUsage, Redemption, RedemptionStatus

log = structlog.get_logger()

IN_FLIGHT = json.dumps({"state": "in_flight"})
LOCK_WAIT_SECONDS = 5  # a twin request waits this long for the first before answering 409 in-flight
RECEIPT_LENGTH = 8
# What a partner's webhook hears of a redemption: its own figures and the child's pseudonym for this partner
# (holder_ref), never the card, the child's age or where the child lives.
WEBHOOK_FIELDS = ("receipt_code", "offer_revision", "holder_ref", "purchase_amount", "discount_amount", "redeemed_at",
                  "local_date", "status", "flag", "synced_at")  # fmt: skip
# The refusals that are answers (stored under the Idempotency-Key and given again to a retry).
REFUSED = (Ineligible, CardRefused, CredentialRefused, OfferNotFound)


def _refusal_classes() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = list(REFUSED)
    while pending:
        cls = pending.pop()
        if "code" in cls.__dict__:
            found[cls.code] = cls
        pending += cls.__subclasses__()
    return found


REFUSALS = _refusal_classes()


def _refusal(code: str, params: dict[str, Any]) -> DomainError:
    return REFUSALS[code](**params)


def _request_hash(till: Till, text: str, offer_id: uuid.UUID, purchase_amount: int | None) -> str:
    canonical = json.dumps(
        {
            "qr": text.strip(),
            "offer_id": str(offer_id),
            "purchase_amount": purchase_amount,
            "outlet": str(till.outlet_id),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# The statements of every redeem, compiled once (core.database.statements.CompiledQuery).
_STORED_ANSWER = CompiledQuery(
    lambda scope, key: (
        IdempotencyRecord.select(IdempotencyRecord.request_hash, IdempotencyRecord.outcome)
        .where(IdempotencyRecord.scope == scope)
        .where(IdempotencyRecord.key == key)
        .output(load_json=True)
        .first()
    ),
    first=True,
    json_columns=("outcome",),
)
_LOCKED_CARD = CompiledQuery(
    lambda card_id: for_update(
        Card.select(
            Card.id, Card.cv, Card.status, Card.birth_date, Card.kelurahan_code, Card.enrolled_on, Card.channel,
            Card.first_redeemed_on,
        ).where(Card.id == card_id)
    ).first(),
    first=True,
)  # fmt: skip
_RECORD_OUTCOME = CompiledQuery(
    lambda outcome, scope, key: IdempotencyRecord.update({IdempotencyRecord.outcome: outcome}).where(
        (IdempotencyRecord.scope == scope) & (IdempotencyRecord.key == key)
    )
)
_FIRST_REDEEMED = CompiledQuery(
    lambda day, card_id: Card.update({Card.first_redeemed_on: day}).where(Card.id == card_id)
)
_USAGE = CompiledQuery(  # a metered offer's new totals, on its row held by `_hold_usage`
    lambda offer_id, used, spent, at: OfferUsage.update(
        {OfferUsage.redemptions: used, OfferUsage.discount_total: spent, OfferUsage.updated_at: at}
    ).where(OfferUsage.offer == offer_id)
)
_USAGE_ROW = CompiledQuery(  # made on the offer's first metered redemption, counted at once (revision -1)
    lambda offer_id, at: OfferUsage.insert(
        OfferUsage(offer=offer_id, redemptions=0, discount_total=0, revision=-1, updated_at=at)
    ).on_conflict(target=OfferUsage.offer, action="DO NOTHING")
)
_LOCKED_USAGE = CompiledQuery(
    lambda offer_id: for_update(OfferUsage.select(OfferUsage.revision).where(OfferUsage.offer == offer_id)).first(),
    first=True,
)


async def _hold_usage(offer: partner_offers.TillOffer, now: datetime) -> None:
    """Lock a metered offer's totals for this redemption: redemptions of one metered offer take their turns here
    (and only here). Totals counted under another revision (the offer was not metered then, so its redemptions were
    not counted) are recounted from the redemptions first: the change of revision waited for every redemption under
    the old one to commit (`till_offers(lock=True)`), so the count is exact."""
    await _USAGE_ROW(offer.id, now)
    held = await _LOCKED_USAGE(offer.id)
    if held is not None and held["revision"] != offer.revision:
        totals = await (
            Redemption.select(Count(Redemption.id).as_alias("used"), Sum(Redemption.discount_amount).as_alias("spent"))
            .where(Redemption.offer == offer.id)
            .where(Redemption.status == RedemptionStatus.COMPLETED)
            .first()
        )
        await OfferUsage.update(
            {OfferUsage.redemptions: totals["used"] if totals else 0,
             OfferUsage.discount_total: (totals["spent"] if totals else 0) or 0,
             OfferUsage.revision: offer.revision, OfferUsage.updated_at: now}
        ).where(OfferUsage.offer == offer.id)  # fmt: skip


async def _replay(scope: str, key: str, request_hash: str) -> RedemptionReceipt | None:
    """The stored first answer: a receipt, or the first refusal raised again. None if there is none yet."""
    row = await _STORED_ANSWER(scope, key)
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        raise IdempotencyKeyReused()
    outcome = row["outcome"]
    if "receipt" in outcome:
        return msgspec.convert(outcome["receipt"], RedemptionReceipt)
    refusal = _refusal(outcome["refusal"], outcome["params"])
    refusal.answered_in = outcome.get("language")  # said again as it was first said
    raise refusal


async def redeem(
    text: str,
    offer_id: uuid.UUID,
    purchase_amount: int | None,
    idempotency_key: str,
    user: CurrentUser,
    device_id: str | None,
    client_ip: str,
    keyring: KeyRing,
    stores: Stores,
    settings: Settings,
    now: datetime | None = None,
    language: str | None = None,
    offline_at: datetime | None = None,
) -> RedemptionReceipt:
    """Give the benefit once. Refusals are answers too: the same key gets the same refusal again, in the language
    it was first given in."""
    till = replace(await till_for(user, device_id, client_ip), manual_code=is_typed(text))
    await check_rate_limits(till, text, stores, settings)
    scope, key = str(till.partner_id), idempotency_key
    request_hash = _request_hash(till, text, offer_id, purchase_amount)
    stored = await _replay(scope, key, request_hash)
    if stored is not None:
        return stored
    presented: Presented | CredentialRefused
    try:
        presented = await credentials.read(text, keyring, settings, stores)
    except CredentialRefused as refused:
        presented = refused
    else:
        await check_velocity(till, presented.card_id, stores, kind="redeem")
    try:
        async with write_transaction():
            await set_lock_timeout(LOCK_WAIT_SECONDS)
            # A twin with the same key waits here (PostgreSQL: on the unique index; SQLite: on the write lock).
            await bulk_insert(
                IdempotencyRecord,
                ("scope", "key", "request_hash", "outcome", "created_at"),
                [(scope, key, request_hash, IN_FLIGHT, utc_now())],
            )
            try:
                if isinstance(presented, CredentialRefused):
                    raise presented
                offline = await offline_sync(till, offline_at, now or utc_now()) if offline_at else None
                receipt = await _redeem_locked(till, presented, offer_id, purchase_amount, settings, now, offline)
                outcome: dict[str, Any] = {"receipt": msgspec.to_builtins(receipt)}
            except REFUSED as refusal:
                outcome = {"refusal": refusal.code, "params": _jsonable(refusal.params), "language": language}
                await record_attempts(till, "redeem", [("refused", refusal.code, offer_id)], at_once=True)
            await _RECORD_OUTCOME(json.dumps(outcome), scope, key)
    except (LockNotAvailableError, QueryCanceledError):
        raise IdempotencyKeyInFlight() from None
    except Exception as error:
        if not is_unique_violation(error):
            raise
        stored = await _replay(scope, key, request_hash)  # the twin finished first: its answer is ours
        if stored is None:
            raise IdempotencyKeyInFlight() from None
        return stored
    if "refusal" in outcome:
        answer = _refusal(outcome["refusal"], outcome["params"])
        answer.answered_in = language
        raise answer
    log.info("verification.redeemed", partner_id=str(till.partner_id), offer_id=str(offer_id),
             discount=receipt.discount_amount)  # fmt: skip
    return receipt


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, str | int | float | type(None)) else str(value) for key, value in params.items()
    }


async def _redeem_locked(
    till: Till,
    presented: Presented,
    offer_id: uuid.UUID,
    given_amount: int | None,
    settings: Settings,
    now: datetime | None,
    offline: OfflineSync | None = None,
) -> RedemptionReceipt:
    """Redeem, or for a redemption confirmed offline (`offline`), record it as of when it happened: one that breaks
    a rule the till could not know of is kept as `offline_over_limit`, flagged with the refusal's code."""
    synced_at = utc_now() if offline else None
    now = offline.at if offline else now or utc_now()
    today = till.local_date(now)
    flag = offline.bound_broken if offline else None
    # Lock order everywhere: the card, then the offer (shared), then a metered offer's totals.
    card = await _LOCKED_CARD(presented.card_id)
    known = cards.state_of(presented.card_id, card)
    try:
        state = cards.check_card(known, presented, today)  # the scan's own check
    except CardRefused as refused:
        if offline is None or known is None or known.birth_date is None:
            raise  # online; or a card that no longer exists, or whose data consent withdrawal erased
        state, flag = known, refused.code
    assert card is not None
    assert state.birth_date is not None
    found = await partner_offers.till_offers(till.partner_id, offer_id, lock=True)
    if not found:
        raise OfferNotFound()
    offer = found[0]
    if given_amount is None and eligibility.needs_purchase_amount(offer.rules):
        raise PurchaseAmountRequired()  # bad input: the transaction rolls back, the child's limit stays unused
    purchase_amount = given_amount or 0
    metered = eligibility.metered(offer.rules)
    if metered:  # held until commit: reading the totals here and writing them below cannot interleave
        await _hold_usage(offer, now)
    start = rollups.month_of(today)
    month = (start, (start + timedelta(days=32)).replace(day=1))
    usage, history, this_month = await redeem_read(state.card_id, offer, today, month)
    verdict = eligibility.evaluate(
        offer,
        eligibility.Context(till.outlet_id, till.zone, now, till.city_code, till.opening_hours),
        state.birth_date,
        state.kelurahan_code,
        usage,
        history,
        purchase_amount,
    )
    if isinstance(verdict.refusal, RegionNotEligible):  # said as plainly as the scan says it
        sliced = eligibility.region_sliced(await partner_offers.till_offers(till.partner_id))
        verdict = eligibility.plain_region_refusal(verdict, sliced)
    if verdict.refusal is not None:
        if offline is None or isinstance(verdict.refusal, MinimumPurchaseNotMet):
            raise verdict.refusal  # a purchase below the minimum the till itself could see: not a benefit given
        flag = flag or verdict.refusal.code
    amount = eligibility.discount(offer.rules, purchase_amount)
    budget = offer.rules.budget
    if budget is not None and usage.discount_total + amount > budget:
        if offline is None:
            raise OfferBudgetExhausted()
        flag = flag or OfferBudgetExhausted.code
    redemption_id = uuid.uuid4()
    receipt_code = "R" + "".join(secrets.choice(credentials.CROCKFORD) for _ in range(RECEIPT_LENGTH))
    age = cards.age_on(state.birth_date, today)
    firsts = {
        "first_all": not this_month,
        "first_partner": not any(partner == till.partner_id for partner, _, _ in this_month),
        "first_offer": not any(offered == offer_id for _, offered, _ in this_month),
        "first_outlet": not any(outlet == till.outlet_id for _, _, outlet in this_month),
    }
    row = {
        "id": redemption_id,
        "receipt_code": receipt_code,
        "card": state.card_id,
        "offer": offer_id,
        "offer_revision": offer.revision,
        "partner": till.partner_id,
        "outlet": till.outlet_id,
        "holder_ref": holder_ref(settings, till.partner_id, state.card_id),
        "purchase_amount": purchase_amount,
        "discount_amount": amount,
        "redeemed_at": now,
        "local_date": today,
        "age_years": age,
        "age_band": rollups.age_band(age),
        "kelurahan_code": state.kelurahan_code,
        "kecamatan_code": await parent_of(state.kelurahan_code) or "",
        "cashier": till.staff_user_id,
        "api_key": till.api_key_id,
        "device_id": till.device_id,
        "status": (RedemptionStatus.OFFLINE_OVER_LIMIT if flag else RedemptionStatus.COMPLETED).value,
        "synced_at": synced_at,
        "flag": flag,
        **firsts,
    }
    # One prepared statement, not an ORM object of 27 columns: a third of the insert's CPU (bench/load).
    await bulk_insert(Redemption, tuple(row), [tuple(row.values())])
    await webhooks.emit(
        till.partner_id,
        WebhookEvent.REDEMPTION_OFFLINE_OVER_LIMIT if flag else WebhookEvent.REDEMPTION_CREATED,
        {key: row[key] for key in WEBHOOK_FIELDS} | {"redemption_id": redemption_id, "offer_id": offer_id,
                                                      "outlet_id": till.outlet_id},
        synced_at or now,
    )  # fmt: skip
    if flag:  # kept and shown, but outside the limits, the totals and the reports' completed redemptions
        log.warning("verification.offline_over_limit", partner_id=str(till.partner_id), flag=flag)
        await record_attempts(till, "redeem", [("over_limit", flag, offer_id)], card_id=state.card_id,
                              redemption_id=redemption_id, at_once=True)  # fmt: skip
        return _receipt(till, redemption_id, receipt_code, offer_id, amount, purchase_amount, now, flag)
    moves = rollups.redemption_moves(row, +1, firsts)
    if card["first_redeemed_on"] is None or card["first_redeemed_on"] > today:
        await _FIRST_REDEEMED(today, state.card_id)
        moves += rollups.activation_moves(
            card["enrolled_on"], state.kelurahan_code, card["channel"], card["first_redeemed_on"], today
        )
    await rollups.redemption_changes(moves)  # applied off this transaction (rollups.drain)
    if metered:
        used, spent = usage.redemptions + 1, usage.discount_total + amount
        await _USAGE(offer_id, used, spent, now)
        exhausted = _exhaustion(offer, used, spent)
        if exhausted:
            await partner_offers.pause_exhausted(offer_id, exhausted)
    await record_attempts(till, "redeem", [("redeemed", None, offer_id)], card_id=state.card_id,
                          redemption_id=redemption_id, at_once=True)  # fmt: skip
    return _receipt(till, redemption_id, receipt_code, offer_id, amount, purchase_amount, now, None)


def _receipt(
    till: Till, redemption_id: uuid.UUID, receipt_code: str, offer_id: uuid.UUID, amount: int, purchase_amount: int,
    now: datetime, flag: str | None,
) -> RedemptionReceipt:  # fmt: skip
    return RedemptionReceipt(
        redemption_id=redemption_id,
        receipt_code=receipt_code,
        offer_id=offer_id,
        discount_amount=amount,
        purchase_amount=purchase_amount,
        redeemed_at=now.astimezone(ZoneInfo(till.zone)),  # the outlet's time, with its offset
        void_deadline=void_deadline(now, till.zone, till.void_window_minutes),
        status=(RedemptionStatus.OFFLINE_OVER_LIMIT if flag else RedemptionStatus.COMPLETED).value,
        flag=flag,
    )


def _exhaustion(offer: partner_offers.TillOffer, used: int, spent: int) -> str | None:
    rules = offer.rules
    if rules.quota is not None and used >= rules.quota:
        return "quota_exhausted"
    if rules.budget is not None:
        smallest = 1 if rules.benefit.percent is not None else (rules.benefit.amount or rules.benefit.value or 1)
        if rules.budget - spent < smallest:
            return "budget_exhausted"
    return None
