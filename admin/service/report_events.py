"""Events besides the offers that move KIA issuance (a supply limit, another programme), written by a Dukcapil
account for its own area and shown beside the effect estimate and on the issuance chart: a dip when blank cards ran
out, or a rise when schools began to ask for a KIA, is not the offers' doing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from admin.errors import ReportEventNotFound
from admin.schemas import ReportEventCreate, ReportEventRead
from admin.tables import ReportEvent, ReportEventKind
from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.offices import covers
from core.service.audit import record_event

KIND_NAMES = {
    ReportEventKind.SUPPLY_LIMIT: Text("Pasokan terbatas", "Supply limit"),
    ReportEventKind.OTHER_PROGRAMME: Text("Program lain", "Other programme"),
    ReportEventKind.OTHER: Text("Lainnya", "Other"),
}
ENDS_BEFORE = Text("Tanggal selesai tidak boleh sebelum tanggal mulai.", "The end date cannot be before the start.")


def _read(row: dict[str, Any]) -> ReportEventRead:
    return ReportEventRead(
        id=row["id"], region_code=row["region_code"], kind=ReportEventKind(row["kind"]), title=row["title"],
        starts_on=row["starts_on"], ends_on=row["ends_on"],
    )  # fmt: skip


def concerns(event_region: str | None, region: str | None) -> bool:
    """An event concerns a region it covers (the nation's or the province's reach a city) or one it lies within (a
    city's, seen from its province)."""
    return region is None or covers(event_region, region) or covers(region, event_region or "")


async def events_for(region: str | None, since: date | None = None) -> list[ReportEventRead]:
    """The events that concern a region (its own, those of the areas above it, and for a wider region those
    within it), oldest first; `since`: those still going on or after that day."""
    rows = await ReportEvent.select().order_by(ReportEvent.starts_on).order_by(ReportEvent.created_at)
    found = []
    for row in rows:
        if not concerns(row["region_code"], region):
            continue
        if since is not None and (row["ends_on"] or row["starts_on"]) < since:
            continue
        found.append(_read(row))
    return found


async def add_event(data: ReportEventCreate, actor: CurrentUser) -> ReportEventRead:
    """An event of the actor's own area (its office, province or the country)."""
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise Invalid([FieldProblem("ends_on", "ends_before_start", ENDS_BEFORE)])
    event_id = uuid.uuid4()
    values = {"kind": data.kind.value, "title": data.title.strip(), "starts_on": data.starts_on,
              "ends_on": data.ends_on}  # fmt: skip
    async with write_transaction():
        await ReportEvent.insert(
            ReportEvent(id=event_id, region_code=actor.region, created_by=actor.id, **values)  # type: ignore[arg-type]
        )
        after = {**values, "starts_on": data.starts_on.isoformat(),
                 "ends_on": data.ends_on.isoformat() if data.ends_on else None}  # fmt: skip
        await record_event("report_event.created", "report_event", event_id, actor=actor, after=after)
    row = await ReportEvent.select().where(ReportEvent.id == event_id).first()
    assert row is not None
    return _read(row)


async def remove_event(event_id: uuid.UUID, actor: CurrentUser) -> None:
    """Remove an event of the actor's own area; another area's answers 404 (it is not there for them)."""
    async with write_transaction():
        row = await ReportEvent.select().where(ReportEvent.id == event_id).first()
        if row is None or not owns(row["region_code"], actor.region):
            raise ReportEventNotFound()
        await ReportEvent.delete().where(ReportEvent.id == event_id)
        before = {"kind": row["kind"], "title": row["title"], "starts_on": row["starts_on"].isoformat()}
        await record_event("report_event.removed", "report_event", event_id, actor=actor, before=before)


def owns(event_region: str | None, actor_region: str | None) -> bool:
    """An account edits the events of its area and of the areas within it, never those above it."""
    return actor_region is None or (event_region is not None and covers(actor_region, event_region))
