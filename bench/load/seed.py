"""The load benchmark's data, made through the app's own services: one approved partner with outlets, till API keys
and published offers with real limits; thousands of enrolled cards with freshly signed QR texts. Run by run.py
(which sets MITRAKIA_* first) after `mitrakia migrate` on an empty database; writes what the load generators
need as JSON to the path given."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from admin.demo import DUKCAPIL_ACCOUNTS, EVERY_DAY, DemoOutlet, DemoPartner, ensure_account, ensure_partner  # noqa: E402
from admin.synthetic import NikMaker  # noqa: E402
from core.auth import CurrentUser, staff_user_row_to_current  # noqa: E402
from core.database.engine import database_lifespan  # noqa: E402
from core.offices import office_of  # noqa: E402
from core.settings import get_settings  # noqa: E402
from core.stores import Stores  # noqa: E402
from core.tables import Region, RegionLevel, StaffUser  # noqa: E402
from partners.schemas import ApiKeyCreate  # noqa: E402
from partners.service.api_keys import create_api_key  # noqa: E402
from partners.service.outlets import list_outlets  # noqa: E402
from partners.tables import Category, Offer  # noqa: E402
from verification.service import cards, credentials, keys  # noqa: E402
from verification.service.keys import KeyRing  # noqa: E402
from verification.tables import Channel, Sex  # noqa: E402

SLUG = "tokobench"
# The offers a chain of shops would publish: every one with a per-child limit, two with a quota or a budget large
# enough that a benchmark never exhausts them (an exhausted offer would turn every later redeem into a refusal).
OFFERS: list[dict[str, Any]] = [
    {
        "title": "Diskon perlengkapan sekolah 10%",
        "description": "Potongan 10% untuk perlengkapan sekolah anak pemegang KIA, maksimal Rp50.000.",
        "category": "food",
        "benefit": {"type": "percent", "percent": 10, "max_discount": 50_000},
        "limits": [{"period": "day", "count": 1}, {"period": "month", "count": 4}],
    },
    {
        "title": "Potongan Rp10.000 belanja mainan",
        "description": "Potongan Rp10.000 untuk belanja mainan minimal Rp25.000.",
        "category": "food",
        "benefit": {"type": "fixed_amount", "amount": 10_000},
        "min_purchase": 25_000,
        "age_min": 2,
        "limits": [{"period": "day", "count": 1}],
    },
    {
        "title": "Gratis buku mewarnai",
        "description": "Satu buku mewarnai untuk setiap anak pemegang KIA.",
        "category": "bookstore",
        "benefit": {"type": "free_item", "item": "buku mewarnai", "value": 8_000},
        "limits": [{"period": "lifetime", "count": 1}],
        "quota": 10_000_000,
    },
    {
        "title": "Diskon 20% susu anak",
        "description": "Susu pertumbuhan anak lebih hemat 20%, maksimal Rp2.500.",
        "category": "food",
        "benefit": {"type": "percent", "percent": 20, "max_discount": 2_500},
        "age_max": 12,
        "limits": [{"period": "day", "count": 1}, {"period": "month", "count": 8}],
        "budget": 100_000_000,
    },
]
PURCHASE = 60_000  # every offer above gives its benefit on a Rp60.000 purchase
# Open round the clock: the benchmark runs at any hour (real outlets' hours would refuse every scan at night).
ALL_DAY = {day: [("00:00", "24:00")] for day in EVERY_DAY}


async def chain(slug: str, name: str, outlet_count: int, keys_per_outlet: int, kelurahan: list[str],
                dukcapil: CurrentUser) -> dict[str, Any]:  # fmt: skip
    """An approved partner with `outlet_count` outlets, `keys_per_outlet` till API keys each and OFFERS published."""
    partner = DemoPartner(
        slug=slug,
        name=name,
        category=Category.OTHER,
        contact_name=f"Manajer {name}",
        agreement_number=f"PKS/BENCH/{slug}",
        joined=date(2026, 1, 5),
        outlets=[
            DemoOutlet(f"{name} {n + 1:03d}", f"Jl. Bench {n + 1} (sintetis)", kelurahan[n % len(kelurahan)],
                       f"{slug}.kasir{n + 1:03d}", ALL_DAY)
            for n in range(outlet_count)
        ],
        offers=OFFERS,
    )  # fmt: skip
    partner_id = await ensure_partner(partner, dukcapil)
    manager_row = await StaffUser.select().where(StaffUser.username == f"{slug}.manajer").first()
    assert manager_row is not None
    manager = staff_user_row_to_current(manager_row)
    outlets = sorted(await list_outlets(partner_id), key=lambda o: o.name)
    till_keys: list[list[str]] = []  # per outlet, its tills' keys
    for outlet in outlets:
        made = []
        for till in range(keys_per_outlet):
            created = await create_api_key(
                partner_id, ApiKeyCreate(name=f"Kasir {till + 1}", outlet_id=outlet.id), manager
            )
            made.append(created.key)
        till_keys.append(made)
    rows = await Offer.select(Offer.id, Offer.rules).where(Offer.partner == partner_id).output(load_json=True)
    by_title = {row["rules"]["title"]: str(row["id"]) for row in rows}
    return {
        "partner_id": str(partner_id),
        "outlets": [str(o.id) for o in outlets],
        "keys": till_keys,
        "offers": [by_title[offer["title"]] for offer in OFFERS],
    }


async def seed(outlet_count: int, keys_per_outlet: int, card_count: int, floor_cards: int) -> dict[str, Any]:
    settings = get_settings()
    rng = random.Random(9)  # noqa: S311 - synthetic data, reproducible
    started = time.perf_counter()
    dukcapil = await ensure_account(DUKCAPIL_ACCOUNTS[0])
    kid = await keys.rotate(settings, dukcapil)
    # The outlets and cards of the office that approves the partners (the region table holds the whole country).
    kelurahan = await kelurahan_of(office_of(dukcapil) or "")
    # The app's chain, and a twin the floor works on, so that neither's redemptions count against the other's limits.
    app = await chain(SLUG, "Toko Bench Nusantara", outlet_count, keys_per_outlet, kelurahan, dukcapil)
    floor = await chain(f"{SLUG}lantai", "Toko Lantai Nusantara", outlet_count, keys_per_outlet, kelurahan, dukcapil)
    print(f"  two partners, {outlet_count} outlets and {outlet_count * keys_per_outlet} till keys each, "
          f"{len(OFFERS)} offers each ({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip

    started = time.perf_counter()
    texts = await signed_cards(dukcapil, kelurahan, card_count + floor_cards, rng)
    print(f"  {len(texts):,} cards enrolled with signed QR texts ({time.perf_counter() - started:.0f} s)", flush=True)
    return {
        "kid": kid,
        "purchase_amount": PURCHASE,
        "app": {**app, "cards": texts[:card_count]},
        "floor": {**floor, "cards": texts[card_count:]},
    }


async def kelurahan_of(city: str) -> list[str]:
    return [
        row["code"]
        for row in await Region.select(Region.code)
        .where(Region.level == RegionLevel.KELURAHAN)
        .where(Region.code.like(f"{city}.%"))
        .order_by(Region.code)
    ]


async def signed_cards(office: CurrentUser, kelurahan: list[str], count: int, rng: random.Random) -> list[str]:
    """`count` children of the office's city enrolled with consent, as version 1 QR texts signed now (the essential
    floor verifies version 1; version 2's slot look-up is not measured yet)."""
    settings = get_settings()
    today = datetime.now(UTC).date()
    niks = NikMaker()
    enrolments = []
    for _ in range(count):
        born = today - timedelta(days=rng.randint(3 * 366, 11 * 365))  # ages 3 to 10: every offer applies
        sex = rng.choice(["L", "P"])
        code = rng.choice(kelurahan)
        enrolled = date(2025, 1, 2) + timedelta(days=rng.randint(0, 300))
        enrolments.append(
            cards.Enrolment(
                nik_hash=cards.nik_hash(settings, niks.make(code, born, sex)),
                birth_date=born,
                sex=Sex.MALE if sex == "L" else Sex.FEMALE,
                kelurahan_code=code,
                kia_printed_on=enrolled - timedelta(days=30),
                enrolled_on=enrolled,
                channel=Channel.DUKCAPIL_COUNTER,
                consent_guardian="ibu",
                consent_version="v1.0",
                consent_at=datetime.combine(enrolled, datetime.min.time(), tzinfo=UTC),
            )
        )
    counts = await cards.enroll(enrolments, office, Stores(None))
    keyring, now = KeyRing(settings), datetime.now(UTC)
    return [
        credentials.qr_text(await credentials.sign_jws(keyring, settings, card_id, 1, now))
        for card_id in counts.created_ids
    ]


