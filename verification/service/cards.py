"""Cards: enrolment (one or many), status for the till (cached in the store), revocation, reissue, consent
withdrawal with erasure, and the history Dukcapil reads. No NIK is ever kept, only its keyed HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import msgspec
import structlog

from core.auth import CurrentUser, derive_key
from core.database.statements import CompiledQuery, bulk_insert
from core.database.transactions import for_update, write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.offices import city_of, owned
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from verification.errors import (
    CardChanged,
    CardExpired,
    CardNotActive,
    CardNotFound,
    CardRevoked,
    CardSuperseded,
    CardUnknown,
    ReissueReasonRefused,
)
from verification.schemas import CardDetail, CardState
from verification.service import credentials, cwt, rollups, status_lists
from verification.service.credentials import Presented
from verification.service.keys import KeyRing
from verification.tables import (
    Card,
    CardEvent,
    CardStatus,
    Channel,
    ConsentWithdrawal,
    Credential,
    RevocationReason,
    Sex,
)

log = structlog.get_logger()

CACHE = "card_status"
# A change deletes the cached status at once; the TTL bounds staleness only while Redis is unreachable.
CACHE_TTL_SECONDS = 60
EXPIRY_AGE = 17
UNDER_FIVE_AGE = 5
CHUNK = 500


# --- ages and expiry, in the programme's zone ---------------------------------------------------------------


def birthday(born: date, years: int) -> date:
    """The `years`-th birthday; a 29 February child has it on 1 March in other years."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def age_on(born: date, day: date) -> int:
    years = day.year - born.year
    return years if day >= birthday(born, years) else years - 1


def kia_type(born: date, day: date) -> str:
    """`under_5` until the 5th birthday, then `5_to_17` until the day before the 17th."""
    return "under_5" if day < birthday(born, UNDER_FIVE_AGE) else "5_to_17"


def expired_on(born: date, day: date) -> bool:
    return day >= birthday(born, EXPIRY_AGE)


# --- enrolment ----------------------------------------------------------------------------------------------


def nik_hash(settings: Settings, nik: str) -> str:
    """Keyed HMAC of the NIK: re-imports and reissues match on it; without the key it reveals nothing."""
    key = settings.nik_hmac_key.encode() if settings.nik_hmac_key else derive_key(settings.secret_key, "nik")
    return hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Enrolment:
    """One child's KIA with the parent's consent, as the registry import or the counter records it."""

    nik_hash: str
    birth_date: date
    sex: Sex
    kelurahan_code: str
    kia_printed_on: date
    enrolled_on: date
    channel: Channel
    consent_guardian: str
    consent_version: str
    consent_at: datetime
    # Set by an export that is not the first of its area: the card counts in coverage from this day's month (when
    # later than its print month), so the figures of earlier dates stay what was known then. None: from its print.
    counted_from: date | None = None

    def fields(self) -> dict[str, Any]:
        return {
            "birth_date": self.birth_date,
            "birth_year": self.birth_date.year,
            "sex": self.sex.value,
            "kelurahan_code": self.kelurahan_code,
            "kia_printed_on": self.kia_printed_on,
            "channel": self.channel.value,
            "consent_guardian": self.consent_guardian,
            "consent_version": self.consent_version,
            "consent_at": self.consent_at,
        }


@dataclass
class EnrolmentCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Enrolments refused because the parent withdrew consent after the consent they carry (their NIK hashes).
    withdrawn: list[str] = field(default_factory=list)
    created_ids: list[uuid.UUID] = field(default_factory=list)
    updated_ids: list[uuid.UUID] = field(default_factory=list)


_COMPARED = ("birth_date", "sex", "kelurahan_code", "kia_printed_on", "channel", "consent_guardian", "consent_version")


