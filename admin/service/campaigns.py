"""Outreach campaigns of a Dukcapil office: each with a short code carried by its link, its poster and the registry
rows of the children it brought; visits counted without personal data; reports per campaign, school, kecamatan and
channel with small counts hidden."""

from __future__ import annotations

import io
import secrets
import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import qrcode
import structlog
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from admin.errors import CampaignAlreadyAttributed, CampaignNotFound
from admin.schemas import CampaignCreate, CampaignMonth, CampaignRead, CampaignReport, CampaignRow, ChannelLeader
from admin.service import reports
from admin.service.documents import latin1
from admin.tables import Campaign, CampaignEnrolment, CampaignKind, CampaignVisit
from core.auth import CurrentUser
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.offices import covers, office_of
from core.service.audit import record_event
from core.settings import Settings
from core.stores import Stores
from core.tables import Region, RegionLevel
from verification.errors import CardNotFound
from verification.service.rollups import month_of
from verification.tables import Card

log = structlog.get_logger()

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U to misread
CODE_LENGTH = 6  # a billion codes: one office's campaigns never run out, and a guess rarely lands
# Link-preview fetchers open a link when it is pasted into a chat, before any parent does: not a visit.
PREVIEW_AGENTS = (
    "whatsapp", "facebookexternalhit", "facebot", "telegrambot", "twitterbot", "slackbot", "discordbot", "linkedinbot",
    "skypeuripreview", "googlebot", "bingbot", "bot/", "crawler", "spider", "preview",
)  # fmt: skip
VISITS_PER_MINUTE = 300  # a campaign's counted opens per minute: a script cannot inflate a month in an hour
KIND_NAMES = {
    CampaignKind.SCHOOL: Text("Sekolah atau kelas", "School or class"),
    CampaignKind.WHATSAPP_GROUP: Text("Grup WhatsApp orang tua", "Parents' WhatsApp group"),
    CampaignKind.POSTER_RUN: Text("Pemasangan poster", "Poster run"),
    CampaignKind.EVENT: Text("Acara atau layanan jemput bola", "Event or mobile counter"),
    CampaignKind.OTHER: Text("Lainnya", "Other"),
}
CHANNEL_NAMES = {
    "dukcapil_counter": Text("Loket Dukcapil", "Dukcapil counter"),
    "school": Text("Sekolah", "School"),
    "school_whatsapp_group": Text("Grup WhatsApp sekolah", "School WhatsApp group"),
    "partner_promo": Text("Promosi mitra", "Partner promotion"),
    "outreach_event": Text("Acara jemput bola", "Outreach event"),
    "other": Text("Lainnya", "Other"),
}
NOT_IN_OFFICE = Text("Kecamatan ini tidak ada di wilayah kantor Anda.", "This kecamatan is not in your office's area.")
ENDS_BEFORE = Text("Tanggal selesai tidak boleh sebelum tanggal mulai.", "The end date cannot be before the start.")
NO_OFFICE = Text("Hanya kantor Dukcapil kabupaten/kota yang membuat kampanye.", "Only a kabupaten/kota office does.")


def normalize_code(raw: str) -> str | None:
    """A code as typed or read aloud: case, spaces and dashes ignored, O read as 0 and I or L as 1."""
    cleaned = raw.strip().upper().replace("-", "").replace(" ", "").translate(str.maketrans("OIL", "011"))
    return cleaned if len(cleaned) == CODE_LENGTH and all(c in CODE_ALPHABET for c in cleaned) else None


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def short_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url}/k/{code}"


async def _kecamatan_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await Region.select(Region.code, Region.name).where(Region.code.is_in(list(codes)))
    return {row["code"]: row["name"] for row in rows}


