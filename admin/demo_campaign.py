"""The demo's outreach campaign (synthetic): a named school's parents' WhatsApp group in Kota Bengkulu, with daily
visits through its short link and the demo children enrolled through that channel near the school since it began;
and two events written beside the effect estimate (illustrative: the synthetic registry does not move with them)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from admin.schemas import CampaignCreate, ReportEventCreate
from admin.service import campaigns, report_events
from admin.tables import Campaign, CampaignKind, CampaignVisit, ReportEvent, ReportEventKind
from core.auth import CurrentUser
from core.offices import covers
from core.settings import Settings
from verification.tables import Card, CardStatus, Channel

SCHOOL = "SD Negeri 1 Kota Bengkulu (ilustratif)"
KECAMATAN = "17.71.03"  # Teluk Segara: the demo registry has children enrolled there every month
DAYS = 75
EVENTS = (
    ReportEventCreate(kind=ReportEventKind.SUPPLY_LIMIT, title="Blangko KIA terbatas di Dukcapil (ilustratif)",
                      starts_on=date(2025, 2, 3), ends_on=date(2025, 3, 14)),
    ReportEventCreate(kind=ReportEventKind.OTHER_PROGRAMME,
                      title="Pendaftaran sekolah (SPMB) meminta KIA (ilustratif)",
                      starts_on=date(2025, 6, 2), ends_on=date(2025, 7, 11)),
)  # fmt: skip


async def seed_report_events(dukcapil: CurrentUser) -> None:
    """The office's two events, once."""
    if not await ReportEvent.exists().where(ReportEvent.region_code == dukcapil.region):
        for event in EVENTS:
            await report_events.add_event(event, dukcapil)


async def seed_campaign(dukcapil: CurrentUser, settings: Settings) -> str | None:
    """Make the campaign once; returns its code (None when it is there already)."""
    if await Campaign.exists().where(Campaign.school_name == SCHOOL):
        return None
    today = settings.today()
    start = today - timedelta(days=DAYS)
    made = await campaigns.create_campaign(
        CampaignCreate(name="Grup WhatsApp orang tua kelas 1", kind=CampaignKind.WHATSAPP_GROUP, starts_on=start,
                       school_name=SCHOOL, kecamatan_code=KECAMATAN, landing="guide"),
        dukcapil, settings,
    )  # fmt: skip
    rng = random.Random(2026)  # noqa: S311 - demo data
    visits = [
        CampaignVisit(campaign=made.id, day=start + timedelta(days=n), visits=max(0, int(rng.gauss(40 - n / 3, 6))))
        for n in range(DAYS)
    ]
    await CampaignVisit.insert(*visits)
    # The children enrolled through a school's WhatsApp group near the school since the campaign began.
    cards = await Card.select(Card.id, Card.enrolled_on, Card.channel, Card.kelurahan_code).where(
        (Card.enrolled_on >= start) & (Card.channel == Channel.SCHOOL_WHATSAPP_GROUP)
        & (Card.status == CardStatus.ACTIVE)
    )  # fmt: skip
    brought = [
        (card["id"], made.code, card["enrolled_on"], card["channel"])
        for card in cards
        if covers(KECAMATAN, card["kelurahan_code"])
    ]
    await campaigns.attribute(dukcapil.region or "", brought)
    return made.code