async def enroll(
    enrolments: Iterable[Enrolment],
    actor: CurrentUser | None,
    stores: Stores,
    batch_id: uuid.UUID | None = None,
    progress: Callable[[int], Awaitable[None] | None] | None = None,
) -> EnrolmentCounts:
    """Create cards for new NIKs and update changed ones, in chunks; the same rows again change nothing. A child
    whose parent withdrew consent is enrolled again only with a consent given after the withdrawal."""
    counts = EnrolmentCounts()
    pending = list(enrolments)
    withdrawn = await withdrawals_of([enrolment.nik_hash for enrolment in pending])
    if withdrawn:
        counts.withdrawn = [
            e.nik_hash for e in pending if e.nik_hash in withdrawn and e.consent_at <= withdrawn[e.nik_hash]
        ]
        refused = set(counts.withdrawn)
        pending = [enrolment for enrolment in pending if enrolment.nik_hash not in refused]
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        async with write_transaction():
            await _enroll_chunk(chunk, actor, batch_id, counts)
        if progress and inspect.isawaitable(done := progress(len(chunk))):
            await done
    await _changed(counts.updated_ids, stores)
    return counts


_COUNTED = {"birth_date", "kelurahan_code", "kia_printed_on", "channel"}  # the fields the rollups group by
_CARD_COLUMNS = (
    "id", "cv", "status", "nik_hash", "birth_date", "birth_year", "sex", "kelurahan_code", "city_code",
    "kia_printed_on", "enrolled_on", "channel", "consent_guardian", "consent_version", "consent_at",
    "consent_recorded_by", "import_batch", "created_at", "updated_at", "counted_from",
)  # fmt: skip


def _later_than_print(printed: date, counted_from: date | None) -> date | None:
    """`counted_from` where it moves the card's counted month past its print month; None where it does not."""
    if counted_from is None or rollups.month_of(counted_from) <= rollups.month_of(printed):
        return None
    return counted_from


async def _enroll_chunk(
    chunk: list[Enrolment], actor: CurrentUser | None, batch_id: uuid.UUID | None, counts: EnrolmentCounts
) -> None:
    compared = [getattr(Card, name) for name in _COMPARED]
    existing = {
        row["nik_hash"]: row
        for row in await Card.select(
            Card.id,
            Card.cv,
            Card.nik_hash,
            Card.enrolled_on,
            Card.first_redeemed_on,
            Card.birth_year,
            Card.counted_from,
            *compared,
        ).where(Card.nik_hash.is_in([e.nik_hash for e in chunk]))
    }
    new_cards: list[tuple[Any, ...]] = []
    now = utc_now()
    actor_id = actor.id if actor else None
    for enrolment in chunk:
        row = existing.get(enrolment.nik_hash)
        fields = enrolment.fields()
        if row is None:
            card_id = uuid.UUID(bytes=secrets.token_bytes(16))  # 128 random bits, not a UUID4's 122
            new_cards.append(
                (card_id, 1, CardStatus.ACTIVE.value, enrolment.nik_hash, enrolment.birth_date,
                 enrolment.birth_date.year, enrolment.sex.value, enrolment.kelurahan_code,
                 city_of(enrolment.kelurahan_code), enrolment.kia_printed_on, enrolment.enrolled_on,
                 enrolment.channel.value, enrolment.consent_guardian, enrolment.consent_version, enrolment.consent_at,
                 actor_id, batch_id, now, now, _later_than_print(enrolment.kia_printed_on, enrolment.counted_from))
            )  # fmt: skip
            existing[enrolment.nik_hash] = {"id": card_id, "cv": 1, **fields}
            continue
        changed = _changes(row, fields)
        if not changed:
            counts.unchanged += 1
            continue
        if "kelurahan_code" in changed:  # the child moved: the card goes to the office of the new kelurahan
            changed["city_code"] = city_of(enrolment.kelurahan_code)
        recount = bool(changed.keys() & _COUNTED)
        counted_from = _later_than_print(enrolment.kia_printed_on, enrolment.counted_from)
        # Counted where it was until the export's day, where it is now from then (or, for the first export of an
        # area or a correction, where it is now from its print month).
        extra: dict[Any, Any] = {"counted_from": counted_from} if recount else {}
        await Card.update({**changed, **extra, "consent_at": enrolment.consent_at, "updated_at": now}).where(
            Card.id == row["id"]
        )
        await CardEvent.insert(
            CardEvent(card=row["id"], event="updated", cv=row["cv"], actor_id=actor_id, details=sorted(changed))
        )
        if recount:
            until = enrolment.counted_from
            was = {**row, "counted_from": max(row["counted_from"] or until, until)} if until else row
            await rollups.cards_counted([was], -1)
            await rollups.cards_counted([{**row, **fields, "counted_from": counted_from}], +1)
        counts.updated += 1
        counts.updated_ids.append(row["id"])
    if new_cards:
        ids = [card[0] for card in new_cards]
        await bulk_insert(Card, _CARD_COLUMNS, new_cards)
        await bulk_insert(
            Credential, ("card", "cv", "manual_code", "issued_at"),
            [(card_id, 1, credentials.new_manual_code(), now) for card_id in ids],
        )  # fmt: skip
        await bulk_insert(
            CardEvent, ("card", "event", "cv", "actor_id", "occurred_at"),
            [(card_id, "enrolled", 1, actor_id, now) for card_id in ids],
        )  # fmt: skip
        await rollups.cards_counted(
            {"enrolled_on": c[10], "kelurahan_code": c[7], "channel": c[11], "kia_printed_on": c[9], "birth_year": c[5],
             "counted_from": c[19]}
            for c in new_cards
        )  # fmt: skip
        counts.created += len(ids)
        counts.created_ids += ids


