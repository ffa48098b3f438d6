"""The demo's second city: Kabupaten Rejang Lebong (17.02), with its own Dukcapil office and a synthetic registry
(clearly marked so: no figure of it is published). Gramedia, approved in Kota Bengkulu, applies to Rejang Lebong too,
opens an outlet there with its own cashier, and runs an offer only for KIAs issued in Rejang Lebong — while its
Bengkulu offers take cards from both cities."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from admin import demo_history, synthetic
from admin.service import population, registry
from core.auth import CurrentUser, staff_user_row_to_current
from core.settings import Settings
from core.stores import Stores
from core.tables import StaffUser
from partners.schemas import OfferRules, OutletIn, StaffCreate, StaffRole
from partners.service import offers, onboarding, outlets, staff
from partners.tables import OfferStatus, PartnerOffice, PartnerStatus
from verification.tables import Card

CITY = "17.02"  # Kabupaten Rejang Lebong
AGREEMENT = "PKS/DEMO/RL/001/2026"
JOINED = date(2026, 1, 5)
CASHIER = "gramedia.kasir.rl"
OUTLET_NAME = "Gramedia Curup"
OUTLET_KELURAHAN = "17.02.19.1003"  # Talang Rimbo Lama, Curup Tengah
SYNTHETIC_CHILDREN = 1_200  # a small synthetic registry; nothing of it is a published figure
SYNTHETIC_ELIGIBLE = 2_400  # synthetic denominator, labelled as such
SYNTHETIC = "sintetis untuk demo (bukan angka resmi Kabupaten Rejang Lebong)"
TERMS = "Penawaran ilustratif untuk demo: kota kedua ini dan registrinya sintetis."
TERMS_EN = "Illustrative demo offer: this second city and its registry are synthetic."
LOCAL_OFFER = {
    "title": "Diskon buku 15% khusus KIA Rejang Lebong",
    "title_en": "15% off books for Rejang Lebong KIAs",
    "description": "Potongan 15% untuk buku anak di Gramedia Curup, khusus KIA terbitan Dukcapil Rejang Lebong.",
    "category": "bookstore",
    "benefit": {"type": "percent", "percent": 15, "max_discount": 40_000},
    "limits": [{"period": "week", "count": 1}],
    "cities": [CITY],
    "holders": "local",
}


async def _user(username: str) -> CurrentUser:
    row = await StaffUser.select().where(StaffUser.username == username).first()
    assert row is not None, username
    return staff_user_row_to_current(row)


async def seed_branch(partner_id: uuid.UUID, manager_username: str, office: CurrentUser, password: str) -> None:
    """Gramedia in Rejang Lebong: applied, approved with the office's own PKS, an outlet, its cashier, a local offer."""
    if await PartnerOffice.exists().where(PartnerOffice.partner == partner_id, PartnerOffice.city_code == CITY):
        return
    manager = await _user(manager_username)
    await onboarding.apply_to_office(partner_id, CITY, manager)
    await onboarding.decide(partner_id, PartnerStatus.APPROVED, "PKS ditandatangani (demo)", office, AGREEMENT)
    every_day = {
        day: [{"open": "09:00", "close": "21:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    outlet = await outlets.create_outlet(
        partner_id,
        msgspec.convert(
            {"name": OUTLET_NAME, "address": "Jl. Merdeka, Curup (alamat ilustratif)",
             "kelurahan_code": OUTLET_KELURAHAN, "opening_hours": every_day},
            OutletIn,
        ),
        manager,
    )  # fmt: skip
    await staff.create_staff(
        partner_id,
        StaffCreate(
            username=CASHIER, password=password, display_name=f"Kasir {OUTLET_NAME}", role=StaffRole.CASHIER,
            outlet_id=outlet.id,
        ),
        manager,
        enforce_password_policy=False,
    )  # fmt: skip
    rules = msgspec.convert(
        {"valid_from": JOINED.isoformat(), "terms": TERMS, "terms_en": TERMS_EN, **LOCAL_OFFER}, OfferRules
    )
    offer = await offers.create_offer(partner_id, rules, manager)
    await offers.move_by_manager(partner_id, offer.id, OfferStatus.SUBMITTED, None, manager)
    await offers.move_by_dukcapil(offer.id, OfferStatus.PUBLISHED, None, office)


async def seed_registry(office: CurrentUser, settings: Settings) -> None:
    """A synthetic SIAK export of Rejang Lebong, imported by its office, and a synthetic denominator."""
    if await Card.exists().where(Card.city_code == CITY):
        return
    today = settings.today()
    kelurahan = [row["code"] for row in await demo_history.city_kelurahan(CITY)]
    children = synthetic.registry(
        [synthetic.Segment(date(2016, 1, 4), today, SYNTHETIC_CHILDREN)], today, kelurahan, 0.8, JOINED, seed=1702
    )
    await registry.import_registry(
        "demo-siak-rejang-lebong-SINTETIS.csv", synthetic.to_csv(children), today, office, settings, Stores(None)
    )
    await population.record_population(
        [population.PopulationEntry(CITY, date(today.year, 1, 1), SYNTHETIC_ELIGIBLE, SYNTHETIC)], office
    )