async def seed_partners(per_city: int, outlet_count: int, keys_per_outlet: int, cards_per_city: int) -> dict[str, Any]:
    """`per_city` partners in each of the demo's two cities (each approved by its city's office), every one with
    OFFERS; `cards_per_city` children enrolled by each office. For bench/load/partners.py."""
    settings = get_settings()
    rng = random.Random(17)  # noqa: S311 - synthetic data, reproducible
    offices = [await ensure_account(DUKCAPIL_ACCOUNTS[0]), await ensure_account(DUKCAPIL_ACCOUNTS[2])]
    kid = await keys.rotate(settings, offices[0])
    cities = []
    for office in offices:
        city = office_of(office) or ""
        kelurahan = await kelurahan_of(city)
        slug = f"mitra{city.replace('.', '')}x"
        partners = [
            await chain(f"{slug}{n}", f"Mitra {city} #{n + 1}", outlet_count, keys_per_outlet, kelurahan, office)
            for n in range(per_city)
        ]
        children = await signed_cards(office, kelurahan, cards_per_city, rng)
        cities.append({"city": city, "partners": partners, "cards": children})
        print(f"  {city}: {per_city} partners, {cards_per_city:,} cards", flush=True)
    return {"kid": kid, "purchase_amount": PURCHASE, "cities": cities}


async def main(outlet_count: int, keys_per_outlet: int, card_count: int, floor_cards: int) -> dict[str, Any]:
    async with database_lifespan(get_settings()):
        return await seed(outlet_count, keys_per_outlet, card_count, floor_cards)


async def main_partners(*counts: int) -> dict[str, Any]:
    async with database_lifespan(get_settings()):
        return await seed_partners(*counts)


if __name__ == "__main__":
    if sys.argv[2] == "partners":  # seed.py FILE partners PER_CITY OUTLETS KEYS CARDS_PER_CITY
        data = asyncio.run(main_partners(*map(int, sys.argv[3:7])))
    else:  # seed.py FILE OUTLETS KEYS CARDS FLOOR_CARDS
        data = asyncio.run(main(*map(int, sys.argv[2:6])))
    Path(sys.argv[1]).write_text(json.dumps(data))
