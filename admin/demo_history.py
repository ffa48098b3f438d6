"""The demo's history: published denominators and targets, and synthetic redemptions since each partner joined, so
that every chart has a story. Written in bulk (the till's one-by-one path would take an hour), then the rollups
are rebuilt from the raw tables exactly as `mitrakia reports rebuild` does. Everything here is synthetic except the
published city figures and national targets, which carry their sources."""

from __future__ import annotations

import csv
import math
import random
import secrets
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from admin.service import population
from admin.tables import UnenrolledKia
from core.auth import CurrentUser
from core.database.statements import bulk_insert
from core.database.transactions import write_transaction
from core.service.regions import tree_rows
from core.settings import Settings
from core.tables import Region, RegionLevel
from partners.service.offers import till_offers
from partners.tables import Outlet, Partner, PartnerStatus
from verification.service import credentials, eligibility, rollups
from verification.service.cards import age_on
from verification.service.till import holder_ref
from verification.tables import Attempt, Card, CardStatus, OfferUsage, Redemption

DATA = Path(__file__).resolve().parents[1] / "core" / "data"
CITY = "17.71"
WIB = ZoneInfo("Asia/Jakarta")
# Average redemptions a day per offer once it runs, growing as the programme becomes known.
DAILY_RATE = 2.2
REFUSAL_SHARE = 0.06
NEWCOMER_SHARE = 0.5
RECENT_DAYS = 30
REFUSALS = ("holder_limit_reached", "age_below_minimum", "card_superseded", "outside_hours", "minimum_purchase_not_met")


async def seed_reference_figures(dukcapil: CurrentUser) -> None:
    """City denominators as published (with their sources), national targets, and synthetic kecamatan splits."""
    if await population.population_history(None, CITY):
        return
    with (DATA / "published_coverage_kota_bengkulu.csv").open(encoding="utf-8") as handle:
        published = [row for row in csv.DictReader(handle) if row["eligible_children"]]
    with (DATA / "national_targets.csv").open(encoding="utf-8") as handle:
        targets = [(int(r["year"]), r["target_percent"], r["source"]) for r in csv.DictReader(handle)]
    for year, percent, source in targets:  # Ditjen's figures, not the city office's: recorded by the seed itself
        await population.set_target(year, percent, None, source, None)
    entries = [
        population.PopulationEntry(CITY, date.fromisoformat(row["as_of"]), int(row["eligible_children"]), row["source"])
        for row in published
    ]
    entries += await _kecamatan_split(entries)
    await population.record_population(entries, dukcapil)


async def city_kelurahan(city: str = CITY) -> list[dict[str, Any]]:
    """A demo city's kelurahan (code, parent_code), by code: where the synthetic registry's children live."""
    rows = [row for row in await tree_rows(city) if row["level"] == RegionLevel.KELURAHAN]
    return sorted(rows, key=lambda row: row["code"])


async def _kecamatan_split(city: list[population.PopulationEntry]) -> list[population.PopulationEntry]:
    """No per-kecamatan denominators are published: split the city's by each kecamatan's share of KIA holders,
    nudged so that some kecamatan lead and some lag (synthetic, and labelled so)."""
    rng = random.Random(71)  # noqa: S311 - demo data
    regions = await Region.select(Region.code, Region.parent_code, Region.level)
    kecamatan = sorted(r["code"] for r in regions if r["level"] == RegionLevel.KECAMATAN and r["parent_code"] == CITY)
    parent = {r["code"]: r["parent_code"] for r in regions}
    holders: dict[str, int] = defaultdict(int)
    for row in await Card.select(Card.kelurahan_code):
        holders[parent.get(row["kelurahan_code"]) or ""] += 1
    for row in await UnenrolledKia.select(UnenrolledKia.kelurahan_code, UnenrolledKia.holders):
        holders[parent.get(row["kelurahan_code"]) or ""] += row["holders"]
    weights = {k: (holders[k] or 1) * rng.uniform(0.88, 1.14) for k in kecamatan}
    total = sum(weights.values()) or 1
    result = []
    for entry in city:
        shares = {k: math.floor(entry.children * w / total) for k, w in weights.items()}
        shares[kecamatan[0]] += entry.children - sum(shares.values())
        result += [
            population.PopulationEntry(k, entry.as_of, n, "sintetis untuk demo: pembagian angka kota")
            for k, n in shares.items()
        ]
    return result


