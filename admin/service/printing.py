"""Printing credentials: a PNG and an SVG per card and a PDF of A4 sticker sheets, each sticker only the QR and
the manual code (no name, no NIK, nothing else about the child)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

from core.auth import CurrentUser
from core.offices import owned
from core.settings import Settings
from verification.service import cards, credentials
from verification.service.keys import KeyRing
from verification.tables import Card, CardStatus

# A4 sheet of 3 x 7 stickers of 63.5 x 38.1 mm (a common label stock), QR 30 mm with the code beneath.
PAGE_MARGIN_X, PAGE_MARGIN_Y = 7.2, 15.15
STICKER_W, STICKER_H = 63.5, 38.1
COLUMNS, ROWS = 3, 7
QR_MM = 30.0


@dataclass
class PrintJob:
    card_ids: list[uuid.UUID]
    png_dir: Path | None = None
    svg_dir: Path | None = None
    pdf_path: Path | None = None
    written: list[Path] = field(default_factory=list)


async def select_cards(
    kelurahan_code: str | None = None,
    batch_id: uuid.UUID | None = None,
    card_ids: list[uuid.UUID] | None = None,
    reader: CurrentUser | None = None,
) -> list[uuid.UUID]:
    """Active cards of the reader's office by kelurahan, import batch or id (each filter narrows the others)."""
    query = owned(Card.select(Card.id), Card.city_code, reader).where(Card.status == CardStatus.ACTIVE)
    if kelurahan_code:
        query = query.where(Card.kelurahan_code == kelurahan_code)
    if batch_id:
        query = query.where(Card.import_batch == batch_id)
    if card_ids:
        query = query.where(Card.id.is_in(card_ids))
    rows = await query.order_by(Card.kelurahan_code).order_by(Card.id)
    return [row["id"] for row in rows]


class StickerSheet:
    def __init__(self) -> None:
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_title("Stiker QR Mitra KIA")
        self.count = 0

    def add(self, qr_png: bytes, manual_code: str) -> None:
        slot = self.count % (COLUMNS * ROWS)
        if slot == 0:
            self.pdf.add_page()
        column, row = slot % COLUMNS, slot // COLUMNS
        x = PAGE_MARGIN_X + column * STICKER_W
        y = PAGE_MARGIN_Y + row * STICKER_H
        self.pdf.image(io.BytesIO(qr_png), x=x + (STICKER_W - QR_MM) / 2, y=y + 1.5, w=QR_MM, h=QR_MM)
        self.pdf.set_font("Courier", "B", 10)
        self.pdf.set_xy(x, y + 1.5 + QR_MM + 0.5)
        self.pdf.cell(STICKER_W, 4, credentials.format_manual_code(manual_code), align="C")
        self.count += 1

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pdf.output(str(path))


async def print_cards(
    job: PrintJob,
    keyring: KeyRing,
    settings: Settings,
    actor: CurrentUser | None,
    progress: Callable[[int], None] | None = None,
) -> PrintJob:
    sheet = StickerSheet() if job.pdf_path else None
    for directory in (job.png_dir, job.svg_dir):
        if directory:
            directory.mkdir(parents=True, exist_ok=True)
    for card_id in job.card_ids:
        text, code = await cards.issue_qr_text(card_id, keyring, settings, actor)
        png = credentials.qr_png(text)
        if job.png_dir:
            job.written.append(_write(job.png_dir / f"{card_id}.png", png))
        if job.svg_dir:
            job.written.append(_write(job.svg_dir / f"{card_id}.svg", credentials.qr_svg(text)))
        if sheet:
            sheet.add(png, code)
        if progress:
            progress(1)
    if sheet and job.pdf_path:
        sheet.write(job.pdf_path)
        job.written.append(job.pdf_path)
    await cards.mark_printed(job.card_ids, actor, via="cli")
    return job


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


async def sticker_pdf(card_ids: list[uuid.UUID], keyring: KeyRing, settings: Settings, actor: CurrentUser) -> bytes:
    """A sticker sheet for a few cards, built in memory for a download (the cards are marked printed)."""
    sheet = StickerSheet()
    for card_id in card_ids:
        text, code = await cards.issue_qr_text(card_id, keyring, settings, actor)
        sheet.add(credentials.qr_png(text), code)
    await cards.mark_printed(card_ids, actor, via="sticker_pdf")
    return bytes(sheet.pdf.output())
