"""The demo: a believable Kota Bengkulu built through each layer's own services. Idempotent.

The partners are the four named in the founding article (Koran RB, 2024). The article gives no discount values,
so every offer here is illustrative and says so in its terms; addresses are illustrative too. Region codes are
Kemendagri's (core/data), never invented.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from admin import demo_campaign, demo_history, demo_second_city, synthetic
from admin.schemas import KiaGuideForm
from admin.service import kia_guide, registry
from core.auth import CurrentUser, staff_user_row_to_current
from core.offices import office_of
from core.service.users import create_user
from core.settings import Settings, get_settings
from core.stores import Stores
from core.tables import Role, StaffUser
from partners.schemas import (
    Interval,
    ManagerAccount,
    OfferRules,
    OutletIn,
    PartnerProfile,
    StaffCreate,
    StaffRole,
)
from partners.service import offers, onboarding, outlets, staff
from partners.tables import Category, Offer, OfferStatus, Partner, PartnerStatus
from verification.service import cards, credentials, keys
from verification.service.keys import KeyRing
from verification.tables import (
    Card,
    CardStatus,
    Channel,
    Credential,
    KeyStatus,
    RevocationReason,
    Sex,
    SigningKey,
)

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of demo accounts, never of real ones
ILLUSTRATIVE = (
    "Contoh ilustratif untuk demo: artikel sumber tidak menyebut nilai diskon. "
    "Tunjukkan KIA dengan stiker QR Mitra KIA kepada kasir."
)
ILLUSTRATIVE_EN = "Illustrative demo offer: the source article gives no discount values."


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: Role
    display_name: str
    region: str | None = None  # a Dukcapil account's reach: its office's kabupaten/kota, a province, or national


@dataclass(frozen=True)
class DemoOutlet:
    name: str
    address: str
    kelurahan_code: str
    cashier: str
    hours: dict[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class DemoPartner:
    slug: str
    name: str
    category: Category
    contact_name: str
    agreement_number: str
    joined: date
    outlets: list[DemoOutlet]
    offers: list[dict[str, Any]] = field(default_factory=list)
    launch_drive: bool = True  # the synthetic uptake story moves near its outlets when it joins


DUKCAPIL_ACCOUNTS = (
    DemoAccount("dukcapil", Role.DUKCAPIL_ADMIN, "Petugas Dukcapil Kota Bengkulu", demo_history.CITY),
    DemoAccount("analis", Role.DUKCAPIL_ANALYST, "Analis Data Dukcapil Kota Bengkulu", demo_history.CITY),
    DemoAccount(
        "dukcapil.rejanglebong",
        Role.DUKCAPIL_ADMIN,
        "Petugas Dukcapil Kabupaten Rejang Lebong",
        demo_second_city.CITY,
    ),
    DemoAccount("ditjen", Role.DUKCAPIL_ANALYST, "Analis Ditjen Dukcapil (nasional)", None),
    # The card-signing keys are one national key ring: only a national admin rotates or revokes them.
    DemoAccount("ditjen.admin", Role.DUKCAPIL_ADMIN, "Admin Ditjen Dukcapil (nasional)", None),
)

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHOP_HOURS = {day: [("09:00", "21:00")] for day in EVERY_DAY}
PARK_HOURS = {day: [("08:00", "17:00")] for day in EVERY_DAY}
POOL_HOURS = {day: [("07:00", "18:00")] for day in EVERY_DAY if day != "mon"}

PARTNERS = (
    DemoPartner(
        slug="gramedia",
        name="Gramedia Bengkulu",
        category=Category.BOOKSTORE,
        contact_name="Manajer Toko Gramedia",
        agreement_number="PKS/DEMO/001/2024",
        joined=date(2024, 7, 1),
        outlets=[
            DemoOutlet(
                "Gramedia Suprapto", "Jl. Soeprapto (alamat ilustratif)", "17.71.07.1004", "gramedia.kasir", SHOP_HOURS
            ),
            DemoOutlet(
                "Gramedia Panorama",
                "Jl. Salak Raya (alamat ilustratif)",
                "17.71.09.1001",
                "gramedia.kasir2",
                SHOP_HOURS,
            ),
        ],
        offers=[
            {
                "title": "Diskon buku 10%",
                "title_en": "10% off books",
                "description": "Potongan 10% untuk buku anak dan alat tulis bagi pemegang KIA, maksimal Rp50.000.",
                "category": "bookstore",
                "benefit": {"type": "percent", "percent": 10, "max_discount": 50_000},
                "limits": [{"period": "day", "count": 1}, {"period": "month", "count": 4}],
            },
            {
                "title": "Gratis pembatas buku",
                "title_en": "Free bookmark",
                "description": "Satu pembatas buku bergambar Bengkulu untuk setiap anak pemegang KIA.",
                "category": "bookstore",
                "benefit": {"type": "free_item", "item": "pembatas buku", "value": 5_000},
                "limits": [{"period": "lifetime", "count": 1}],
                "quota": 2_000,
            },
        ],
    ),
    DemoPartner(
        slug="aviari",
        name="Queen Aviari",
        category=Category.RECREATION,
        contact_name="Pengelola Queen Aviari",
        agreement_number="PKS/DEMO/002/2024",
        joined=date(2024, 8, 5),
        outlets=[
            DemoOutlet(
                "Queen Aviari", "Jl. Jembatan Kecil (alamat ilustratif)", "17.71.09.1002", "aviari.kasir", PARK_HOURS
            ),
        ],
        offers=[
            {
                "title": "Potongan tiket masuk Rp10.000",
                "title_en": "Rp10.000 off the entry ticket",
                "description": "Potongan Rp10.000 untuk tiket masuk anak pemegang KIA di taman burung Queen Aviari.",
                "category": "recreation",
                "benefit": {"type": "fixed_amount", "amount": 10_000},
                "min_purchase": 25_000,
                "age_min": 2,
                "limits": [{"period": "day", "count": 1}],
            },
            {
                "title": "Diskon 20% kelas mengenal burung",
                "title_en": "20% off the bird-watching class",
                "description": "Kelas akhir pekan mengenal burung endemik Sumatra, diskon 20% (maks. Rp20.000).",
                "category": "education",
                "benefit": {"type": "percent", "percent": 20, "max_discount": 20_000},
                "weekdays": [6, 7],
                "age_min": 6,
                "limits": [{"period": "month", "count": 2}],
            },
        ],
    ),
    DemoPartner(
        slug="hamtian",
        name="Kolam Renang Ham Tian",
        category=Category.SWIMMING_POOL,
        contact_name="Pengelola Kolam Renang Ham Tian",
        agreement_number="PKS/DEMO/003/2024",
        joined=date(2024, 9, 2),
        outlets=[
            DemoOutlet(
                "Kolam Renang Ham Tian",
                "Jl. Sawah Lebar (alamat ilustratif)",
                "17.71.06.1006",
                "hamtian.kasir",
                POOL_HOURS,
            ),
        ],
        offers=[
            {
                "title": "Gratis masuk kolam anak usia 3–12 pada hari kerja",
                "title_en": "Free pool entry on weekdays for ages 3–12",
                "description": "Anak usia 3 sampai 12 tahun pemegang KIA masuk kolam gratis, Senin sampai Jumat.",
                "category": "swimming_pool",
                "benefit": {"type": "free_entry", "value": 15_000},
                "weekdays": [1, 2, 3, 4, 5],
                "age_min": 3,
                "age_max": 12,
                "limits": [{"period": "day", "count": 1}],
            },
            {
                "title": "Diskon 25% sewa pelampung",
                "title_en": "25% off float rental",
                "description": "Sewa ban pelampung untuk anak pemegang KIA lebih hemat 25%.",
                "category": "swimming_pool",
                "benefit": {"type": "percent", "percent": 25, "max_discount": 10_000},
                "limits": [{"period": "day", "count": 1}],
            },
        ],
    ),
    DemoPartner(
        slug="wahanapanda",
        name="Wahana Panda",
        category=Category.SWIMMING_POOL,
        contact_name="Pengelola Wahana Panda",
        agreement_number="PKS/DEMO/004/2024",
        joined=date(2024, 10, 7),
        outlets=[
            DemoOutlet(
                "Wahana Panda", "Jl. Bumi Ayu (alamat ilustratif)", "17.71.01.1004", "wahanapanda.kasir", POOL_HOURS
            ),
        ],
        offers=[
            {
                "title": "Diskon 20% tiket kolam",
                "title_en": "20% off pool tickets",
                "description": "Tiket kolam anak pemegang KIA lebih murah 20%, maksimal Rp10.000.",
                "category": "swimming_pool",
                "benefit": {"type": "percent", "percent": 20, "max_discount": 10_000},
                "limits": [{"period": "day", "count": 1}, {"period": "month", "count": 8}],
                "blackout_dates": [
                    {"from": "2025-03-30", "until": "2025-04-07", "label": "Libur Lebaran 2025"},
                    {"from": "2026-03-19", "until": "2026-03-27", "label": "Libur Lebaran 2026"},
                ],
                "budget": 20_000_000,
            },
            {
                "title": "Gratis masuk di hari Minggu pagi",
                "title_en": "Free entry on Sunday mornings",
                "description": "Anak pemegang KIA masuk gratis pada Minggu pagi sebelum pukul 10.00.",
                "category": "swimming_pool",
                "benefit": {"type": "free_entry", "value": 20_000},
                "weekdays": [7],
                "hours": {"start": "07:00", "end": "10:00"},
                "limits": [{"period": "week", "count": 1}],
                "quota": 3_000,
            },
        ],
    ),
    # Not in the founding article: an invented third pool (name and address illustrative), so that a pool's
    # dashboard can compare itself with the median of its category (shown from three partners up).
    DemoPartner(
        slug="tirta",
        name="Kolam Renang Tirta (ilustratif)",
        category=Category.SWIMMING_POOL,
        contact_name="Pengelola Kolam Renang Tirta",
        agreement_number="PKS/DEMO/005/2025",
        joined=date(2025, 7, 7),
        outlets=[
            DemoOutlet(
                "Kolam Renang Tirta",
                "Jl. Padang Harapan (alamat ilustratif)",
                "17.71.02.1001",
                "tirta.kasir",
                POOL_HOURS,
            ),
        ],
        offers=[
            {
                "title": "Diskon 15% tiket kolam",
                "title_en": "15% off pool tickets",
                "description": "Tiket kolam anak pemegang KIA lebih murah 15%, maksimal Rp7.500.",
                "category": "swimming_pool",
                "benefit": {"type": "percent", "percent": 15, "max_discount": 7_500},
                "limits": [{"period": "day", "count": 1}],
            },
        ],
        launch_drive=False,
    ),
)


async def ensure_account(account: DemoAccount) -> CurrentUser:
    """The account, created unless it exists."""
    row = await StaffUser.select().where(StaffUser.username == account.username).first()
    if row is not None:
        return staff_user_row_to_current(row)
    return await create_user(
        account.username,
        DEMO_PASSWORD,
        account.role,
        account.display_name,
        region=account.region,
        enforce_password_policy=False,
    )


def _outlet_in(outlet: DemoOutlet) -> OutletIn:
    return OutletIn(
        name=outlet.name,
        address=outlet.address,
        kelurahan_code=outlet.kelurahan_code,
        opening_hours={day: [Interval(open=o, close=c) for o, c in spans] for day, spans in outlet.hours.items()},
    )


async def ensure_partner(demo: DemoPartner, dukcapil: CurrentUser) -> uuid.UUID:
    """The partner approved, with outlets, a manager, a cashier per outlet and published offers."""
    row = await Partner.select(Partner.id).where(Partner.name == demo.name).first()
    if row is not None:
        return row["id"]
    profile = PartnerProfile(
        name=demo.name, category=demo.category, contact_name=demo.contact_name, contact_phone="0736 000000"
    )
    partner_id, manager = await onboarding.register_partner(
        profile,
        ManagerAccount(username=f"{demo.slug}.manajer", password=DEMO_PASSWORD, display_name=f"Manajer {demo.name}"),
        office_of(dukcapil) or "",
        "demo-seed",
        Stores(None),
        get_settings(),
        enforce_password_policy=False,
    )
    await onboarding.decide(
        partner_id, PartnerStatus.APPROVED, "PKS ditandatangani (demo)", dukcapil, demo.agreement_number
    )
    for outlet in demo.outlets:
        created = await outlets.create_outlet(partner_id, _outlet_in(outlet), manager)
        await staff.create_staff(
            partner_id,
            StaffCreate(
                username=outlet.cashier,
                password=DEMO_PASSWORD,
                display_name=f"Kasir {outlet.name}",
                role=StaffRole.CASHIER,
                outlet_id=created.id,
            ),
            manager,
            enforce_password_policy=False,
        )
    for offer in demo.offers:
        rules = msgspec.convert(
            {"valid_from": demo.joined.isoformat(), "terms": ILLUSTRATIVE, "terms_en": ILLUSTRATIVE_EN, **offer},
            OfferRules,
        )
        created_offer = await offers.create_offer(partner_id, rules, manager)
        await offers.move_by_manager(partner_id, created_offer.id, OfferStatus.SUBMITTED, None, manager)
        await offers.move_by_dukcapil(created_offer.id, OfferStatus.PUBLISHED, None, dukcapil)
    # The demo's history starts when each partner joined (mid-2024), not today.
    launched = datetime.combine(demo.joined, time(9, 0), tzinfo=ZoneInfo("Asia/Jakarta"))
    await Offer.update({Offer.first_published_at: launched}).where(Offer.partner == partner_id)
    return partner_id


# Prints per period, chosen so that the published coverage figures come out exactly (holders on 2024-10-31:
# 66,251; 2024-11-30: 67,474; 2025-05-31: 62.0% of 118,115 = 73,231) and about 41% in May 2021, 56% in Aug 2024.
PRINT_SEGMENTS = (
    (date(2016, 1, 4), date(2021, 5, 31), 45_000),
    (date(2021, 6, 1), date(2024, 8, 31), 19_100),
    (date(2024, 9, 1), date(2024, 10, 31), 2_151),
    (date(2024, 11, 1), date(2024, 11, 30), 1_223),
    (date(2024, 12, 1), date(2025, 5, 31), 5_757),
)
LAUNCH_DRIVE = 1.4  # synthetic: how much likelier a print is near a new partner's outlets, for 8 weeks
RECENT_PRINTS = 6_500  # from June 2025 to the seed date
CONSENT_SHARE = 0.8  # most holders enrolled in the programme; the rest are counted without personal data
ENROLMENT_START = date(2024, 7, 1)
EXPIRED_CHILDREN = 2  # enrolled while 16, now 17: printed in the first period, so counted in its 45,000


async def seed_registry(dukcapil: CurrentUser, settings: Settings, output_dir: Path) -> set[uuid.UUID]:
    """The synthetic Kota Bengkulu registry, imported through the real import; a few cards revoked, reissued or
    expired; var/demo/cards.csv and QR images of some cards for trying the till."""
    if await Card.count() > 0:
        return _cards_handed_out(output_dir)
    today = settings.today()
    if await SigningKey.count().where(SigningKey.status == KeyStatus.ACTIVE) == 0:
        await keys.rotate(settings, dukcapil)
    regions = await demo_history.city_kelurahan()
    kelurahan = [r["code"] for r in regions]
    segments = [synthetic.Segment(first, last, count) for first, last, count in PRINT_SEGMENTS]
    segments[0] = synthetic.Segment(segments[0].first, segments[0].last, segments[0].count - EXPIRED_CHILDREN)
    segments.append(synthetic.Segment(date(2025, 6, 1), today, RECENT_PRINTS))
    children = synthetic.registry(
        segments, today, kelurahan, CONSENT_SHARE, ENROLMENT_START, drives=launch_drives(regions)
    )
    stores = Stores(None)
    await registry.import_registry(
        "demo-siak-kota-bengkulu.csv", synthetic.to_csv(children), today, dukcapil, settings, stores
    )
    expired = await _enroll_expired(settings, kelurahan, stores)
    active = await Card.select(Card.id).where(Card.status == CardStatus.ACTIVE).order_by(Card.id).limit(3)
    revoked, superseded, _ = (row["id"] for row in active)
    await cards.revoke(revoked, RevocationReason.DATA_ERROR, dukcapil, stores)
    await cards.reissue(superseded, RevocationReason.LOST, dukcapil, stores)
    return await write_demo_cards(
        output_dir, settings, dukcapil, revoked=revoked, superseded=superseded, expired=expired
    )


def launch_drives(regions: list[dict[str, Any]]) -> list[synthetic.Drive]:
    """The demo's story (synthetic): in the 8 weeks after a partner joins, families in the kecamatan of its outlets
    get their children's KIA printed more often, so the uplift table has an effect to show."""
    parent = {r["code"]: r["parent_code"] for r in regions}
    drives = []
    for partner in (partner for partner in PARTNERS if partner.launch_drive):
        kecamatan = {parent[o.kelurahan_code] for o in partner.outlets}
        area = frozenset(code for code, up in parent.items() if up in kecamatan)
        drives.append(synthetic.Drive(partner.joined, partner.joined + timedelta(weeks=8), area, LAUNCH_DRIVE))
    return drives


