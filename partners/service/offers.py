"""Offers: drafts, revisions, and the lifecycle draft -> submitted -> published | rejected, pause, end, suspend."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from piccolo.query.functions.aggregate import Max

from core.auth import CurrentUser
from core.database.statements import CompiledQuery
from core.database.transactions import for_key_share, for_update, write_transaction
from core.errors import Invalid
from core.localtime import utc_now
from core.service.audit import record_event
from core.service.stamped import StampedCache
from partners.errors import (
    InvalidTransition,
    NoRevisionPending,
    OfferNotEditable,
    OfferNotFound,
    PartnerNotApproved,
    ReasonRequired,
)
from partners.schemas import OfferRead, OfferRules, StatusChangeRead
from partners.service import rules as offer_rules
from partners.service import webhooks
from partners.service.onboarding import partner_status
from partners.tables import (
    Offer,
    OfferOutlet,
    OfferRevision,
    OfferStatus,
    OfferStatusChange,
    PartnerStatus,
    WebhookEvent,
)

log = structlog.get_logger()

# An edit of these goes to Dukcapil's review while the reviewed revision keeps serving.
LIVE = {OfferStatus.PUBLISHED, OfferStatus.PAUSED}
EDITABLE = {OfferStatus.DRAFT, OfferStatus.SUBMITTED, OfferStatus.REJECTED, OfferStatus.PUBLISHED, OfferStatus.PAUSED}
# Who may move an offer from where to where, and whether the move needs a reason.
MANAGER_MOVES: dict[OfferStatus, tuple[set[OfferStatus], bool]] = {
    OfferStatus.SUBMITTED: ({OfferStatus.DRAFT, OfferStatus.REJECTED}, False),
    OfferStatus.PAUSED: ({OfferStatus.PUBLISHED}, False),
    OfferStatus.PUBLISHED: ({OfferStatus.PAUSED}, False),
    OfferStatus.ENDED: ({OfferStatus.DRAFT, OfferStatus.SUBMITTED, OfferStatus.PUBLISHED, OfferStatus.PAUSED}, False),
}
DUKCAPIL_MOVES: dict[OfferStatus, tuple[set[OfferStatus], bool]] = {
    OfferStatus.PUBLISHED: ({OfferStatus.SUBMITTED, OfferStatus.SUSPENDED}, False),
    OfferStatus.REJECTED: ({OfferStatus.SUBMITTED}, True),
    OfferStatus.SUSPENDED: ({OfferStatus.PUBLISHED, OfferStatus.PAUSED}, True),
}
# Reasons the system itself pauses an offer (and lifts the pause when a void gives budget back).
EXHAUSTION_REASONS = ("quota_exhausted", "budget_exhausted")


def manager_actions(status: OfferStatus) -> dict[str, bool]:
    """What the manager may do to an offer in `status` now: the table of moves itself, so a page never offers a
    move the service would refuse."""

    def may(target: OfferStatus) -> bool:
        return status in MANAGER_MOVES[target][0]

    return {
        "edit": status in EDITABLE,
        "submit": may(OfferStatus.SUBMITTED),
        "pause": may(OfferStatus.PAUSED),
        "resume": may(OfferStatus.PUBLISHED),
        "end": may(OfferStatus.ENDED),
    }


def _denormalised(rules: OfferRules) -> dict[str, Any]:
    return {
        "title": rules.title,
        "category": rules.category,
        "valid_from": rules.valid_from,
        "valid_until": rules.valid_until,
        "age_min": rules.age_min,
        "age_max": rules.age_max,
        "all_outlets": not rules.outlet_ids,
    }


async def _validated(rules: OfferRules, partner_id: uuid.UUID) -> OfferRules:
    rules = offer_rules.normalized(rules)
    problems = await offer_rules.rules_problems(rules, partner_id)
    if problems:
        raise Invalid(problems)
    return rules


async def _write_revision(offer_id: uuid.UUID, revision: int, rules: OfferRules, actor: CurrentUser) -> None:
    await OfferRevision.insert(
        OfferRevision(offer=offer_id, revision=revision, rules=offer_rules.to_json(rules), created_by=actor.id)
    )
    await OfferOutlet.delete().where(OfferOutlet.offer == offer_id)
    if rules.outlet_ids:
        await OfferOutlet.insert(*[OfferOutlet(offer=offer_id, outlet=outlet) for outlet in rules.outlet_ids])


async def create_offer(partner_id: uuid.UUID, rules: OfferRules, actor: CurrentUser) -> OfferRead:
    rules = await _validated(rules, partner_id)
    offer_id = uuid.uuid4()
    async with write_transaction():
        await Offer.insert(
            Offer(
                id=offer_id,
                partner=partner_id,
                status=OfferStatus.DRAFT,
                revision=1,
                rules=offer_rules.to_json(rules),
                **_denormalised(rules),
            )
        )
        await _write_revision(offer_id, 1, rules, actor)
        await OfferStatusChange.insert(
            OfferStatusChange(offer=offer_id, from_status=None, to_status=OfferStatus.DRAFT, actor_id=actor.id)
        )
        await record_event("offer.created", "offer", offer_id, actor=actor, after={"title": rules.title})
    return await read_offer(partner_id, offer_id)


async def _next_revision(offer_id: uuid.UUID) -> int:
    row = (
        await OfferRevision.select(Max(OfferRevision.revision).as_alias("last"))
        .where(OfferRevision.offer == offer_id)
        .first()
    )
    return int((row or {}).get("last") or 0) + 1


async def update_offer(partner_id: uuid.UUID, offer_id: uuid.UUID, rules: OfferRules, actor: CurrentUser) -> OfferRead:
    """A new revision of the rules. A live (published or paused) offer keeps serving its reviewed revision and the
    new one waits for Dukcapil (`pending_revision`); a draft or submitted offer takes it at once; a rejected one
    goes back to draft."""
    rules = await _validated(rules, partner_id)
    async with write_transaction():
        row = await _offer_row(partner_id, offer_id, lock=True)
        status = OfferStatus(row["status"])
        if status not in EDITABLE:
            raise OfferNotEditable(status=status.value)
        revision = await _next_revision(offer_id)
        if status in LIVE:
            await OfferRevision.insert(
                OfferRevision(offer=offer_id, revision=revision, rules=offer_rules.to_json(rules), created_by=actor.id)
            )
            await Offer.update(
                {Offer.pending_revision: revision, Offer.revision_rejected_reason: None, Offer.updated_at: utc_now()}
            ).where(Offer.id == offer_id)
            await record_event(
                "offer.revision_submitted", "offer", offer_id, actor=actor,
                before={"revision": row["revision"]}, after={"pending_revision": revision},
            )  # fmt: skip
            return await read_offer(partner_id, offer_id)
        changes: dict[Any, Any] = {
            Offer.revision: revision,
            Offer.rules: offer_rules.to_json(rules),
            Offer.updated_at: utc_now(),
            **{getattr(Offer, key): value for key, value in _denormalised(rules).items()},
        }
        if status is OfferStatus.REJECTED:
            changes[Offer.status] = OfferStatus.DRAFT
            changes[Offer.status_reason] = None
            await OfferStatusChange.insert(
                OfferStatusChange(offer=offer_id, from_status=status, to_status=OfferStatus.DRAFT, actor_id=actor.id)
            )
        await Offer.update(changes).where(Offer.id == offer_id)
        await _write_revision(offer_id, revision, rules, actor)
        await record_event(
            "offer.revised",
            "offer",
            offer_id,
            actor=actor,
            before={"revision": row["revision"]},
            after={"revision": revision, "status": status.value},
        )
    return await read_offer(partner_id, offer_id)


def awaits_review(offer: OfferRead) -> bool:
    """In Dukcapil's review queue: submitted for first publication, or a live offer's edit."""
    return offer.status is OfferStatus.SUBMITTED or offer.pending_revision is not None


async def decide_revision(offer_id: uuid.UUID, approve: bool, reason: str | None, actor: CurrentUser) -> OfferRead:
    """Dukcapil approves a live offer's edit (it serves from now on) or turns it down with a reason (the reviewed
    revision keeps serving, and the manager reads why)."""
    reason = (reason or "").strip() or None
    async with write_transaction():
        row = await _offer_row(None, offer_id, lock=True)
        pending = row["pending_revision"]
        if pending is None:
            raise NoRevisionPending()
        if not approve and not reason:
            raise ReasonRequired(target="revision_rejected")
        if approve:
            rules = await rules_at_revision(offer_id, pending)
            await Offer.update(
                {Offer.revision: pending, Offer.rules: offer_rules.to_json(rules), Offer.pending_revision: None,
                 Offer.revision_rejected_reason: None, Offer.updated_at: utc_now(),
                 **{getattr(Offer, key): value for key, value in _denormalised(rules).items()}}
            ).where(Offer.id == offer_id)  # fmt: skip
            await OfferOutlet.delete().where(OfferOutlet.offer == offer_id)
            if rules.outlet_ids:
                await OfferOutlet.insert(*[OfferOutlet(offer=offer_id, outlet=outlet) for outlet in rules.outlet_ids])
        else:
            await Offer.update(
                {Offer.pending_revision: None, Offer.revision_rejected_reason: reason, Offer.updated_at: utc_now()}
            ).where(Offer.id == offer_id)
        await record_event(
            "offer.revision_approved" if approve else "offer.revision_rejected", "offer", offer_id, actor=actor,
            before={"revision": row["revision"]},
            after={"revision": pending if approve else row["revision"], "reason": reason},
        )  # fmt: skip
    log.info("offer.revision_decided", offer_id=str(offer_id), approved=approve)
    return await read_offer(row["partner"], offer_id)


async def move_by_manager(
    partner_id: uuid.UUID, offer_id: uuid.UUID, target: OfferStatus, reason: str | None, actor: CurrentUser
) -> OfferRead:
    """submit, pause, resume or end, by the partner's manager."""
    if target is OfferStatus.SUBMITTED:
        status = await partner_status(partner_id)
        if status is not PartnerStatus.APPROVED:
            raise PartnerNotApproved(status=status.value)
    await _move(offer_id, target, reason, actor, MANAGER_MOVES, partner_id=partner_id)
    return await read_offer(partner_id, offer_id)


