"""A partner's redemption history (a manager: the whole partner; a cashier or key: their outlet, today only), as
the partner reads it: outlet and offer names, local times, void deadlines. Children appear only as `holder_ref`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.auth import CurrentUser
from core.localtime import format_local, utc_now
from core.tables import Role, StaffUser
from partners.service import offers as partner_offers
from partners.service.access import own_membership
from partners.service.outlets import list_outlets, till_place
from partners.tables import ApiKey
from verification.errors import RedemptionNotFound
from verification.schemas import HistoryRow
from verification.service import eligibility
from verification.service.void import void_deadline
from verification.tables import Redemption, RedemptionStatus

# The CSV of a partner's history (the API's and the console's): no child data, only the per-partner pseudonym.
HISTORY_CSV_COLUMNS = (
    "receipt_code", "redeemed_at_local", "outlet_name", "offer_title", "purchase_amount", "discount_amount", "status",
    "holder_ref", "cashier", "device_id", "voided_at_local", "voided_by", "void_reason",
)  # fmt: skip

# The most rows a page of the history may skip: far beyond any partner's history, far below a bigint.
DEEPEST_OFFSET = 10_000_000


@dataclass(frozen=True)
class HistoryFilter:
    date_from: date | None = None
    date_until: date | None = None
    outlet_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    limit: int = 50
    offset: int = 0
    status: RedemptionStatus | None = None  # completed or voided; None: both
    redemption_id: uuid.UUID | None = None  # one redemption (a page about it), still only the user's own


async def history(
    user: CurrentUser, wanted: HistoryFilter, now: datetime | None = None
) -> tuple[list[dict[str, Any]], int]:
    """A partner's redemptions, newest first, and how many match in all."""
    membership = await own_membership(user)
    query = Redemption.select(
        Redemption.id, Redemption.receipt_code, Redemption.redeemed_at, Redemption.local_date, Redemption.outlet,
        Redemption.offer, Redemption.offer_revision, Redemption.purchase_amount, Redemption.discount_amount,
        Redemption.status, Redemption.voided_at, Redemption.void_reason, Redemption.holder_ref, Redemption.cashier,
        Redemption.api_key, Redemption.device_id, Redemption.voided_by, Redemption.flag, Redemption.synced_at,
    ).where(Redemption.partner == membership.partner_id)  # fmt: skip
    count = Redemption.count().where(Redemption.partner == membership.partner_id)
    conditions = []
    if user.role is not Role.PARTNER_MANAGER:
        assert membership.outlet_id is not None
        place = await till_place(membership.partner_id, membership.outlet_id)
        today = eligibility.Context(membership.outlet_id, place.timezone, now or utc_now()).today
        conditions += [Redemption.outlet == membership.outlet_id, Redemption.local_date == today]
    if wanted.date_from:
        conditions.append(Redemption.local_date >= wanted.date_from)
    if wanted.date_until:
        conditions.append(Redemption.local_date <= wanted.date_until)
    if wanted.outlet_id:
        conditions.append(Redemption.outlet == wanted.outlet_id)
    if wanted.offer_id:
        conditions.append(Redemption.offer == wanted.offer_id)
    if wanted.status:
        conditions.append(Redemption.status == wanted.status)
    if wanted.redemption_id:
        conditions.append(Redemption.id == wanted.redemption_id)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(Redemption.redeemed_at, ascending=False).limit(wanted.limit).offset(wanted.offset)
    return rows, await count


async def history_rows(user: CurrentUser, rows: list[dict[str, Any]]) -> list[HistoryRow]:
    """`history()` rows as the partner reads them: outlet and offer names, local time, the void deadline."""
    membership = await own_membership(user)
    places = {o.id: o for o in await list_outlets(membership.partner_id)}
    titles = {o.id: o.rules.title for o in await partner_offers.list_offers(membership.partner_id)}
    partner_window = None
    if places:
        first = next(iter(places))
        partner_window = (await till_place(membership.partner_id, first)).void_window_minutes
    people = await actor_names({row[key] for row in rows for key in ("cashier", "api_key", "voided_by") if row[key]})
    items = []
    for row in rows:
        zone = places[row["outlet"]].timezone if row["outlet"] in places else "Asia/Jakarta"
        local = ZoneInfo(zone)
        items.append(
            HistoryRow(
                redemption_id=row["id"],
                receipt_code=row["receipt_code"],
                redeemed_at=row["redeemed_at"].astimezone(local),
                redeemed_at_local=format_local(row["redeemed_at"], zone),
                local_date=row["local_date"],
                outlet_id=row["outlet"],
                outlet_name=places[row["outlet"]].name if row["outlet"] in places else "",
                offer_id=row["offer"],
                offer_title=titles.get(row["offer"], ""),
                offer_revision=row["offer_revision"],
                purchase_amount=row["purchase_amount"],
                discount_amount=row["discount_amount"],
                status=row["status"],
                voided_at=row["voided_at"].astimezone(local) if row["voided_at"] else None,
                holder_ref=row["holder_ref"],
                void_deadline=void_deadline(row["redeemed_at"], zone, partner_window),
                cashier=people.get(row["cashier"] or row["api_key"]),
                device_id=row["device_id"],
                voided_by=people.get(row["voided_by"]) if row["voided_by"] else None,
                void_reason=row["void_reason"],
                voided_at_local=format_local(row["voided_at"], zone) if row["voided_at"] else None,
                offline=row["synced_at"] is not None,
                flag=row["flag"],
            )
        )
    return items


async def actor_names(ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Who acted at a till, as a partner knows its staff: "Display name (username)", or a point-of-sale key's
    "API: name". Used by the history and the attempt review."""
    names: dict[uuid.UUID, str] = {}
    if ids:
        for person in await StaffUser.select(StaffUser.id, StaffUser.display_name, StaffUser.username).where(
            StaffUser.id.is_in(list(ids))
        ):
            names[person["id"]] = f"{person['display_name']} ({person['username']})"
        for key in await ApiKey.select(ApiKey.id, ApiKey.name).where(ApiKey.id.is_in(list(ids))):
            names[key["id"]] = f"API: {key['name']}"
    return names


async def one_redemption(user: CurrentUser, redemption_id: uuid.UUID) -> HistoryRow:
    """One of the caller's own redemptions, as the history shows it; another partner's (or outlet's): not found."""
    rows, _ = await history(user, HistoryFilter(redemption_id=redemption_id, limit=1))
    if not rows:
        raise RedemptionNotFound()
    return (await history_rows(user, rows))[0]
