"""Bulk printing from the console: an office's active cards of one kelurahan, or of one registry import (how a
school's list arrives), signed afresh onto a PDF of sticker sheets while the page shows how far it has got.

The run belongs to the office that started it (another office's answers 404). The PDF holds live credentials, so
it is kept for a day and then erased; printing again signs the cards again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread

from admin.errors import CHOOSE_ONE, NO_ACTIVE_CARDS, OUTSIDE_OFFICE, TOO_MANY_CARDS, PrintRunNotFound
from admin.service import printing, registry
from admin.tables import ImportStatus, PrintRun
from core.auth import CurrentUser
from core.errors import FieldProblem, Invalid
from core.localtime import utc_now
from core.offices import covers, office_of, owned
from core.service.audit import record_event
from core.service.regions import kelurahan_by_kecamatan, region_names
from core.settings import Settings
from core.tables import Region, RegionLevel
from verification.service import cards, credentials
from verification.service.keys import KeyRing

log = logging.getLogger(__name__)

KEPT_FOR = timedelta(days=1)
PROGRESS_EVERY = 20  # cards between progress notes on the run's row
MOST_CARDS = 5_000  # a run's cards at most: 239 A4 sheets
GIVEN_UP_AFTER = timedelta(hours=1)  # 5,000 cards take a few minutes


@dataclass(frozen=True)
class RunRead:
    id: uuid.UUID
    label: str
    status: str
    total: int
    done: int
    started_at: datetime
    finished_at: datetime | None
    downloadable: bool


def _read(row: dict[str, Any], now: datetime) -> RunRead:
    # A run that has not ended long after it could have (the worker restarted under it) is shown as failed: the
    # clerk starts it again rather than waiting for ever.
    stale = row["status"] == ImportStatus.RUNNING and now - row["started_at"] > GIVEN_UP_AFTER
    return RunRead(
        id=row["id"],
        label=row["label"],
        status=ImportStatus.FAILED if stale else row["status"],
        total=row["total"],
        done=row["done"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        downloadable=row["status"] == ImportStatus.DONE and _fresh(row, now),
    )


def _fresh(row: dict[str, Any], now: datetime) -> bool:
    return row["finished_at"] is not None and now - row["finished_at"] < KEPT_FOR


COLUMNS = (PrintRun.id, PrintRun.label, PrintRun.status, PrintRun.total, PrintRun.done, PrintRun.started_at,
           PrintRun.finished_at)  # fmt: skip


async def start(
    actor: CurrentUser, kelurahan_code: str | None, import_id: uuid.UUID | None, language: str
) -> uuid.UUID:
    """Record a run of the actor's office for one kelurahan of that office or one of its imports; refused (and
    nothing recorded) when neither or both are chosen, or when they hold no active card."""
    office = office_of(actor) or ""
    if bool(kelurahan_code) == bool(import_id):
        raise Invalid([FieldProblem("kelurahan_code", "choose_one", CHOOSE_ONE)])
    if kelurahan_code:
        found = (
            await Region.select(Region.name)
            .where((Region.code == kelurahan_code) & (Region.level == RegionLevel.KELURAHAN))
            .first()
        )
        if found is None or not covers(office, kelurahan_code):
            raise Invalid([FieldProblem("kelurahan_code", "kelurahan_outside_office", OUTSIDE_OFFICE)])
        label = f"{found['name']} ({kelurahan_code})"
    else:
        assert import_id is not None
        batch = await registry.read_import(import_id, language, actor)  # another office's: 404
        label = batch.filename
    card_ids = await printing.select_cards(kelurahan_code or None, import_id, reader=actor)
    if not card_ids:
        raise Invalid([FieldProblem("kelurahan_code" if kelurahan_code else "import_id", "no_active_cards",
                                    NO_ACTIVE_CARDS)])  # fmt: skip
    if len(card_ids) > MOST_CARDS:
        raise Invalid([FieldProblem("kelurahan_code", "too_many_cards", TOO_MANY_CARDS, {"most": MOST_CARDS})])
    await _erase_old_pdfs(office)
    run_id = uuid.uuid4()
    await PrintRun.insert(
        PrintRun(
            id=run_id, city_code=office, kelurahan_code=kelurahan_code or None, import_batch=import_id, label=label,
            total=len(card_ids), started_by=actor.id,
        )
    )  # fmt: skip
    await record_event(
        "card.bulk_printed", "print_run", run_id, actor=actor, after={"label": label, "cards": len(card_ids)}
    )
    return run_id


async def run(run_id: uuid.UUID, actor: CurrentUser, keyring: KeyRing, settings: Settings) -> None:
    """Sign every card of a started run onto sticker sheets, noting progress on the run's row (the page reads it)."""
    row = await PrintRun.select().where(PrintRun.id == run_id).first()
    if row is None:
        return
    try:
        card_ids = await printing.select_cards(row["kelurahan_code"], row["import_batch"], reader=actor)
        sheet = printing.StickerSheet()
        for index, card_id in enumerate(card_ids, start=1):
            text, code = await cards.issue_qr_text(card_id, keyring, settings, actor)
            # Drawing the QR and placing it is CPU work: in a thread, so the worker's other requests (the tills
            # of the whole city) are not held up by a thousand-card run.
            await to_thread.run_sync(_draw, sheet, text, code)
            if index % PROGRESS_EVERY == 0:
                await PrintRun.update({PrintRun.done: index}).where(PrintRun.id == run_id)
        pdf = bytes(sheet.pdf.output())
        await cards.mark_printed(card_ids, actor)
        await PrintRun.update(
            {PrintRun.done: len(card_ids), PrintRun.total: len(card_ids), PrintRun.pdf: pdf,
             PrintRun.status: ImportStatus.DONE, PrintRun.finished_at: utc_now()}
        ).where(PrintRun.id == run_id)  # fmt: skip
    except Exception:
        log.exception("print_run.failed", extra={"run_id": str(run_id)})
        await PrintRun.update({PrintRun.status: ImportStatus.FAILED, PrintRun.finished_at: utc_now()}).where(
            PrintRun.id == run_id
        )
        raise


