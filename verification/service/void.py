"""Void: undo a redemption within the outlet's void window, in one transaction with the same locks as a redeem:
the quota, the budget and the child's allowance come back, and the rollups unwind. Voiding twice is voiding once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from core.auth import CurrentUser
from core.database.transactions import for_update, write_transaction
from core.localtime import format_local, utc_now
from core.offices import city_of
from core.service.audit import record_event
from core.stores import Stores
from core.tables import Role
from partners.service import offers as partner_offers
from partners.service import webhooks
from partners.service.access import own_membership
from partners.service.outlets import till_place
from partners.tables import WebhookEvent
from verification.errors import RedemptionNotFound, VoidWindowClosed
from verification.schemas import VoidResponse
from verification.service import eligibility, rollups
from verification.service.attempts import record_attempts
from verification.service.till import Till
from verification.tables import Card, OfferUsage, Redemption, RedemptionStatus

log = structlog.get_logger()

FIRST_MARKS = {"first_all": None, "first_partner": "partner", "first_offer": "offer", "first_outlet": "outlet"}


def void_deadline(redeemed_at: datetime, zone: str, window_minutes: int | None) -> datetime:
    """Until the end of the outlet's local day, or `window_minutes` after the redemption if the partner set one."""
    if window_minutes is not None:  # in the outlet's zone, with its offset, like every time the till reads
        return (redeemed_at + timedelta(minutes=window_minutes)).astimezone(ZoneInfo(zone))
    local = redeemed_at.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(zone))


def _check_window(redeemed_at: datetime, now: datetime, zone: str, window_minutes: int | None) -> None:
    deadline = void_deadline(redeemed_at, zone, window_minutes)
    if now >= deadline:
        raise VoidWindowClosed(until=format_local(deadline, zone, "id"), until_en=format_local(deadline, zone, "en"))


async def void(
    redemption_id: uuid.UUID,
    reason: str | None,
    user: CurrentUser,
    stores: Stores,
    now: datetime | None = None,
    device_id: str | None = None,
) -> VoidResponse:
    """Undo a redemption within the window: the quota, budget and the child's limit come back. Voiding twice is
    the same as voiding once."""
    now = now or utc_now()
    membership = await own_membership(user)
    query = Redemption.select(
        Redemption.id, Redemption.status, Redemption.redeemed_at, Redemption.outlet, Redemption.card,
        Redemption.offer, Redemption.discount_amount, Redemption.receipt_code, Redemption.voided_at,
        Redemption.void_reason,
    ).where(Redemption.id == redemption_id).where(Redemption.partner == membership.partner_id)  # fmt: skip
    if user.role is not Role.PARTNER_MANAGER:
        query = query.where(Redemption.outlet == membership.outlet_id)
    row = await query.first()
    if row is None:
        raise RedemptionNotFound()
    place = await till_place(membership.partner_id, row["outlet"])
    if row["status"] == RedemptionStatus.VOIDED:
        return _voided(row["id"], row["receipt_code"], row["voided_at"], row["void_reason"], place.timezone)
    till = Till(membership.partner_id, row["outlet"], place.timezone, None if user.api_key_id else user.id,
                user.api_key_id, device_id, place.void_window_minutes)  # fmt: skip
    try:
        _check_window(row["redeemed_at"], now, place.timezone, place.void_window_minutes)
    except VoidWindowClosed as refused:  # a failed void is an attempt too: the partner's dispute review reads it
        await record_attempts(till, "void", [("refused", refused.code, row["offer"])], card_id=row["card"],
                              redemption_id=redemption_id)  # fmt: skip
        raise
    async with write_transaction():
        await for_update(Card.select(Card.id).where(Card.id == row["card"])).first()
        await partner_offers.till_offers(membership.partner_id, row["offer"], lock=True)
        current = await for_update(Redemption.select(Redemption.status).where(Redemption.id == redemption_id)).first()
        if current is not None and current["status"] == RedemptionStatus.COMPLETED:
            await Redemption.update(
                {
                    Redemption.status: RedemptionStatus.VOIDED,
                    Redemption.voided_at: now,
                    Redemption.void_reason: (reason or "").strip()[:200] or None,
                    Redemption.voided_by: user.id,
                }
            ).where(Redemption.id == redemption_id)
            # A metered offer's totals, held as a redemption holds them (an unmetered offer has none to keep).
            held = await for_update(
                OfferUsage.select(OfferUsage.redemptions, OfferUsage.discount_total).where(
                    OfferUsage.offer == row["offer"]
                )
            ).first()
            usage = eligibility.Usage(held["redemptions"], held["discount_total"]) if held else eligibility.Usage()
            await OfferUsage.update(
                {
                    OfferUsage.redemptions: max(0, usage.redemptions - 1),
                    OfferUsage.discount_total: max(0, usage.discount_total - row["discount_amount"]),
                    OfferUsage.updated_at: now,
                }
            ).where(OfferUsage.offer == row["offer"])
            await _unwind_rollups(redemption_id)
            await partner_offers.resume_if_auto_paused(row["offer"])
            await record_attempts(till, "void", [("voided", None, row["offer"])], card_id=row["card"],
                                  redemption_id=redemption_id, at_once=True)  # fmt: skip
            await webhooks.emit(
                membership.partner_id, WebhookEvent.REDEMPTION_VOIDED,
                {"redemption_id": redemption_id, "receipt_code": row["receipt_code"], "offer_id": row["offer"],
                 "outlet_id": row["outlet"], "discount_amount": row["discount_amount"], "voided_at": now,
                 "reason": (reason or "").strip()[:200] or None},
                now,
            )  # fmt: skip
            await record_event(
                "redemption.voided", "redemption", redemption_id, actor=user,
                after={"receipt_code": row["receipt_code"], "reason": (reason or "").strip()[:200] or None,
                       "partner_id": str(membership.partner_id)},
                city=city_of(place.kelurahan_code),
            )  # fmt: skip
    after = (
        await Redemption.select(Redemption.voided_at, Redemption.void_reason)
        .where(Redemption.id == redemption_id)
        .first()
    )
    assert after is not None  # a redemption is never deleted
    log.info("verification.voided", partner_id=str(membership.partner_id), redemption_id=str(redemption_id))
    return _voided(redemption_id, row["receipt_code"], after["voided_at"], after["void_reason"], place.timezone)