def _cards_handed_out(output_dir: Path) -> set[uuid.UUID]:
    listing = output_dir / "cards.csv"
    if not listing.exists():
        return set()
    with listing.open(encoding="utf-8") as handle:
        return {uuid.UUID(row["card_id"]) for row in csv.DictReader(handle)}


async def _enroll_expired(settings: Settings, kelurahan: list[str], stores: Stores) -> uuid.UUID:
    today = settings.today()
    niks = synthetic.NikMaker()
    made = []
    for index in range(EXPIRED_CHILDREN):
        born = cards.birthday(today, -17) - timedelta(days=30 + index)
        nik = niks.make(kelurahan[index], born, "L")
        made.append(
            cards.Enrolment(
                nik_hash=cards.nik_hash(settings, nik),
                birth_date=born,
                sex=Sex.MALE,
                kelurahan_code=kelurahan[index],
                kia_printed_on=date(2016, 3, 1),
                enrolled_on=date(2024, 8, 12),
                channel=Channel.DUKCAPIL_COUNTER,
                consent_guardian="ayah",
                consent_version="v1.0",
                consent_at=datetime(2024, 8, 12, 3, 0, tzinfo=ZoneInfo("UTC")),
            )
        )
    counts = await cards.enroll(made, None, stores)
    return counts.created_ids[0]


