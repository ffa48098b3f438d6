"""An offer's rules: what makes a definition valid (one source of truth for API and forms) and how to say it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec

from core.errors import FieldProblem
from core.i18n import Text
from core.money import format_rupiah
from core.tables import Region, RegionLevel
from partners.schemas import Benefit, BenefitType, Holders, LimitPeriod, OfferRules
from partners.service.outlets import outlet_ids_of

CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
MAX_RUPIAH = 100_000_000
MAX_LIMIT_COUNT = 1000
AGE_MIN, AGE_MAX = 0, 16

TITLE = Text("Judul wajib diisi (3–120 karakter).", "A title is required (3–120 characters).")
DESCRIPTION = Text("Uraian wajib diisi (10–4.000 karakter).", "A description is required (10–4,000 characters).")
PERCENT = Text("Persen diskon harus antara 1 dan 100.", "The discount percentage must be between 1 and 100.")
RUPIAH = Text(
    "Nilai dalam Rupiah: bilangan bulat dari 1 sampai 100.000.000.",
    "An amount in rupiah: a whole number from 1 to 100,000,000.",
)
RUPIAH_OR_ZERO = Text(
    "Nilai dalam Rupiah: bilangan bulat dari 0 sampai 100.000.000.",
    "An amount in rupiah: a whole number from 0 to 100,000,000.",
)
REQUIRED_FOR_BENEFIT = Text("Wajib diisi untuk jenis manfaat ini.", "Required for this kind of benefit.")
NOT_FOR_BENEFIT = Text(
    "Tidak berlaku untuk jenis manfaat ini; kosongkan.", "Not used by this kind of benefit; leave empty."
)
ITEM = Text("Sebutkan barangnya (2–120 karakter).", "Name the item (2–120 characters).")
UNTIL_BEFORE_FROM = Text(
    "Tanggal berakhir tidak boleh sebelum tanggal mulai.", "The end date cannot be before the start date."
)
WEEKDAYS = Text(
    "Pilih minimal satu hari: 1 (Senin) sampai 7 (Minggu).",
    "Pick at least one day: 1 (Monday) to 7 (Sunday).",
)
HOURS = Text("Jam ditulis HH:MM dan jam selesai setelah jam mulai.", "Times are HH:MM and the end is after the start.")
BLACKOUT = Text("Tanggal akhir libur tidak boleh sebelum tanggal awalnya.", "A blackout cannot end before it starts.")
AGE_RANGE = Text("Usia dalam tahun penuh, 0 sampai 16.", "Age in whole years, 0 to 16.")
AGE_ORDER = Text(
    "Usia minimum ({age_min}) lebih besar dari usia maksimum ({age_max}).",
    "The minimum age ({age_min}) is above the maximum age ({age_max}).",
)
REGION_TOO_FINE = Text(
    "Wilayah paling kecil satu kecamatan ({code} adalah kelurahan): pilihan yang lebih kecil bisa membuat mitra tahu "
    "di mana anak tinggal.",
    "The smallest region is a kecamatan ({code} is a kelurahan): anything smaller could tell a partner where a child "
    "lives.",
)
REGION = Text("Kode wilayah tidak dikenal: {code}.", "Unknown region code: {code}.")
CITY = Text("Bukan kode kabupaten/kota: {code}.", "Not a kabupaten/kota code: {code}.")
OUTLET = Text("Outlet ini bukan milik mitra Anda.", "This outlet is not one of yours.")
LIMIT_COUNT = Text("Batas per kartu: 1 sampai 1.000 kali.", "A per-card limit is 1 to 1,000 times.")
LIMIT_DUPLICATE = Text("Setiap periode batas hanya boleh sekali.", "Each limit period may appear once.")
QUOTA = Text("Kuota: bilangan bulat 1 atau lebih, atau kosong.", "Quota: a whole number of 1 or more, or empty.")

_BENEFIT_FIELDS: dict[BenefitType, set[str]] = {
    BenefitType.PERCENT: {"percent", "max_discount"},
    BenefitType.FIXED_AMOUNT: {"amount"},
    BenefitType.FREE_ENTRY: {"value"},
    BenefitType.FREE_ITEM: {"value", "item"},
}


def benefit_fields(kind: BenefitType) -> frozenset[str]:
    """The fields of `Benefit` that this kind uses; the others must stay empty (a form shows only these)."""
    return frozenset(_BENEFIT_FIELDS[kind])


def _rupiah(value: int | None, minimum: int = 1) -> bool:
    return value is not None and minimum <= value <= MAX_RUPIAH


def benefit_problems(benefit: Benefit) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    allowed = _BENEFIT_FIELDS[benefit.type]
    for name in ("percent", "max_discount", "amount", "value", "item"):
        if name not in allowed and getattr(benefit, name) is not None:
            problems.append(FieldProblem(f"benefit.{name}", "not_applicable", NOT_FOR_BENEFIT))
    if benefit.type is BenefitType.PERCENT:
        if benefit.percent is None:
            problems.append(FieldProblem("benefit.percent", "required", REQUIRED_FOR_BENEFIT))
        elif not 1 <= benefit.percent <= 100:
            problems.append(FieldProblem("benefit.percent", "percent_out_of_range", PERCENT))
        if benefit.max_discount is not None and not _rupiah(benefit.max_discount):
            problems.append(FieldProblem("benefit.max_discount", "invalid_rupiah", RUPIAH))
    elif benefit.type is BenefitType.FIXED_AMOUNT:
        if benefit.amount is None:
            problems.append(FieldProblem("benefit.amount", "required", REQUIRED_FOR_BENEFIT))
        elif not _rupiah(benefit.amount):
            problems.append(FieldProblem("benefit.amount", "invalid_rupiah", RUPIAH))
    else:
        if benefit.value is None:
            problems.append(FieldProblem("benefit.value", "required", REQUIRED_FOR_BENEFIT))
        elif not _rupiah(benefit.value):
            problems.append(FieldProblem("benefit.value", "invalid_rupiah", RUPIAH))
        if benefit.type is BenefitType.FREE_ITEM and not 2 <= len((benefit.item or "").strip()) <= 120:
            problems.append(FieldProblem("benefit.item", "invalid_item", ITEM))
    return problems


def static_problems(rules: OfferRules) -> list[FieldProblem]:
    """Every rule that needs no database: run by the API and by the console's forms alike."""
    problems: list[FieldProblem] = []
    if not 3 <= len(rules.title.strip()) <= 120:
        problems.append(FieldProblem("title", "invalid_title", TITLE))
    if rules.title_en is not None and not 3 <= len(rules.title_en.strip()) <= 120:
        problems.append(FieldProblem("title_en", "invalid_title", TITLE))
    if not 10 <= len(rules.description.strip()) <= 4000:
        problems.append(FieldProblem("description", "invalid_description", DESCRIPTION))
    problems += benefit_problems(rules.benefit)
    if not _rupiah(rules.min_purchase, minimum=0):
        problems.append(FieldProblem("min_purchase", "invalid_rupiah", RUPIAH_OR_ZERO))
    if rules.valid_until is not None and rules.valid_until < rules.valid_from:
        problems.append(FieldProblem("valid_until", "until_before_from", UNTIL_BEFORE_FROM))
    if not rules.weekdays or not set(rules.weekdays) <= set(range(1, 8)):
        problems.append(FieldProblem("weekdays", "invalid_weekdays", WEEKDAYS))
    if rules.hours is not None and not (
        CLOCK.match(rules.hours.start) and CLOCK.match(rules.hours.end) and rules.hours.start < rules.hours.end
    ):
        problems.append(FieldProblem("hours", "invalid_hours", HOURS))
    for index, blackout in enumerate(rules.blackout_dates):
        if blackout.until < blackout.from_date:
            problems.append(FieldProblem(f"blackout_dates[{index}]", "blackout_ends_before_start", BLACKOUT))
    for name in ("age_min", "age_max"):
        if not AGE_MIN <= getattr(rules, name) <= AGE_MAX:
            problems.append(FieldProblem(name, "age_out_of_range", AGE_RANGE))
    if AGE_MIN <= rules.age_max < rules.age_min <= AGE_MAX:
        problems.append(
            FieldProblem(
                "age_min", "age_min_above_max", AGE_ORDER, {"age_min": rules.age_min, "age_max": rules.age_max}
            )
        )
    seen: set[LimitPeriod] = set()
    for index, limit in enumerate(rules.limits):
        if not 1 <= limit.count <= MAX_LIMIT_COUNT:
            problems.append(FieldProblem(f"limits[{index}].count", "invalid_limit_count", LIMIT_COUNT))
        if limit.period in seen:
            problems.append(FieldProblem(f"limits[{index}].period", "duplicate_limit_period", LIMIT_DUPLICATE))
        seen.add(limit.period)
    if rules.quota is not None and rules.quota < 1:
        problems.append(FieldProblem("quota", "invalid_quota", QUOTA))
    if rules.budget is not None and not _rupiah(rules.budget):
        problems.append(FieldProblem("budget", "invalid_rupiah", RUPIAH))
    return problems