def _changes(row: dict[str, Any], fields: dict[str, Any]) -> dict[Any, Any]:
    return {name: fields[name] for name in _COMPARED if _plain(row[name]) != _plain(fields[name])}


async def classify(enrolments: list[Enrolment]) -> EnrolmentCounts:
    """What `enroll` would do with these rows, read only: for an import's preview (ids are not filled)."""
    counts = EnrolmentCounts()
    withdrawn = await withdrawals_of([enrolment.nik_hash for enrolment in enrolments])
    for start in range(0, len(enrolments), CHUNK):
        chunk = enrolments[start : start + CHUNK]
        existing = {
            row["nik_hash"]: row
            for row in await Card.select(Card.nik_hash, *(getattr(Card, name) for name in _COMPARED)).where(
                Card.nik_hash.is_in([e.nik_hash for e in chunk])
            )
        }
        for enrolment in chunk:
            row = existing.get(enrolment.nik_hash)
            if (
                row is None
                and enrolment.nik_hash in withdrawn
                and enrolment.consent_at <= withdrawn[enrolment.nik_hash]
            ):
                counts.withdrawn.append(enrolment.nik_hash)
            elif row is None:
                counts.created += 1
            elif _changes(row, enrolment.fields()):
                counts.updated += 1
            else:
                counts.unchanged += 1
    return counts


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# --- status for the till ------------------------------------------------------------------------------------


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(CardState)


# Read by every scan whose card is not cached: compiled once (core.database.statements.CompiledQuery).
_CARD_STATE = CompiledQuery(
    lambda card_id: (
        Card.select(Card.id, Card.cv, Card.status, Card.birth_date, Card.kelurahan_code)
        .where(Card.id == card_id)
        .first()
    ),
    first=True,
)


def state_of(card_id: uuid.UUID, row: Mapping[str, Any] | None) -> CardState | None:
    """A card row (cv, status, birth_date, kelurahan_code) as the till checks it; None for no row."""
    if row is None:
        return None
    return CardState(card_id=card_id, cv=row["cv"], status=CardStatus(row["status"]), birth_date=row["birth_date"],
                     kelurahan_code=row["kelurahan_code"])  # fmt: skip


async def card_state(card_id: uuid.UUID, stores: Stores) -> CardState | None:
    cached = await stores.cache_get(CACHE, card_id.hex)
    if cached is not None:
        return _DECODER.decode(cached)
    state = state_of(card_id, await _CARD_STATE(card_id))
    if state is None:
        return None
    await stores.cache_set(CACHE, card_id.hex, _ENCODER.encode(state), CACHE_TTL_SECONDS)
    return state