async def move_by_dukcapil(
    offer_id: uuid.UUID, target: OfferStatus, reason: str | None, actor: CurrentUser
) -> OfferRead:
    """publish (approve), reject, suspend or lift a suspension, by Dukcapil."""
    partner_id = await _move(offer_id, target, reason, actor, DUKCAPIL_MOVES)
    return await read_offer(partner_id, offer_id)


async def _move(
    offer_id: uuid.UUID,
    target: OfferStatus,
    reason: str | None,
    actor: CurrentUser,
    moves: dict[OfferStatus, tuple[set[OfferStatus], bool]],
    partner_id: uuid.UUID | None = None,
) -> uuid.UUID:
    reason = (reason or "").strip() or None
    async with write_transaction():
        query = Offer.select(Offer.status, Offer.partner, Offer.first_published_at).where(Offer.id == offer_id)
        if partner_id is not None:
            query = query.where(Offer.partner == partner_id)
        row = await query.first()
        if row is None:
            raise OfferNotFound()
        current = OfferStatus(row["status"])
        allowed_from, needs_reason = moves.get(target, (set(), False))
        if current not in allowed_from:
            raise InvalidTransition(current=current.value, target=target.value)
        if needs_reason and not reason:
            raise ReasonRequired(target=target.value)
        await _set_status(offer_id, current, target, reason, actor.id, row["first_published_at"] is None)
        await record_event(
            f"offer.{target.value}",
            "offer",
            offer_id,
            actor=actor,
            before={"status": current.value},
            after={"status": target.value, "reason": reason},
        )
    log.info("offer.status_changed", offer_id=str(offer_id), to=target.value)
    return row["partner"]