def _read(row: dict[str, Any], names: dict[str, str], settings: Settings) -> CampaignRead:
    return CampaignRead(
        id=row["id"], code=row["code"], name=row["name"], kind=CampaignKind(row["kind"]),
        school_name=row["school_name"],
        kecamatan_code=row["kecamatan_code"], kecamatan_name=names.get(row["kecamatan_code"], ""),
        landing=row["landing"], starts_on=row["starts_on"], ends_on=row["ends_on"],
        short_url=short_url(settings, row["code"]), poster_url=f"/admin/kampanye/{row['id']}/poster.pdf",
    )  # fmt: skip


async def create_campaign(data: CampaignCreate, actor: CurrentUser, settings: Settings) -> CampaignRead:
    city = office_of(actor)
    if city is None:
        raise Invalid([FieldProblem("office", "campaign_needs_office", NO_OFFICE)])
    problems = []
    kecamatan = data.kecamatan_code.strip()
    if kecamatan:
        found = await Region.exists().where(Region.code == kecamatan, Region.level == RegionLevel.KECAMATAN)
        if not found or not covers(city, kecamatan):
            problems.append(FieldProblem("kecamatan_code", "kecamatan_outside_office", NOT_IN_OFFICE))
    if data.ends_on is not None and data.ends_on < data.starts_on:
        problems.append(FieldProblem("ends_on", "ends_before_start", ENDS_BEFORE))
    if problems:
        raise Invalid(problems)
    campaign_id = uuid.uuid4()
    values = {
        "name": data.name.strip(), "kind": data.kind.value, "school_name": data.school_name.strip(),
        "kecamatan_code": kecamatan, "landing": data.landing, "starts_on": data.starts_on, "ends_on": data.ends_on,
    }  # fmt: skip
    async with write_transaction():
        code = _new_code()
        while await Campaign.exists().where(Campaign.code == code):
            code = _new_code()
        await Campaign.insert(
            Campaign(id=campaign_id, city_code=city, code=code, created_by=actor.id, **values)  # type: ignore[arg-type]
        )
        after = {**values, "code": code, "starts_on": data.starts_on.isoformat(),
                 "ends_on": data.ends_on.isoformat() if data.ends_on else None}  # fmt: skip
        await record_event("campaign.created", "campaign", campaign_id, actor=actor, after=after, city=city)
    return await read_campaign(campaign_id, actor, settings)


async def list_campaigns(viewer: CurrentUser, settings: Settings) -> list[CampaignRead]:
    """The viewer's office's campaigns (a province's or the nation's for a wider account), newest first."""
    query = Campaign.select().order_by(Campaign.starts_on, ascending=False)
    scope = viewer.region
    rows = [row for row in await query if covers(scope, row["city_code"]) or scope is None]
    names = await _kecamatan_names({row["kecamatan_code"] for row in rows if row["kecamatan_code"]})
    return [_read(row, names, settings) for row in rows]


async def read_campaign(campaign_id: uuid.UUID, viewer: CurrentUser, settings: Settings) -> CampaignRead:
    row = await Campaign.select().where(Campaign.id == campaign_id).first()
    if row is None or not (viewer.region is None or covers(viewer.region, row["city_code"])):
        raise CampaignNotFound()  # another office's campaign is not there at all
    names = await _kecamatan_names({row["kecamatan_code"]} - {""})
    return _read(row, names, settings)


# --- the short link ------------------------------------------------------------------------------------------