def effective_status(state: CardState, today: date) -> CardStatus:
    if state.status is CardStatus.ACTIVE and state.birth_date is not None and expired_on(state.birth_date, today):
        return CardStatus.EXPIRED
    return state.status


def check_card(state: CardState | None, presented: Presented, today: date) -> CardState:
    """The one card check of scan and redeem: the card behind a verified credential, if it may be used today; a
    typed refusal otherwise (`state` is the cached state on a scan, the locked row on a redeem)."""
    if state is None:
        raise CardUnknown()
    status = effective_status(state, today)
    if status is CardStatus.REVOKED:
        raise CardRevoked()
    if presented.cv < state.cv:
        raise CardSuperseded()
    if presented.cv > state.cv:
        raise CardUnknown()  # a version never issued: forged or from another database
    if status is CardStatus.EXPIRED:
        raise CardExpired()
    return state


async def _changed(card_ids: list[uuid.UUID], stores: Stores) -> None:
    """After a change of these cards: drop their cached state and the cached status lists that hold their prints,
    so the till and the next list fetch see it at once."""
    for card_id in card_ids:
        await stores.cache_delete(CACHE, card_id.hex)
    await status_lists.forget(card_ids, stores)


async def check(presented: Presented, stores: Stores, today: date) -> CardState:
    """The card behind a verified credential (its status cached in the store), if it may be used today."""
    return check_card(await card_state(presented.card_id, stores), presented, today)


async def resolve(text: str, keyring: KeyRing, stores: Stores, settings: Settings, today: date) -> CardState:
    """Scanned text -> the usable card, or QrUnreadable / SignatureInvalid / UnknownKey / KeyRevoked /
    CardUnknown / CardRevoked / CardSuperseded / CardExpired."""
    return await check(await credentials.read(text, keyring, settings, stores), stores, today)


# --- Dukcapil's changes -------------------------------------------------------------------------------------


# A new sticker is for a lost or damaged one; the other reasons end the card. Withdrawn consent also erases the
# child's data: a revocation for that reason is a consent withdrawal (`revoke` hands it over), never a bare one.
REISSUE_REASONS = (RevocationReason.LOST, RevocationReason.DAMAGED)
# "moved" is the registry's own: a full export that no longer lists the child, confirmed by the clerk.
REVOKE_REASONS = tuple(reason for reason in RevocationReason if reason is not RevocationReason.MOVED)
REASON_NOT_ALLOWED = Text(
    "Alasan ini hanya dipakai impor registri lengkap yang tidak lagi memuat anak tersebut.",
    "This reason is only used by a full registry import that no longer lists the child.",
)


async def _locked_card(card_id: uuid.UUID, actor: CurrentUser | None, expected_cv: int | None = None) -> dict[str, Any]:
    """The card's row, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite: the write lock is already held),
    so two changes of one card at once run one after the other. Another office's card is not found. `expected_cv`:
    the version the clerk was shown; a card changed since answers CardChanged (409) instead of changing it again."""
    query = owned(Card.select(Card.id, Card.cv, Card.status, Card.city_code), Card.city_code, actor)
    row = await for_update(query.where(Card.id == card_id)).first()
    if row is None:
        raise CardNotFound()
    if expected_cv is not None and row["cv"] != expected_cv:
        raise CardChanged(cv=row["cv"], expected=expected_cv)
    return row