async def _set_status(
    offer_id: uuid.UUID,
    current: OfferStatus,
    target: OfferStatus,
    reason: str | None,
    actor_id: uuid.UUID | None,
    first_publication: bool,
) -> None:
    changes: dict[Any, Any] = {Offer.status: target, Offer.status_reason: reason, Offer.updated_at: utc_now()}
    if target is OfferStatus.PUBLISHED and first_publication:
        changes[Offer.first_published_at] = utc_now()
    [changed] = await Offer.update(changes).where(Offer.id == offer_id).returning(Offer.partner, Offer.title)
    await OfferStatusChange.insert(
        OfferStatusChange(offer=offer_id, from_status=current, to_status=target, reason=reason, actor_id=actor_id)
    )
    await webhooks.emit(
        changed["partner"], WebhookEvent.OFFER_STATUS_CHANGED,
        {"offer_id": offer_id, "title": changed["title"], "from_status": current.value, "to_status": target.value,
         "reason": reason},
    )  # fmt: skip


async def pause_exhausted(offer_id: uuid.UUID, reason: str) -> None:
    """Called inside a redemption's transaction when it used the last of the quota or budget."""
    row = await Offer.select(Offer.status).where(Offer.id == offer_id).first()
    if row and row["status"] == OfferStatus.PUBLISHED:
        await _set_status(offer_id, OfferStatus.PUBLISHED, OfferStatus.PAUSED, reason, None, False)
        await record_event("offer.auto_paused", "offer", offer_id, after={"reason": reason})