def _draw(sheet: printing.StickerSheet, text: str, code: str) -> None:
    sheet.add(credentials.qr_png(text), code)


async def read(run_id: uuid.UUID, reader: CurrentUser) -> RunRead:
    row = await owned(PrintRun.select(*COLUMNS), PrintRun.city_code, reader).where(PrintRun.id == run_id).first()
    if row is None:
        raise PrintRunNotFound()
    return _read(row, utc_now())


async def pdf_of(run_id: uuid.UUID, reader: CurrentUser) -> bytes:
    """The run's PDF, while it is kept (another office's run, or one erased after a day, answers 404)."""
    row = (
        await owned(PrintRun.select(PrintRun.pdf, PrintRun.finished_at), PrintRun.city_code, reader)
        .where(PrintRun.id == run_id)
        .first()
    )
    if row is None or row["pdf"] is None or not _fresh(row, utc_now()):
        raise PrintRunNotFound()
    await record_event("card.bulk_print_downloaded", "print_run", run_id, actor=reader)
    return bytes(row["pdf"])


async def recent(reader: CurrentUser, limit: int = 10) -> list[RunRead]:
    rows = (
        await owned(PrintRun.select(*COLUMNS), PrintRun.city_code, reader)
        .order_by(PrintRun.started_at, ascending=False)
        .limit(limit)
    )
    now = utc_now()
    return [_read(row, now) for row in rows]


def kept_too_long(now: datetime) -> Any:
    """The runs whose PDF is past its day (it holds live credentials): erased by the office's next run, and by
    `mitrakia retention run`."""
    return PrintRun.pdf.is_not_null() & (PrintRun.finished_at < now - KEPT_FOR)


async def _erase_old_pdfs(office: str) -> None:
    await PrintRun.update({PrintRun.pdf: None}).where((PrintRun.city_code == office) & kept_too_long(utc_now()))


async def choices(reader: CurrentUser, language: str) -> dict[str, Any]:
    """What the form offers: the office's kelurahan (by kecamatan) and its recent imports."""
    office = office_of(reader) or ""
    names = await region_names({office})
    return {
        "office": names.get(office, office),
        "kecamatan": await kelurahan_by_kecamatan(office) if office else [],
        "imports": await registry.recent_imports(language, reader, 20),
    }