async def revoke(
    card_id: uuid.UUID,
    reason: RevocationReason,
    actor: CurrentUser,
    stores: Stores,
    expected_cv: int | None = None,
) -> None:
    """End the card: every till refuses it from now on. For withdrawn consent, the data is erased too."""
    if reason not in REVOKE_REASONS:  # "moved" comes only from a full export (`mark_moved`)
        raise Invalid([FieldProblem("reason", "reason_not_allowed", REASON_NOT_ALLOWED)])
    if reason is RevocationReason.CONSENT_WITHDRAWN:
        await withdraw_consent(card_id, actor, stores, expected_cv)
        return
    async with write_transaction():
        row = await _locked_card(card_id, actor, expected_cv)
        if row["status"] != CardStatus.ACTIVE:
            raise CardNotActive(status=row["status"])
        await Card.update(
            {Card.status: CardStatus.REVOKED, Card.status_reason: reason, Card.updated_at: utc_now()}
        ).where(Card.id == card_id)
        await CardEvent.insert(CardEvent(card=card_id, event="revoked", cv=row["cv"], reason=reason, actor_id=actor.id))
        await record_event(
            "card.revoked",
            "card",
            card_id,
            actor=actor,
            before={"status": "active"},
            after={"reason": reason.value},
            city=row["city_code"],
        )
    await _changed([card_id], stores)


async def reissue(
    card_id: uuid.UUID,
    reason: RevocationReason,
    actor: CurrentUser,
    stores: Stores,
    expected_cv: int | None = None,
) -> tuple[int, str]:
    """A new credential version (a lost or damaged sticker): the older QR answers `card_superseded`."""
    if reason not in REISSUE_REASONS:
        raise ReissueReasonRefused(reason=reason.value)
    async with write_transaction():
        row = await _locked_card(card_id, actor, expected_cv)
        if row["status"] != CardStatus.ACTIVE:
            raise CardNotActive(status=row["status"])
        cv = row["cv"] + 1
        code = credentials.new_manual_code()
        await Card.update({Card.cv: cv, Card.updated_at: utc_now()}).where(Card.id == card_id)
        await Credential.insert(Credential(card=card_id, cv=cv, manual_code=code))
        await CardEvent.insert(CardEvent(card=card_id, event="reissued", cv=cv, reason=reason, actor_id=actor.id))
        await record_event(
            "card.reissued",
            "card",
            card_id,
            actor=actor,
            before={"cv": cv - 1},
            after={"cv": cv, "reason": reason.value},
            city=row["city_code"],
        )
    await _changed([card_id], stores)
    return cv, code


async def withdrawals_of(nik_hashes: list[str]) -> dict[str, datetime]:
    """When the parent of each of these children withdrew consent (the latest time), for those who did."""
    found: dict[str, datetime] = {}
    for start in range(0, len(nik_hashes), CHUNK):
        rows = await ConsentWithdrawal.select(ConsentWithdrawal.nik_hash, ConsentWithdrawal.withdrawn_at).where(
            ConsentWithdrawal.nik_hash.is_in(nik_hashes[start : start + CHUNK])
        )
        found.update({row["nik_hash"]: row["withdrawn_at"] for row in rows})
    return found


async def withdraw_consent(
    card_id: uuid.UUID, actor: CurrentUser, stores: Stores, expected_cv: int | None = None
) -> None:
    """Revoke and erase: the birth date down to its year, the NIK hash, the consent details, the sex; and leave a
    tombstone (the keyed NIK hash and the time, nothing else) so that no later import of an older consent undoes
    it. Every path that withdraws consent (the API's revoke or withdrawal, the card page) comes here.

    What stays (birth year, kelurahan, print and enrolment dates, channel) is what aggregate reports need.
    """
    async with write_transaction():
        row = await _locked_card(card_id, actor, expected_cv)
        held = await Card.select(Card.nik_hash).where(Card.id == card_id).first()
        if held and held["nik_hash"]:
            now = utc_now()
            await ConsentWithdrawal.delete().where(ConsentWithdrawal.nik_hash == held["nik_hash"])
            await ConsentWithdrawal.insert(ConsentWithdrawal(nik_hash=held["nik_hash"], withdrawn_at=now))
        await Card.update(
            {
                Card.status: CardStatus.REVOKED,
                Card.status_reason: RevocationReason.CONSENT_WITHDRAWN,
                Card.birth_date: None,
                Card.nik_hash: None,
                Card.sex: None,
                Card.consent_guardian: None,
                Card.consent_version: None,
                Card.consent_at: None,
                Card.consent_recorded_by: None,
                Card.updated_at: utc_now(),
            }
        ).where(Card.id == card_id)
        await CardEvent.insert(
            CardEvent(
                card=card_id, event="consent_withdrawn", cv=row["cv"], reason="consent_withdrawn", actor_id=actor.id
            )
        )
        await record_event(
            "card.consent_withdrawn",
            "card",
            card_id,
            actor=actor,
            before={"status": row["status"]},
            city=row["city_code"],
        )
    await _changed([card_id], stores)