async def resume_if_auto_paused(offer_id: uuid.UUID) -> None:
    """Called inside a void's transaction: an offer the system paused for exhaustion runs again."""
    row = await Offer.select(Offer.status, Offer.status_reason).where(Offer.id == offer_id).first()
    if row and row["status"] == OfferStatus.PAUSED and row["status_reason"] in EXHAUSTION_REASONS:
        await _set_status(offer_id, OfferStatus.PAUSED, OfferStatus.PUBLISHED, None, None, False)
        await record_event("offer.auto_resumed", "offer", offer_id)


async def _offer_row(partner_id: uuid.UUID | None, offer_id: uuid.UUID, lock: bool = False) -> dict[str, Any]:
    query = Offer.select().where(Offer.id == offer_id)
    if partner_id is not None:
        query = query.where(Offer.partner == partner_id)
    if lock:
        query = for_update(query)
    row = await query.output(load_json=True).first()
    if row is None:
        raise OfferNotFound()
    return row


def effective_status(status: OfferStatus, valid_until: date | None, today: date) -> OfferStatus:
    """An offer whose last day has passed reads as ended, whatever it was set to."""
    if status in {OfferStatus.PUBLISHED, OfferStatus.PAUSED} and valid_until is not None and valid_until < today:
        return OfferStatus.ENDED
    return status


async def read_offer(partner_id: uuid.UUID | None, offer_id: uuid.UUID, today: date | None = None) -> OfferRead:
    row = await _offer_row(partner_id, offer_id)
    return (await _read_many([row], today))[0]


async def list_offers(
    partner_id: uuid.UUID | None = None,
    status: OfferStatus | None = None,
    today: date | None = None,
    partners: list[uuid.UUID] | None = None,
) -> list[OfferRead]:
    """Offers, of one partner or of `partners` (an office's), by status."""
    query = Offer.select()
    if partner_id is not None:
        query = query.where(Offer.partner == partner_id)
    if partners is not None:
        if not partners:
            return []
        query = query.where(Offer.partner.is_in(partners))
    if status is not None:
        query = query.where(Offer.status == status)
    rows = await query.order_by(Offer.created_at).output(load_json=True)
    return await _read_many(rows, today)


async def _read_many(rows: list[dict[str, Any]], today: date | None) -> list[OfferRead]:
    from core.localtime import local_date
    from core.settings import get_settings

    today = today or local_date(utc_now(), get_settings().timezone)
    ids = [row["id"] for row in rows]
    history: dict[uuid.UUID, list[StatusChangeRead]] = {offer_id: [] for offer_id in ids}
    if ids:
        changes = (
            await OfferStatusChange.select(
                OfferStatusChange.offer,
                OfferStatusChange.from_status,
                OfferStatusChange.to_status,
                OfferStatusChange.reason,
                OfferStatusChange.changed_at,
            )
            .where(OfferStatusChange.offer.is_in(ids))
            .order_by(OfferStatusChange.id)
        )
        for change in changes:
            offer_id = change.pop("offer")
            history[offer_id].append(StatusChangeRead(**change))
    pending: dict[uuid.UUID, OfferRules] = {}
    waiting = [row["id"] for row in rows if row.get("pending_revision")]
    if waiting:
        revisions = (
            await OfferRevision.select(OfferRevision.offer, OfferRevision.revision, OfferRevision.rules)
            .where(OfferRevision.offer.is_in(waiting))
            .output(load_json=True)
        )
        wanted = {row["id"]: row["pending_revision"] for row in rows if row.get("pending_revision")}
        for revision in revisions:
            if wanted.get(revision["offer"]) == revision["revision"]:
                pending[revision["offer"]] = offer_rules.from_json(revision["rules"])
    result = []
    for row in rows:
        rules = offer_rules.from_json(row["rules"])
        result.append(
            OfferRead(
                id=row["id"],
                partner_id=row["partner"],
                status=effective_status(OfferStatus(row["status"]), row["valid_until"], today),
                status_reason=row["status_reason"],
                revision=row["revision"],
                rules=rules,
                summary=offer_rules.summary(rules),
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                history=history[row["id"]],
                pending_revision=row.get("pending_revision"),
                pending_rules=pending.get(row["id"]),
                revision_rejected_reason=row.get("revision_rejected_reason"),
            )
        )
    return result