async def rules_problems(rules: OfferRules, partner_id: uuid.UUID) -> list[FieldProblem]:
    """All problems with a definition, including references: regions that exist, outlets of this partner."""
    problems = static_problems(rules)
    if rules.regions:
        levels = {
            row["code"]: row["level"]
            for row in await Region.select(Region.code, Region.level).where(Region.code.is_in(rules.regions))
        }
        problems += [
            FieldProblem(f"regions[{i}]", "unknown_region", REGION, {"code": code})
            for i, code in enumerate(rules.regions)
            if code not in levels
        ]
        # Which offers a card passes would tell a partner where the child lives: no region finer than a kecamatan
        # (Dukcapil checks, when it publishes, that each kecamatan has enough children; admin.service.review).
        problems += [
            FieldProblem(f"regions[{i}]", "region_too_fine", REGION_TOO_FINE, {"code": code})
            for i, code in enumerate(rules.regions)
            if levels.get(code) == RegionLevel.KELURAHAN
        ]
    if rules.cities:
        cities = Region.select(Region.code).where(
            Region.code.is_in(rules.cities), Region.level.is_in([RegionLevel.KABUPATEN, RegionLevel.KOTA])
        )
        known = {row["code"] for row in await cities}
        problems += [
            FieldProblem(f"cities[{i}]", "unknown_city", CITY, {"code": code})
            for i, code in enumerate(rules.cities)
            if code not in known
        ]
    if rules.outlet_ids:
        own = await outlet_ids_of(partner_id)
        problems += [
            FieldProblem(f"outlet_ids[{i}]", "unknown_outlet", OUTLET)
            for i, outlet_id in enumerate(rules.outlet_ids)
            if outlet_id not in own
        ]
    return problems