async def mark_moved(card_ids: list[uuid.UUID], on: date, actor: CurrentUser | None, stores: Stores) -> int:
    """A full export of the children's area no longer lists them, and Dukcapil chose "moved": each active card is
    revoked (reason `moved`) and no longer counted from `on`. Cards changed meanwhile (no longer active) are left."""
    moved = 0
    actor_id = actor.id if actor else None
    for start in range(0, len(card_ids), CHUNK):
        async with write_transaction():
            rows = await for_update(
                Card.select(Card.id, Card.cv, Card.kelurahan_code, Card.birth_year, Card.kia_printed_on,
                            Card.counted_from)
                .where(Card.id.is_in(card_ids[start : start + CHUNK]) & (Card.status == CardStatus.ACTIVE))
            )  # fmt: skip
            if not rows:
                continue
            ids = [row["id"] for row in rows]
            await Card.update(
                {Card.status: CardStatus.REVOKED, Card.status_reason: RevocationReason.MOVED,
                 Card.counted_until: on, Card.updated_at: utc_now()}
            ).where(Card.id.is_in(ids))  # fmt: skip
            await bulk_insert(
                CardEvent, ("card", "event", "cv", "reason", "actor_id"),
                [(row["id"], "revoked", row["cv"], RevocationReason.MOVED.value, actor_id) for row in rows],
            )  # fmt: skip
            await rollups.holders_left(rows, on)
            moved += len(rows)
        await _changed(card_ids[start : start + CHUNK], stores)
    return moved


# --- reading for Dukcapil -----------------------------------------------------------------------------------


async def viewed(card_id: uuid.UUID, reader: CurrentUser, via: str) -> None:
    """Dukcapil read a child's card (its status, consent and history): an audit event, as for a change."""
    await record_event("card.viewed", "card", card_id, actor=reader, after={"via": via})


async def find_by_manual_code(raw: str, reader: CurrentUser | None) -> uuid.UUID:
    """The card whose manual code this is, among the reader's office's cards."""
    code = credentials.normalize_manual_code(raw)
    if code is None:
        raise CardNotFound()
    query = owned(Credential.select(Credential.card), Credential.card.city_code, reader)
    row = await query.where(Credential.manual_code == code).first()
    if row is None:
        raise CardNotFound()
    return row["card"]


async def current_credential(card_id: uuid.UUID) -> tuple[int, str]:
    row = (
        await Credential.select(Credential.cv, Credential.manual_code)
        .where(Credential.card == card_id)
        .order_by(Credential.cv, ascending=False)
        .first()
    )
    if row is None:
        raise CardNotFound()
    return row["cv"], row["manual_code"]


async def issue_qr_text(
    card_id: uuid.UUID, keyring: KeyRing, settings: Settings, reader: CurrentUser | None
) -> tuple[str, str]:
    """The version 2 QR text and the manual code to print for the card's current version, for a card of the reader's
    office. Each print is freshly signed; the version's status slot is drawn at its first print and kept."""
    query = owned(Card.select(Card.status, Card.cv, Card.city_code), Card.city_code, reader)
    card = await query.where(Card.id == card_id).first()
    if card is None:
        raise CardNotFound()
    if card["status"] != CardStatus.ACTIVE:
        raise CardNotActive(status=card["status"])
    slot, code = await _status_slot(card_id, card["city_code"])
    return cwt.sign(await keyring.signing_key(), slot), code


