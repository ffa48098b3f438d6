"""Sharing an offer where parents are: a link preview image (Open Graph, 1200 x 630), a WhatsApp message with the
page's link, and a printable poster (A4 or A5 PDF) for shop windows and school notice boards."""

from __future__ import annotations

import io
import textwrap
import uuid
from urllib.parse import quote

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from core.settings import Settings
from partners.schemas import CatalogOffer
from partners.service import catalog

PROGRAMME = "Mitra KIA"
FOR_HOLDERS = "untuk anak pemegang KIA"
PREVIEW_SIZE = (1200, 630)  # what WhatsApp, Facebook and X show large
BLUE, WHITE, INK, SOFT = (11, 93, 140), (255, 255, 255), (20, 33, 43), (214, 233, 244)
POSTER_SIZES = {"A4": "A4", "A5": "A5"}
PLAIN: dict[str, str | int | None] = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}


def whatsapp_message(offer: CatalogOffer, url: str) -> str:
    """What a parent sends to the school's group: the offer in one line, where it applies, and the link."""
    return (
        f"{offer.title} dari {offer.partner_name} untuk anak pemegang KIA: {offer.benefit_text}. "
        f"Syarat dan lokasinya: {url}"
    )


def whatsapp_link(offer: CatalogOffer, url: str) -> str:
    """WhatsApp's own share address: it opens the app (or WhatsApp Web) with the message ready to send."""
    return "https://wa.me/?text=" + quote(whatsapp_message(offer, url), safe="")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # Pillow's own scalable font: nothing to install, nothing to fetch


def _card(lines: list[tuple[str, int, tuple[int, int, int]]], badge: str) -> bytes:
    image = Image.new("RGB", PREVIEW_SIZE, BLUE)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 40, PREVIEW_SIZE[0] - 40, PREVIEW_SIZE[1] - 40), radius=28, fill=WHITE)
    y = 90
    for text, size, colour in lines:
        draw.text((90, y), text, font=_font(size), fill=colour)
        y += int(size * 1.25)
    badge_width = draw.textlength(badge, font=_font(34))
    draw.rounded_rectangle((90, 470, 90 + badge_width + 50, 540), radius=20, fill=SOFT)
    draw.text((115, 482), badge, font=_font(34), fill=BLUE)
    draw.text((PREVIEW_SIZE[0] - 330, 490), PROGRAMME, font=_font(44), fill=BLUE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


async def preview_png(settings: Settings, offer_id: uuid.UUID) -> bytes:
    """The offer's link preview: partner, title, benefit and who it is for, in large type."""
    offer = await catalog.catalog_offer(settings, offer_id)
    title = textwrap.wrap(offer.title, 30)[:2]
    lines = [(offer.partner_name, 40, BLUE), *[(line, 64, INK) for line in title], (offer.benefit_text, 48, INK)]
    return _card(lines, "Untuk pemegang KIA")


def catalog_preview_png(count: int) -> bytes:
    """The catalog's link preview."""
    lines = [("Penawaran untuk anak", 64, INK), ("pemegang KIA", 64, INK),
             (f"{count} penawaran dari mitra Dukcapil", 44, BLUE)]  # fmt: skip
    return _card(lines, "Kartu Identitas Anak")


def _latin(text: str) -> str:
    """The PDF's built-in Helvetica writes Latin-1: typographic dashes and quotes become their plain kin."""
    plain = text.translate(str.maketrans(PLAIN))
    return plain.encode("latin-1", "replace").decode("latin-1")


async def poster_pdf(settings: Settings, offer_id: uuid.UUID, size: str) -> bytes:
    """A printable poster: the programme's name, the partner, the offer and its benefit, the terms in short, the
    outlets, and a QR code that opens the offer's page."""
    offer = await catalog.catalog_offer(settings, offer_id)
    url = catalog.offer_page_url(settings, offer_id)
    pdf = FPDF(format=POSTER_SIZES[size])
    pdf.set_auto_page_break(False)
    width, height = pdf.w, pdf.h
    scale = width / 210  # A4 is the design; A5 the same, smaller
    margin = 15 * scale
    pdf.set_margins(margin, margin, margin)
    pdf.add_page()
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, width, 28 * scale, style="F")
    pdf.set_text_color(*WHITE)
    pdf.set_font("Helvetica", "B", 22 * scale)
    pdf.set_xy(margin, 9 * scale)
    pdf.cell(text=_latin(f"{PROGRAMME} - {FOR_HOLDERS}"))
    pdf.set_text_color(*INK)
    pdf.set_xy(margin, 40 * scale)
    pdf.set_font("Helvetica", "", 16 * scale)
    pdf.multi_cell(width - 2 * margin, 8 * scale, _latin(offer.partner_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 34 * scale)
    pdf.multi_cell(width - 2 * margin, 14 * scale, _latin(offer.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*BLUE)
    pdf.set_font("Helvetica", "B", 24 * scale)
    pdf.multi_cell(width - 2 * margin, 11 * scale, _latin(offer.benefit_text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "", 12 * scale)
    pdf.ln(3 * scale)
    pdf.multi_cell(width - 2 * margin, 6 * scale, _latin(offer.summary), new_x="LMARGIN", new_y="NEXT")
    if offer.terms:
        short = offer.terms if len(offer.terms) <= 240 else offer.terms[:237].rsplit(" ", 1)[0] + "..."
        pdf.multi_cell(width - 2 * margin, 6 * scale, _latin(f"Syarat: {short}"), new_x="LMARGIN", new_y="NEXT")
    places = "; ".join(f"{o.name}, {o.address}" for o in offer.outlets[:4])
    if places:
        pdf.ln(2 * scale)
        pdf.multi_cell(width - 2 * margin, 6 * scale, _latin(f"Di: {places}"), new_x="LMARGIN", new_y="NEXT")
    qr_side = 70 * scale
    top = height - qr_side - 30 * scale
    png = io.BytesIO()
    catalog.page_qr(url).make_image().save(png, format="PNG")
    pdf.image(png, x=margin, y=top, w=qr_side, h=qr_side)
    pdf.set_xy(margin + qr_side + 8 * scale, top + 12 * scale)
    pdf.set_font("Helvetica", "B", 16 * scale)
    pdf.multi_cell(
        width - 3 * margin - qr_side, 8 * scale, "Pindai untuk syarat lengkap dan lokasi", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 10 * scale)
    pdf.set_x(margin + qr_side + 8 * scale)
    pdf.multi_cell(width - 3 * margin - qr_side, 5 * scale, _latin(url), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(margin, height - 18 * scale)
    pdf.set_font("Helvetica", "", 10 * scale)
    pdf.cell(text=_latin("Tunjukkan KIA anak di kasir. Data pribadi anak tidak diberikan kepada mitra."))
    return bytes(pdf.output())