def normalized(rules: OfferRules) -> OfferRules:
    """Trimmed text, sorted unique weekdays/regions/outlets, empty optional text as None."""

    def clean(text: str | None) -> str | None:
        return (text or "").strip() or None

    return msgspec.structs.replace(
        rules,
        title=rules.title.strip(),
        title_en=clean(rules.title_en),
        description=rules.description.strip(),
        description_en=clean(rules.description_en),
        terms=clean(rules.terms),
        terms_en=clean(rules.terms_en),
        weekdays=sorted(set(rules.weekdays)),
        regions=sorted(set(rules.regions)),
        cities=sorted(set(rules.cities)),
        outlet_ids=sorted(set(rules.outlet_ids), key=str),
        benefit=msgspec.structs.replace(rules.benefit, item=clean(rules.benefit.item)),
    )


def to_json(rules: OfferRules) -> dict[str, Any]:
    return msgspec.to_builtins(rules)


def from_json(data: Any) -> OfferRules:
    if isinstance(data, str | bytes):
        return msgspec.json.decode(data, type=OfferRules)
    return msgspec.convert(data, OfferRules)


# --- saying it in plain words -----------------------------------------------------------------------------------

_DAYS = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_PERIODS = {
    "id": {"day": "per hari", "week": "per minggu", "month": "per bulan", "year": "per tahun", "lifetime": "per kartu"},
    "en": {"day": "a day", "week": "a week", "month": "a month", "year": "a year", "lifetime": "per card"},
}