def _voided(
    redemption_id: uuid.UUID, receipt_code: str, voided_at: datetime, reason: str | None, zone: str
) -> VoidResponse:
    return VoidResponse(redemption_id=redemption_id, receipt_code=receipt_code, status=RedemptionStatus.VOIDED.value,
                        voided_at=voided_at.astimezone(ZoneInfo(zone)), void_reason=reason)  # fmt: skip


async def _unwind_rollups(redemption_id: uuid.UUID) -> None:
    """A void (card row already locked): take the redemption out of its cell, hand its first-of-month marks to the
    card's next redemption of that month, and move the card's first redemption day if it was this one."""
    voided = await Redemption.select().where(Redemption.id == redemption_id).first()
    assert voided is not None
    moves = rollups.redemption_moves(voided, -1, {mark: voided[mark] for mark in FIRST_MARKS})
    start = rollups.month_of(voided["local_date"])
    same_month = await (
        Redemption.select()
        .where(Redemption.card == voided["card"])
        .where(Redemption.local_date >= start)
        .where(Redemption.local_date < (start + timedelta(days=32)).replace(day=1))
        .where(Redemption.status == RedemptionStatus.COMPLETED)
        .order_by(Redemption.redeemed_at)
    )
    for mark, scope in FIRST_MARKS.items():
        if not voided[mark]:
            continue
        heir = next((r for r in same_month if scope is None or r[scope] == voided[scope]), None)
        if heir is not None and not heir[mark]:
            await Redemption.update({getattr(Redemption, mark): True}).where(Redemption.id == heir["id"])
            moves += rollups.first_mark_moves(heir, mark)
    card = (
        await Card.select(Card.first_redeemed_on, Card.enrolled_on, Card.kelurahan_code, Card.channel)
        .where(Card.id == voided["card"])
        .first()
    )
    if card is not None and card["first_redeemed_on"] == voided["local_date"]:
        remaining = await (
            Redemption.select(Redemption.local_date)
            .where(Redemption.card == voided["card"])
            .where(Redemption.status == RedemptionStatus.COMPLETED)
            .order_by(Redemption.local_date)
            .first()
        )
        after = remaining["local_date"] if remaining else None
        if after != card["first_redeemed_on"]:
            await Card.update({Card.first_redeemed_on: after}).where(Card.id == voided["card"])
            moves += rollups.activation_moves(
                card["enrolled_on"], card["kelurahan_code"], card["channel"], card["first_redeemed_on"], after
            )
    await rollups.redemption_changes(moves)  # applied off this transaction (rollups.drain)