async def print_version(card_id: uuid.UUID, cv: int, keyring: KeyRing) -> str:
    """A version 2 QR of one given version of a card, whatever the card's state now (the demo's superseded and
    revoked stickers; Dukcapil prints through `issue_qr_text`)."""
    card = await Card.select(Card.city_code).where(Card.id == card_id).first()
    if card is None:
        raise CardNotFound()
    slot, _ = await _status_slot(card_id, card["city_code"], cv)
    return cwt.sign(await keyring.signing_key(), slot)


async def _status_slot(card_id: uuid.UUID, city_code: str, cv: int | None = None) -> tuple[int, str]:
    """The status slot of a version of the card (the current one by default; drawn now if it has none yet) and its
    manual code."""
    query = Credential.select(Credential.id, Credential.status_slot, Credential.manual_code)
    query = query.where(Credential.card == card_id)
    if cv is not None:
        query = query.where(Credential.cv == cv)
    row = await query.order_by(Credential.cv, ascending=False).first()
    if row is None:
        raise CardNotFound()
    if row["status_slot"] is not None:
        return row["status_slot"], row["manual_code"]
    async with write_transaction():
        locked = await for_update(Credential.select(Credential.status_slot).where(Credential.id == row["id"])).first()
        slot = locked["status_slot"] if locked else None
        if slot is None:  # nobody drew it in the meantime
            slot = await status_lists.allocate(city_code)
            await Credential.update({Credential.status_slot: slot}).where(Credential.id == row["id"])
    return slot, row["manual_code"]


async def mark_printed(card_ids: list[uuid.UUID], actor: CurrentUser | None, via: str = "bulk") -> None:
    """Note the cards' current credential as printed, and record who printed or downloaded what (`via`: qr_png,
    sticker_pdf, bulk): a QR is a child's credential leaving the system."""
    now = utc_now()
    for start in range(0, len(card_ids), CHUNK):
        chunk = card_ids[start : start + CHUNK]
        async with write_transaction():
            rows = await Card.select(Card.id, Card.cv).where(Card.id.is_in(chunk))
            for row in rows:
                await (
                    Credential.update({Credential.last_printed_at: now})
                    .where(Credential.card == row["id"])
                    .where(Credential.cv == row["cv"])
                )
            await CardEvent.insert(
                *[
                    CardEvent(card=row["id"], event="printed", cv=row["cv"], actor_id=actor.id if actor else None)
                    for row in rows
                ]
            )
    if card_ids:
        one = card_ids[0] if len(card_ids) == 1 else None
        await record_event("card.printed", "card", one, actor=actor, after={"cards": len(card_ids), "via": via})


async def detail(card_id: uuid.UUID, today: date, reader: CurrentUser | None) -> CardDetail:
    """What Dukcapil sees of a card of its office (another office's is not found)."""
    row = await owned(Card.select(), Card.city_code, reader).where(Card.id == card_id).first()
    if row is None:
        raise CardNotFound()
    cv, code = await current_credential(card_id)
    history = await (
        CardEvent.select(CardEvent.event, CardEvent.cv, CardEvent.reason, CardEvent.actor_id, CardEvent.occurred_at)
        .where(CardEvent.card == card_id)
        .order_by(CardEvent.id)
    )
    born = row["birth_date"]
    state = CardState(
        card_id=card_id, cv=cv, status=CardStatus(row["status"]), birth_date=born, kelurahan_code=row["kelurahan_code"]
    )
    return CardDetail(
        id=card_id,
        status=effective_status(state, today),
        status_reason=row["status_reason"],
        cv=cv,
        manual_code=credentials.format_manual_code(code),
        age_years=age_on(born, today) if born else None,
        kia_type=kia_type(born, today) if born else None,
        birth_year=row["birth_year"],
        kelurahan_code=row["kelurahan_code"],
        kia_printed_on=row["kia_printed_on"],
        enrolled_on=row["enrolled_on"],
        channel=Channel(row["channel"]),
        consent_guardian=row["consent_guardian"],
        consent_version=row["consent_version"],
        consent_at=row["consent_at"],
        history=[{**event, "occurred_at": event["occurred_at"].isoformat()} for event in history],
    )