async def rules_at_revision(offer_id: uuid.UUID, revision: int) -> OfferRules:
    row = (
        await OfferRevision.select(OfferRevision.rules)
        .where(OfferRevision.offer == offer_id)
        .where(OfferRevision.revision == revision)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise OfferNotFound()
    return offer_rules.from_json(row["rules"])


# --- what a till needs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TillOffer:
    """A published or paused offer with its current rules and where it applies."""

    id: uuid.UUID
    status: OfferStatus
    status_reason: str | None
    revision: int
    rules: OfferRules
    all_outlets: bool
    outlet_ids: frozenset[uuid.UUID]


def _till_offers_query(partner_id: Any, offer_id: Any) -> Any:
    query = (
        Offer.select(Offer.id, Offer.status, Offer.status_reason, Offer.revision, Offer.rules, Offer.all_outlets)
        .where(Offer.partner == partner_id)
        .where(Offer.status.is_in([OfferStatus.PUBLISHED, OfferStatus.PAUSED]))
        .order_by(Offer.created_at)
        .output(load_json=True)
    )
    return query if offer_id is None else query.where(Offer.id == offer_id)


# Read on every scan and redeem: compiled once (core.database.statements.CompiledQuery).
_TILL_OFFERS = CompiledQuery(_till_offers_query, json_columns=("rules",))
# A redemption's hold on its offer: its rules, status and revision cannot change until it commits (every change of
# them locks the row FOR UPDATE first: `_offer_row`), while other redemptions of the offer go on at the same time.
_LOCKED_TILL_OFFER = CompiledQuery(lambda p, o: for_key_share(_till_offers_query(p, o)), json_columns=("rules",))


_TILL_OFFER_LISTS: StampedCache[uuid.UUID, list[TillOffer]] = StampedCache()


async def till_offers(partner_id: uuid.UUID, offer_id: uuid.UUID | None = None, lock: bool = False) -> list[TillOffer]:
    """The partner's published and paused offers (one, held against changes inside a redemption, if asked). All of
    them, as a scan reads them, are kept in memory (core.service.stamped); one locked is always read anew."""
    if offer_id is None and not lock:
        return await _TILL_OFFER_LISTS.get(partner_id, lambda: _read_till_offers(partner_id, None, False))
    return await _read_till_offers(partner_id, offer_id, lock)


async def _read_till_offers(partner_id: uuid.UUID, offer_id: uuid.UUID | None, lock: bool) -> list[TillOffer]:
    rows = await (_LOCKED_TILL_OFFER if lock else _TILL_OFFERS)(partner_id, offer_id)
    limited: dict[uuid.UUID, set[uuid.UUID]] = {}
    restricted = [row["id"] for row in rows if not row["all_outlets"]]
    if restricted:
        for link in await OfferOutlet.select(OfferOutlet.offer, OfferOutlet.outlet).where(
            OfferOutlet.offer.is_in(restricted)
        ):
            limited.setdefault(link["offer"], set()).add(link["outlet"])
    return [
        TillOffer(
            id=row["id"],
            status=OfferStatus(row["status"]),
            status_reason=row["status_reason"],
            revision=row["revision"],
            rules=offer_rules.from_json(row["rules"]),
            all_outlets=row["all_outlets"],
            outlet_ids=frozenset(limited.get(row["id"], set())),
        )
        for row in rows
    ]