def benefit_text(benefit: Benefit, language: str = "id") -> str:
    """`Diskon 10% maks. Rp50.000`, `Potongan Rp10.000`, `Gratis masuk`, `Gratis pembatas buku`."""
    en = language == "en"
    if benefit.type is BenefitType.PERCENT:
        text = f"{benefit.percent}% off" if en else f"Diskon {benefit.percent}%"
        if benefit.max_discount:
            text += (
                f" up to {format_rupiah(benefit.max_discount)}"
                if en
                else f" maks. {format_rupiah(benefit.max_discount)}"
            )
        return text
    if benefit.type is BenefitType.FIXED_AMOUNT:
        amount = format_rupiah(benefit.amount or 0)
        return f"{amount} off" if en else f"Potongan {amount}"
    if benefit.type is BenefitType.FREE_ENTRY:
        return "Free entry" if en else "Gratis masuk"
    return f"Free {benefit.item}" if en else f"Gratis {benefit.item}"


def _weekdays_text(weekdays: list[int], language: str) -> str | None:
    days = sorted(set(weekdays))
    if days == list(range(1, 8)):
        return None
    if days == [1, 2, 3, 4, 5]:
        return "Mon–Fri" if language == "en" else "Senin–Jumat"
    if days == [6, 7]:
        return "weekends" if language == "en" else "Sabtu & Minggu"
    names = _DAYS["en" if language == "en" else "id"]
    return ", ".join(names[day - 1] for day in days)


def summary(rules: OfferRules, language: str = "id") -> str:
    """One line a manager reads before publishing: `Diskon 10% maks. Rp50.000, 1x per hari, 4x per bulan,
    usia 0–16, semua outlet`."""
    en = language == "en"
    parts = [benefit_text(rules.benefit, language)]
    if rules.min_purchase:
        parts.append(
            f"min. spend {format_rupiah(rules.min_purchase)}"
            if en
            else f"min. belanja {format_rupiah(rules.min_purchase)}"
        )
    if days := _weekdays_text(rules.weekdays, language):
        parts.append(days)
    if rules.hours:
        start, end = rules.hours.start, rules.hours.end
        parts.append(f"{start}–{end}" if en else f"pukul {start.replace(':', '.')}–{end.replace(':', '.')}")
    order = list(LimitPeriod)
    periods = _PERIODS["en" if en else "id"]
    for limit in sorted(rules.limits, key=lambda item: order.index(item.period)):
        parts.append(f"{limit.count}x {periods[limit.period.value]}")
    parts.append(f"ages {rules.age_min}–{rules.age_max}" if en else f"usia {rules.age_min}–{rules.age_max}")
    if rules.outlet_ids:
        count = len(rules.outlet_ids)
        parts.append(f"{count} outlet{'s' if count > 1 else ''}" if en else f"{count} outlet")
    else:
        parts.append("all outlets" if en else "semua outlet")
    if rules.regions:
        parts.append("selected regions only" if en else "wilayah tertentu")
    if rules.holders is Holders.LOCAL:
        parts.append("local KIAs only" if en else "khusus KIA setempat")
    if rules.quota:
        parts.append(f"{rules.quota:,} available" if en else f"kuota {rules.quota:,}".replace(",", "."))
    return ", ".join(parts)
