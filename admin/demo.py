"""The demo: a believable Kota Bengkulu built through each layer's own services. Idempotent.

The partners are the four named in the founding article (Koran RB, 2024). The article gives no discount values,
so every offer here is illustrative and says so in its terms; addresses are illustrative too. Region codes are
Kemendagri's (core/data), never invented.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from core.auth import CurrentUser, staff_user_row_to_current
from core.service.users import create_user
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


DUKCAPIL_ACCOUNTS = (
    DemoAccount("dukcapil", Role.DUKCAPIL_ADMIN, "Petugas Dukcapil Kota Bengkulu"),
    DemoAccount("analis", Role.DUKCAPIL_ANALYST, "Analis Data Dukcapil"),
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
)


async def ensure_account(account: DemoAccount) -> CurrentUser:
    """The account, created unless it exists."""
    row = await StaffUser.select().where(StaffUser.username == account.username).first()
    if row is not None:
        return staff_user_row_to_current(row)
    return await create_user(
        account.username, DEMO_PASSWORD, account.role, account.display_name, enforce_password_policy=False
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
        "demo-seed",
        Stores(None),
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


async def seed_demo() -> list[DemoAccount]:
    """Seed everything the demo shows; returns the demo accounts (all with password `demo`)."""
    accounts = [await ensure_account(account) for account in DUKCAPIL_ACCOUNTS]
    dukcapil = accounts[0]
    for partner in PARTNERS:
        await ensure_partner(partner, dukcapil)
    partner_accounts = [
        DemoAccount(f"{p.slug}.manajer", Role.PARTNER_MANAGER, f"Manajer {p.name}") for p in PARTNERS
    ] + [DemoAccount(o.cashier, Role.CASHIER, f"Kasir {o.name}") for p in PARTNERS for o in p.outlets]
    return [*DUKCAPIL_ACCOUNTS, *partner_accounts]