async def write_demo_cards(
    output_dir: Path,
    settings: Settings,
    dukcapil: CurrentUser,
    *,
    revoked: uuid.UUID,
    superseded: uuid.UUID,
    expired: uuid.UUID,
) -> set[uuid.UUID]:
    """cards.csv (card_id, status, age_years, kelurahan_code, manual_code, qr_text) and qr/<card_id>.png."""
    today = settings.today()
    keyring = KeyRing(settings)
    rows = (
        await Card.select(Card.id, Card.birth_date, Card.kelurahan_code)
        .where(Card.status == CardStatus.ACTIVE)
        .order_by(Card.id)
        .limit(400)
    )
    chosen = [r for r in rows if r["id"] != superseded and 3 <= cards.age_on(r["birth_date"], today) <= 12][:24]
    lines = []
    for row in chosen:
        text, code = await cards.issue_qr_text(row["id"], keyring, settings, None)
        lines.append((row["id"], "active", cards.age_on(row["birth_date"], today), row["kelurahan_code"], code, text))
    for card_id, status in ((revoked, "revoked"), (expired, "expired"), (superseded, "superseded")):
        card = await Card.objects().get(Card.id == card_id)
        cv = 1  # the first sticker: for a reissued card, the one that was replaced
        credential = await Credential.objects().get((Credential.card == card_id) & (Credential.cv == cv))
        assert card is not None
        assert credential is not None
        text = await cards.print_version(card_id, cv, keyring)
        age = cards.age_on(card.birth_date, today)
        lines.append((card_id, status, age, card.kelurahan_code, credential.manual_code, text))
    (output_dir / "qr").mkdir(parents=True, exist_ok=True)
    with (output_dir / "cards.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["card_id", "status", "age_years", "kelurahan_code", "manual_code", "qr_text"])
        for card_id, status, age, code_wilayah, code, text in lines:
            writer.writerow([card_id, status, age, code_wilayah, credentials.format_manual_code(code), text])
            (output_dir / "qr" / f"{card_id}.png").write_bytes(credentials.qr_png(text))
    await cards.mark_printed([line[0] for line in lines if line[1] == "active"], dukcapil, via="demo")
    return {line[0] for line in lines}


# Each office's "how to get a KIA" page (admin.service.kia_guide): illustrative counters and hours, and said so.
DEMO_GUIDES = [
    KiaGuideForm(
        office_name="Dinas Kependudukan dan Pencatatan Sipil Kota Bengkulu",
        address="Kantor Dukcapil Kota Bengkulu (contoh untuk demo)",
        hours="Senin–Kamis 08.00–15.00 WIB\nJumat 08.00–11.30 WIB",
        channels="Loket KIA keliling ke sekolah: tanyakan ke sekolah anak",
        notes="Contoh untuk demo: alamat, jam dan layanan di halaman ini ilustratif, bukan data resmi.",
    ),
    KiaGuideForm(
        office_name="Dinas Kependudukan dan Pencatatan Sipil Kabupaten Rejang Lebong",
        address="Kantor Dukcapil Rejang Lebong, Curup (contoh untuk demo)",
        hours="Senin–Jumat 08.00–14.00 WIB",
        notes="Contoh untuk demo: alamat dan jam di halaman ini ilustratif, bukan data resmi.",
    ),
]


async def seed_demo(output_dir: Path = Path("var/demo"), with_registry: bool = True) -> list[DemoAccount]:
    """Seed everything the demo shows; returns the demo accounts (all with password `demo`)."""
    accounts = [await ensure_account(account) for account in DUKCAPIL_ACCOUNTS]
    dukcapil, second_office = accounts[0], accounts[2]
    partner_ids = [await ensure_partner(partner, dukcapil) for partner in PARTNERS]
    if with_registry:
        settings = get_settings()
        demo_cards = await seed_registry(dukcapil, settings, output_dir)
        await demo_history.seed_reference_figures(dukcapil)
        # The cards handed out in cards.csv stay unused, so that every scan in the walkthrough works first time.
        await demo_history.seed_redemptions(settings, settings.today(), demo_cards)
    else:
        await demo_history.seed_reference_figures(dukcapil)
    # The second city after the first's history, so that every synthetic redemption is a Bengkulu one.
    await demo_second_city.seed_branch(partner_ids[0], f"{PARTNERS[0].slug}.manajer", second_office, DEMO_PASSWORD)
    if with_registry:
        await demo_second_city.seed_registry(second_office, get_settings())
    for office, guide in ((dukcapil, DEMO_GUIDES[0]), (second_office, DEMO_GUIDES[1])):
        await kia_guide.save(office, guide)
    if with_registry:
        await demo_campaign.seed_campaign(dukcapil, get_settings())
    await demo_campaign.seed_report_events(dukcapil)
    partner_accounts = [
        DemoAccount(f"{p.slug}.manajer", Role.PARTNER_MANAGER, f"Manajer {p.name}") for p in PARTNERS
    ] + [DemoAccount(o.cashier, Role.CASHIER, f"Kasir {o.name}") for p in PARTNERS for o in p.outlets]
    partner_accounts.append(
        DemoAccount(demo_second_city.CASHIER, Role.CASHIER, f"Kasir {demo_second_city.OUTLET_NAME}")
    )
    return [*DUKCAPIL_ACCOUNTS, *partner_accounts]