def is_preview(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(name in agent for name in PREVIEW_AGENTS)


async def open_link(code: str, user_agent: str, today: date, stores: Stores) -> str:
    """Count one open of a campaign's link (not a chat's link preview, not beyond VISITS_PER_MINUTE) on the day, and
    say where it leads. Nothing about the visitor is kept: the count is all there is."""
    normalized = normalize_code(code)
    row = None
    if normalized is not None:
        row = await Campaign.select(Campaign.id, Campaign.city_code, Campaign.landing, Campaign.code).where(
            Campaign.code == normalized
        ).first()  # fmt: skip
    if row is None:
        raise CampaignNotFound()
    (hit,) = await stores.hit_many([(f"campaign-visits:{row['id']}", 60)])
    if not is_preview(user_agent) and hit.count <= VISITS_PER_MINUTE:
        await _count_visit(row["id"], today)
    landing = f"/cara-mendapat-kia/{row['city_code']}" if row["landing"] == "guide" else "/penawaran"
    return f"{landing}?src={row['code']}"


async def _count_visit(campaign_id: uuid.UUID, day: date) -> None:
    """visits + 1 on the day's row, made if missing; two first opens at once meet at the unique index."""
    async with write_transaction():
        changed = await CampaignVisit.update({CampaignVisit.visits: CampaignVisit.visits + 1}).where(
            (CampaignVisit.campaign == campaign_id) & (CampaignVisit.day == day)
        ).returning(CampaignVisit.id)  # fmt: skip
        if changed:
            return
        made = await CampaignVisit.insert(CampaignVisit(campaign=campaign_id, day=day, visits=1)).on_conflict(
            action="DO NOTHING"
        ).returning(CampaignVisit.id)  # fmt: skip
        if not made:
            await CampaignVisit.update({CampaignVisit.visits: CampaignVisit.visits + 1}).where(
                (CampaignVisit.campaign == campaign_id) & (CampaignVisit.day == day)
            )  # fmt: skip


async def campaign_from_source(src: str | None, city: str) -> dict[str, Any] | None:
    """The campaign a landing page was reached through (`?src=`), if it is this city's: its code and name."""
    normalized = normalize_code(src or "")
    if normalized is None:
        return None
    return await Campaign.select(Campaign.code, Campaign.name, Campaign.school_name).where(
        (Campaign.code == normalized) & (Campaign.city_code == city)
    ).first()  # fmt: skip


# --- attribution ---------------------------------------------------------------------------------------------


async def codes_of(city: str) -> set[str]:
    """The campaign codes a registry export of this office may carry."""
    return {row["code"] for row in await Campaign.select(Campaign.code).where(Campaign.city_code == city)}


async def attribute(city: str, cards: list[tuple[uuid.UUID, str, date, str]]) -> int:
    """Attribute newly enrolled cards (card, campaign code, enrolment day, channel) to this office's campaigns. A
    card keeps its first campaign: a later file naming another changes nothing."""
    if not cards:
        return 0
    campaign_of = {row["code"]: row["id"] for row in await Campaign.select(Campaign.code, Campaign.id).where(
        Campaign.city_code == city)}  # fmt: skip
    rows = [
        CampaignEnrolment(card=card, campaign=campaign_of[code], enrolled_on=day, channel=channel)
        for card, code, day, channel in cards
        if code in campaign_of
    ]
    made = 0
    async with write_transaction():
        for start in range(0, len(rows), 500):
            inserted = await CampaignEnrolment.insert(*rows[start : start + 500]).on_conflict(
                action="DO NOTHING"
            ).returning(CampaignEnrolment.id)  # fmt: skip
            made += len(inserted)
    return made


UNKNOWN_CAMPAIGN = Text("Kode kampanye tidak dikenal di kantor ini.", "Unknown campaign code for this office.")


async def attribute_card(card_id: uuid.UUID, code: str, actor: CurrentUser) -> str:
    """Record at the counter the campaign a parent names for their child's card (the registry row carried none).
    Once: a card already attributed keeps its campaign."""
    city = office_of(actor)
    card = await Card.select(Card.city_code, Card.enrolled_on, Card.channel).where(Card.id == card_id).first()
    if card is None or city is None or card["city_code"] != city:
        raise CardNotFound()
    normalized = normalize_code(code)
    campaign = None
    if normalized is not None:
        campaign = await Campaign.select(Campaign.id, Campaign.code).where(
            (Campaign.code == normalized) & (Campaign.city_code == city)
        ).first()  # fmt: skip
    if campaign is None:
        raise Invalid([FieldProblem("campaign_code", "unknown_campaign", UNKNOWN_CAMPAIGN)])
    async with write_transaction():
        made = await CampaignEnrolment.insert(
            CampaignEnrolment(card=card_id, campaign=campaign["id"], enrolled_on=card["enrolled_on"],
                              channel=card["channel"])
        ).on_conflict(action="DO NOTHING").returning(CampaignEnrolment.id)  # fmt: skip
        if not made:
            raise CampaignAlreadyAttributed()
        await record_event("campaign.card_attributed", "card", card_id, actor=actor,
                           after={"campaign": campaign["code"]}, city=city)  # fmt: skip
    return campaign["code"]


async def campaign_of_card(card_id: uuid.UUID) -> dict[str, Any] | None:
    """The campaign a card is attributed to (its code and name), if any."""
    return await CampaignEnrolment.select(
        CampaignEnrolment.campaign.code.as_alias("code"), CampaignEnrolment.campaign.name.as_alias("name")
    ).where(CampaignEnrolment.card == card_id).first()  # fmt: skip


# --- reports -------------------------------------------------------------------------------------------------


def _months(first: date, last: date) -> list[date]:
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = month_of(month + timedelta(days=32))
    return months


def _row(key: str, label: str, months: list[date], visits: dict[date, int], enrolled: dict[date, int],
         threshold: int) -> CampaignRow:  # fmt: skip
    """One group's months, enrolments under the threshold hidden; where exactly one month is hidden, the smallest
    shown month is hidden too, or the total would give it away."""
    counts = [enrolled.get(month, 0) for month in months]
    hidden = [0 < n < threshold for n in counts]
    if hidden.count(True) == 1:
        shown = [i for i, n in enumerate(counts) if n and not hidden[i]]
        if shown:
            hidden[min(shown, key=lambda i: counts[i])] = True
    small = f"<{threshold}"
    total = sum(counts)
    return CampaignRow(
        key=key,
        label=label,
        visits=sum(visits.values()),
        enrolments=total if total == 0 or total >= threshold else small,
        months=[
            CampaignMonth(month, visits.get(month, 0), small if hidden[i] else counts[i])
            for i, month in enumerate(months)
        ],
    )


async def report(viewer: CurrentUser, first: date, last: date, threshold: int) -> CampaignReport:
    """Visits and attributed enrolments per campaign, per school and per kecamatan, by month, for the viewer's
    campaigns; and the channel that brought the most new KIAs each month."""
    campaigns = await Campaign.select().order_by(Campaign.starts_on)
    campaigns = [row for row in campaigns if viewer.region is None or covers(viewer.region, row["city_code"])]
    ids = [row["id"] for row in campaigns]
    months = _months(first, last)
    visits: dict[uuid.UUID, dict[date, int]] = defaultdict(dict)
    enrolled: dict[uuid.UUID, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    if ids:
        for row in await CampaignVisit.select().where(
            CampaignVisit.campaign.is_in(ids) & (CampaignVisit.day >= months[0]) & (CampaignVisit.day <= last)
        ):  # fmt: skip
            month = month_of(row["day"])
            visits[row["campaign"]][month] = visits[row["campaign"]].get(month, 0) + row["visits"]
        for row in await CampaignEnrolment.select(CampaignEnrolment.campaign, CampaignEnrolment.enrolled_on).where(
            CampaignEnrolment.campaign.is_in(ids) & (CampaignEnrolment.enrolled_on >= months[0])
            & (CampaignEnrolment.enrolled_on <= last)
        ):  # fmt: skip
            enrolled[row["campaign"]][month_of(row["enrolled_on"])] += 1
    names = await _kecamatan_names({row["kecamatan_code"] for row in campaigns if row["kecamatan_code"]})

    def grouped(key_of: Any, label_of: Any) -> list[CampaignRow]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in campaigns:
            if key_of(row):
                groups[key_of(row)].append(row)
        result = []
        for key, members in groups.items():
            group_visits: dict[date, int] = defaultdict(int)
            group_enrolled: dict[date, int] = defaultdict(int)
            for member in members:
                for month, n in visits[member["id"]].items():
                    group_visits[month] += n
                for month, n in enrolled[member["id"]].items():
                    group_enrolled[month] += n
            result.append(_row(key, label_of(members[0]), months, group_visits, group_enrolled, threshold))
        return sorted(result, key=lambda row: row.label)

    return CampaignReport(
        first_month=months[0],
        last_month=months[-1],
        threshold=threshold,
        campaigns=[
            _row(row["code"], row["name"], months, visits[row["id"]], enrolled[row["id"]], threshold)
            for row in campaigns
        ],
        schools=grouped(lambda row: row["school_name"], lambda row: row["school_name"]),
        kecamatan=grouped(lambda row: row["kecamatan_code"], lambda row: names.get(row["kecamatan_code"], "")),
        channel_leaders=await channel_leaders(viewer, months[0], months[-1], threshold),
    )


async def channel_leaders(viewer: CurrentUser, first: date, last_month: date, threshold: int) -> list[ChannelLeader]:
    """Each month, the enrolment channel that brought the most new KIAs with consent in the viewer's area."""
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    for row in await reports.channels(first, last_month, viewer.region):
        by_month[row["month"]][row["channel"]] = row["enrolled"]
    leaders = []
    for month, counts in sorted(by_month.items()):
        channel, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        shown = count >= threshold
        leaders.append(ChannelLeader(
            month=date.fromisoformat(month), channel=channel, enrolments=count if shown else f"<{threshold}",
            share=count / sum(counts.values()) if shown else None,
        ))  # fmt: skip
    return leaders


# --- the poster ----------------------------------------------------------------------------------------------

BLUE, INK, WHITE = (11, 79, 138), (20, 20, 20), (255, 255, 255)


def poster_pdf(campaign: CampaignRead, city_name: str) -> bytes:
    """An A4 poster for a school's notice board or a WhatsApp group's picture: why a KIA is worth having, the
    campaign's code to say at the counter, and a QR code of its short link."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    width, height, margin = pdf.w, pdf.h, 15
    pdf.add_page()
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, width, 28, style="F")
    pdf.set_text_color(*WHITE)
    pdf.set_font("Helvetica", "B", 22)
    pdf.set_xy(margin, 9)
    pdf.cell(text="Mitra KIA - Kartu Identitas Anak")
    pdf.set_text_color(*INK)
    pdf.set_xy(margin, 42)
    pdf.set_font("Helvetica", "", 16)
    if campaign.school_name:
        pdf.multi_cell(width - 2 * margin, 8, latin1(campaign.school_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 32)
    pdf.multi_cell(width - 2 * margin, 14, "Sudah punya KIA untuk anak Anda?", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 14)
    pdf.ln(3)
    pdf.multi_cell(
        width - 2 * margin, 7,
        latin1(f"KIA adalah kartu identitas resmi anak dari Dukcapil {city_name}. Dengan KIA, anak mendapat diskon "
               "di toko buku, taman rekreasi dan kolam renang mitra program."),
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.ln(4)
    pdf.set_text_color(*BLUE)
    pdf.set_font("Helvetica", "B", 26)
    pdf.multi_cell(width - 2 * margin, 12, f"Kode: {campaign.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(width - 2 * margin, 6, "Sebutkan kode ini saat mendaftarkan KIA anak di Dukcapil atau di sekolah.",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    qr_side = 70
    top = height - qr_side - 30
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(campaign.short_url)
    code.make(fit=True)
    png = io.BytesIO()
    code.make_image().save(png, format="PNG")
    pdf.image(png, x=margin, y=top, w=qr_side, h=qr_side)
    pdf.set_xy(margin + qr_side + 8, top + 12)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width - 3 * margin - qr_side, 8, "Pindai: syarat, alamat dan jam layanan Dukcapil",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", "", 11)
    pdf.set_x(margin + qr_side + 8)
    pdf.multi_cell(width - 3 * margin - qr_side, 6, latin1(campaign.short_url), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(margin, height - 18)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(text="Tautan ini hanya menghitung jumlah kunjungan: tanpa cookie, tanpa alamat IP.")
    return bytes(pdf.output())