async def seed_redemptions(settings: Settings, today: date, keep_clean: set[uuid.UUID]) -> int:
    """Synthetic redemptions from each partner's first offer to yesterday; cards in `keep_clean` are left unused."""
    if await Redemption.count() > 0:
        return 0
    rng = random.Random(2024)  # noqa: S311 - demo data
    parents = {r["code"]: r["parent_code"] for r in await Region.select(Region.code, Region.parent_code)}
    pool = [
        c
        for c in await Card.select(Card.id, Card.birth_date, Card.kelurahan_code, Card.enrolled_on).where(
            (Card.status == CardStatus.ACTIVE) & Card.birth_date.is_not_null()
        )
        if c["id"] not in keep_clean
    ]
    by_enrolment = sorted(pool, key=lambda c: c["enrolled_on"])
    partners = await Partner.select(Partner.id).where(Partner.status == PartnerStatus.APPROVED)
    rows: list[dict[str, Any]] = []
    refusals: list[tuple[Any, ...]] = []
    seen: dict[tuple[uuid.UUID, date], set[tuple[str, uuid.UUID | None]]] = defaultdict(set)
    holder_uses: Counter[tuple[uuid.UUID, uuid.UUID, str, Any]] = Counter()
    usage: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for partner in partners:
        outlets = [o["id"] for o in await Outlet.select(Outlet.id).where(Outlet.partner == partner["id"])]
        for offer in await till_offers(partner["id"]):
            rules = offer.rules
            places = sorted(offer.outlet_ids) if not offer.all_outlets else outlets
            day = rules.valid_from
            while day < today:
                if day.isoweekday() in rules.weekdays and not any(
                    b.from_date <= day <= b.until for b in rules.blackout_dates
                ):
                    months_running = (day - rules.valid_from).days / 30
                    rate = DAILY_RATE * min(1.6, 0.45 + months_running / 16)
                    for _ in range(_poisson(rng, rate)):
                        if rules.quota is not None and usage[offer.id][0] >= rules.quota * 0.8:
                            break
                        card = _pick(rng, by_enrolment, day, rules.age_min, rules.age_max)
                        if card is None:
                            continue
                        buckets = [(card["id"], offer.id, limit.period, _bucket(limit.period, day), limit.count)
                                   for limit in rules.limits]  # fmt: skip
                        if any(holder_uses[key[:4]] >= key[4] for key in buckets):
                            continue  # the till would refuse it: the child's limit for the offer is reached
                        purchase = rng.randrange(40, 260) * 1000
                        amount = eligibility.discount(rules, purchase)
                        if rules.budget is not None and usage[offer.id][1] + amount > rules.budget * 0.8:
                            break
                        for key in buckets:
                            holder_uses[key[:4]] += 1
                        outlet = rng.choice(places)
                        rows.append(_row(settings, rng, partner["id"], offer, outlet, card, day, purchase, amount,
                                         parents, seen))  # fmt: skip
                        usage[offer.id][0] += 1
                        usage[offer.id][1] += amount
                        if rng.random() < REFUSAL_SHARE:
                            refusals.append(_refusal(rng, partner["id"], offer.id, outlet, card["id"], day))
                day += timedelta(days=1)
    columns = list(rows[0]) if rows else []
    async with write_transaction():
        for start in range(0, len(rows), 2000):
            await bulk_insert(Redemption, columns, [tuple(r.values()) for r in rows[start : start + 2000]])
        await bulk_insert(
            Attempt,
            ("occurred_at", "local_date", "kind", "outcome", "reason_code", "partner", "outlet", "offer", "card"),
            refusals,
        )
        await bulk_insert(
            OfferUsage,
            ("offer", "redemptions", "discount_total", "updated_at"),
            [(offer_id, n, total, datetime.now(UTC)) for offer_id, (n, total) in usage.items()],
        )
        first_day: dict[uuid.UUID, date] = {}
        for row in rows:
            first_day[row["card"]] = min(first_day.get(row["card"], row["local_date"]), row["local_date"])
        by_day: dict[date, list[uuid.UUID]] = defaultdict(list)
        for card_id, day in first_day.items():
            by_day[day].append(card_id)
        for day, card_ids in by_day.items():
            for start in range(0, len(card_ids), 500):
                await Card.update({Card.first_redeemed_on: day}).where(Card.id.is_in(card_ids[start : start + 500]))
    await rollups.rebuild()
    return len(rows)


