"""The append-only audit log: every domain records who changed what, inside the same transaction as the change;
Dukcapil reads it back filtered and page by page.

The log is tamper-evident: each event carries the SHA-256 of the previous event's hash and of its own fields, so
changing, inserting or deleting a past event breaks the chain from that event on, and `verify_chain` (`mitrakia audit
verify`) names the first event that no longer matches. Appending takes one lock (PostgreSQL: a transaction-level
advisory lock; SQLite: its single write lock), so two events never claim the same predecessor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.database.engine import engine, is_sqlite
from core.database.transactions import write_transaction
from core.localtime import utc_now
from core.logs import current_request_id
from core.offices import office_of, seen
from core.tables import AuditEvent

if TYPE_CHECKING:
    from core.auth import CurrentUser


async def record_event(
    action: str,
    object_type: str,
    object_id: object | None = None,
    *,
    actor: CurrentUser | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    city: str | None = None,
) -> None:
    """Append one event, chained to the one before. Summaries must hold no personal data of children (no NIK,
    name, birth date, address).

    `city`: the kabupaten/kota whose office the event belongs to; by default the acting account's office.
    """
    fields: dict[str, Any] = {
        "occurred_at": utc_now(),
        "city_code": city or office_of(actor),
        "actor_id": actor.id if actor else None,
        "actor_username": actor.username if actor else None,
        "actor_role": actor.role.value if actor else None,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "before": _as_stored(before),
        "after": _as_stored(after),
        "request_id": current_request_id(),
    }
    async with write_transaction():
        if not is_sqlite():  # one appender at a time, until this transaction ends
            await engine().run_ddl(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")
        last = await AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id, ascending=False).first()
        prev = (last or {}).get("hash") or GENESIS
        await AuditEvent.insert(AuditEvent(**fields, prev_hash=prev, hash=chained(prev, fields)))


# --- the chain ------------------------------------------------------------------------------------------------

GENESIS = "0" * 64
CHAIN_LOCK = 7_171_203  # the advisory lock's key: any fixed number no other part of the service uses
CHAINED = ("occurred_at", "city_code", "actor_id", "actor_username", "actor_role", "action", "object_type",
           "object_id", "before", "after", "request_id")  # fmt: skip


def _as_stored(value: dict[str, Any] | None) -> Any:
    """A summary as the database gives it back (JSON types only), so that the hash of what is read back is the
    hash of what was written."""
    return None if value is None else json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _canonical(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "occurred_at":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if name in {"before", "after"}:
        return json.loads(value) if isinstance(value, str) else value
    return str(value)


def chained(prev_hash: str, event: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and the event's fields, as canonical JSON."""
    payload = json.dumps(
        {name: _canonical(name, event.get(name)) for name in CHAINED},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    events: int
    broken_at: int | None  # the id of the first event that does not match, if one does
    reason: str | None = None


async def _in_order(batch: int = 1000) -> AsyncIterator[dict[str, Any]]:
    last_id = 0
    while True:
        rows = await (
            AuditEvent.select()
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch)
            .output(load_json=True)
        )
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1]["id"]


async def verify_chain() -> ChainCheck:
    """Walk the log in order and recompute every hash: the first event whose predecessor link or own hash does
    not match is where someone changed, inserted or removed an event."""
    prev, count = GENESIS, 0
    async for row in _in_order():
        count += 1
        if row["prev_hash"] != prev:
            return ChainCheck(count, row["id"], "previous_hash")
        if row["hash"] != chained(prev, row):
            return ChainCheck(count, row["id"], "hash")
        prev = row["hash"]
    return ChainCheck(count, None)


# --- reading the log ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What a reader narrows the log to; each part is optional and they all apply together."""

    action: str | None = None
    actor_username: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None  # inclusive
    before: datetime | None = None  # exclusive, so a day's range is [midnight, next midnight)


def _filtered(query: Any, filters: EventFilter) -> Any:
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_username:
        query = query.where(AuditEvent.actor_username == filters.actor_username)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.before:
        query = query.where(AuditEvent.occurred_at < filters.before)
    return query


async def list_events(
    filters: EventFilter, reader: CurrentUser | None, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """The matching events that `reader` may read (those of the offices within its reach), newest first."""
    query = _filtered(seen(AuditEvent.select(), AuditEvent.city_code, reader), filters)
    return await (
        query.order_by(AuditEvent.occurred_at, ascending=False)
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )


async def count_events(filters: EventFilter, reader: CurrentUser | None) -> int:
    return await _filtered(seen(AuditEvent.count(), AuditEvent.city_code, reader), filters)


async def event_kinds(reader: CurrentUser | None) -> tuple[list[str], list[str]]:
    """The actions and the object types of the events `reader` may read, for its choices."""
    actions = (
        await seen(AuditEvent.select(AuditEvent.action), AuditEvent.city_code, reader)
        .distinct()
        .order_by(AuditEvent.action)
    )
    types = (
        await seen(AuditEvent.select(AuditEvent.object_type), AuditEvent.city_code, reader)
        .distinct()
        .order_by(AuditEvent.object_type)
    )
    return [row["action"] for row in actions], [row["object_type"] for row in types]


def local_days(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Calendar days in the programme's zone as the log's UTC range: [first's midnight, the midnight after last)."""
    since = datetime.combine(first, time(), zone).astimezone(UTC) if first else None
    before = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC) if last else None
    return since, before


EXPORT_COLUMNS = ["occurred_at", "actor_username", "actor_role", "action", "object_type", "object_id", "before",
                  "after", "request_id"]  # fmt: skip


def export_rows(events: list[dict[str, Any]], zone: ZoneInfo) -> tuple[list[dict[str, Any]], list[str]]:
    """Events as a CSV carries them: local times, before and after as JSON."""

    def as_json(value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    rows = [
        {**{name: event[name] for name in EXPORT_COLUMNS if name in event},
         "occurred_at": event["occurred_at"].astimezone(zone).isoformat(timespec="seconds"),
         "before": as_json(event["before"]), "after": as_json(event["after"])}
        for event in events
    ]  # fmt: skip
    return rows, EXPORT_COLUMNS