def _bucket(period: str, day: date) -> Any:
    """Which window of a holder limit `day` falls in."""
    return {"day": day, "week": rollups.week_of(day), "month": rollups.month_of(day), "year": day.year}.get(period)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _pick(
    rng: random.Random, cards: list[dict[str, Any]], day: date, age_min: int, age_max: int
) -> dict[str, Any] | None:
    """A random card already enrolled on `day` (often a recent one), of an age the offer serves."""
    enrolled = _enrolled_before(cards, day)
    recent = _enrolled_before(cards, day - timedelta(days=RECENT_DAYS))
    for _ in range(12):
        if not enrolled:
            return None
        # Many families enrol for a discount and use it soon after: half the visits are by recent enrolees.
        newcomer = enrolled > recent and rng.random() < NEWCOMER_SHARE
        card = cards[rng.randrange(recent, enrolled) if newcomer else rng.randrange(enrolled)]
        if age_min <= age_on(card["birth_date"], day) <= age_max and age_on(card["birth_date"], day) < 17:
            return card
    return None


def _enrolled_before(cards: list[dict[str, Any]], day: date) -> int:
    low, high = 0, len(cards)
    while low < high:
        middle = (low + high) // 2
        if cards[middle]["enrolled_on"] <= day:
            low = middle + 1
        else:
            high = middle
    return low


def _row(
    settings: Settings, rng: random.Random, partner: uuid.UUID, offer: Any, outlet: uuid.UUID, card: dict[str, Any],
    day: date, purchase: int, amount: int, parents: dict[str, str | None],
    seen: dict[tuple[uuid.UUID, date], set[tuple[str, uuid.UUID | None]]],
) -> dict[str, Any]:  # fmt: skip
    month = rollups.month_of(day)
    marks = seen[(card["id"], month)]
    firsts = {
        "first_all": ("all", None) not in marks,
        "first_partner": ("partner", partner) not in marks,
        "first_offer": ("offer", offer.id) not in marks,
        "first_outlet": ("outlet", outlet) not in marks,
    }
    marks.update({("all", None), ("partner", partner), ("offer", offer.id), ("outlet", outlet)})
    moment = datetime.combine(day, time(rng.randint(9, 19), rng.randint(0, 59)), tzinfo=WIB).astimezone(UTC)
    age = age_on(card["birth_date"], day)
    return {
        "id": uuid.uuid4(),
        "receipt_code": "R" + "".join(secrets.choice(credentials.CROCKFORD) for _ in range(8)),
        "card": card["id"],
        "offer": offer.id,
        "offer_revision": offer.revision,
        "partner": partner,
        "outlet": outlet,
        "holder_ref": holder_ref(settings, partner, card["id"]),
        "purchase_amount": purchase,
        "discount_amount": amount,
        "redeemed_at": moment,
        "local_date": day,
        "age_years": age,
        "age_band": rollups.age_band(age),
        "kelurahan_code": card["kelurahan_code"],
        "kecamatan_code": parents.get(card["kelurahan_code"]) or "",
        "status": "completed",
        **firsts,
    }


def _refusal(
    rng: random.Random, partner: uuid.UUID, offer: uuid.UUID, outlet: uuid.UUID, card: uuid.UUID, day: date
) -> tuple[Any, ...]:
    moment = datetime.combine(day, time(rng.randint(9, 19)), tzinfo=WIB).astimezone(UTC)
    return (moment, day, "redeem", "refused", rng.choice(REFUSALS), partner, outlet, offer, card)
