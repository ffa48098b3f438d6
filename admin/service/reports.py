"""Dukcapil's figures: KIA coverage against the target, redemptions and refusals, and whether the incentives work
(activation, channels, uplift around offer launches). Every figure reads the rollups, never the raw tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Sum

from admin.errors import UnknownRegion
from admin.service.population import denominator_for, target_for
from admin.tables import UnenrolledKia
from core.i18n import Text
from core.tables import Region, RegionLevel
from partners.errors import OfferNotFound
from partners.tables import Offer, Outlet, Partner, PartnerStatus
from verification.service import figures
from verification.service.rollups import month_of
from verification.tables import EnrolmentMonthly, PrintMonthly, PrintWeekly, RedemptionDaily

HUNDRED = Decimal(100)
UNDER_17 = 17
SMALL = "<{threshold}"
UPLIFT_WEEKS = 8
_JAKARTA = ZoneInfo("Asia/Jakarta")
UPLIFT_CAVEAT = Text(
    "Perbandingan ini (selisih-dari-selisih) hanya menunjukkan apakah penerbitan KIA naik lebih cepat di kecamatan "
    "yang punya outlet mitra. Dorongan lain — syarat KIA saat pendaftaran sekolah, jemput bola Dukcapil, libur "
    "sekolah — dapat ikut memengaruhinya, dan hitungan mingguan hanya memuat KIA yang sudah terdaftar di program.",
    "This difference-in-differences only shows whether KIA issuance rose faster in kecamatan with a partner outlet. "
    "Other drives — schools requiring a KIA at enrolment, Dukcapil outreach, school holidays — can confound it, and "
    "the weekly counts include only KIAs enrolled in the programme.",
)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- regions --------------------------------------------------------------------------------------------------


@dataclass
class RegionTree:
    names: dict[str, str]
    levels: dict[str, str]
    parents: dict[str, str | None]

    def kelurahan_under(self, code: str) -> list[str]:
        """Kelurahan below a region by the parent links (codes are not contiguous: kelurahan have moved)."""
        if self.levels.get(code) == RegionLevel.KELURAHAN:
            return [code]
        return [k for k, level in self.levels.items() if level == RegionLevel.KELURAHAN and self.is_under(k, code)]

    def is_under(self, code: str, ancestor: str) -> bool:
        current: str | None = code
        while current is not None:
            if current == ancestor:
                return True
            current = self.parents.get(current)
        return False

    def chain(self, code: str) -> list[str]:
        result: list[str] = []
        current: str | None = code
        while current is not None:
            result.append(current)
            current = self.parents.get(current)
        return result

    def children(self, code: str) -> list[str]:
        return sorted(k for k, parent in self.parents.items() if parent == code)


async def region_tree() -> RegionTree:
    rows = await Region.select(Region.code, Region.name, Region.level, Region.parent_code)
    return RegionTree(
        names={r["code"]: r["name"] for r in rows},
        levels={r["code"]: r["level"] for r in rows},
        parents={r["code"]: r["parent_code"] for r in rows},
    )


# --- coverage -----------------------------------------------------------------------------------------------


@dataclass
class Coverage:
    region: str
    region_name: str
    as_of: date
    holders: int
    enrolled_holders: int
    unenrolled_holders: int
    programme_enrolments: int
    eligible_children: int | None
    denominator_as_of: date | None
    coverage_percent: Decimal | None
    target_percent: Decimal | None
    gap_percent: Decimal | None
    kecamatan: list[Coverage] = field(default_factory=list)


async def _holders(kelurahan: list[str], day: date) -> tuple[int, int]:
    """Printed KIAs of children under 17 on `day`: enrolled cards and the counted KIAs without consent.

    Only birth years are known for the latter, so a child counts while born after the year of `day` minus 17."""
    if not kelurahan:
        return 0, 0
    oldest = day.year - UNDER_17
    cards = await PrintMonthly.select(Sum(PrintMonthly.cards).as_alias("n")).where(
        PrintMonthly.kelurahan.is_in(kelurahan) & (PrintMonthly.print_month <= day) & (PrintMonthly.birth_year > oldest)
    )
    counted = await UnenrolledKia.select(Sum(UnenrolledKia.holders).as_alias("n")).where(
        UnenrolledKia.kelurahan_code.is_in(kelurahan)
        & (UnenrolledKia.print_month <= day)
        & (UnenrolledKia.birth_year > oldest)
    )
    return int(cards[0]["n"] or 0), int(counted[0]["n"] or 0)


async def _enrolments(kelurahan: list[str], day: date) -> int:
    if not kelurahan:
        return 0
    rows = await EnrolmentMonthly.select(Sum(EnrolmentMonthly.enrolled).as_alias("n")).where(
        EnrolmentMonthly.kelurahan.is_in(kelurahan) & (EnrolmentMonthly.month <= day)
    )
    return int(rows[0]["n"] or 0)


async def coverage(region: str, day: date, breakdown: str | None = None, tree: RegionTree | None = None) -> Coverage:
    tree = tree or await region_tree()
    if region not in tree.names:
        raise UnknownRegion()
    kelurahan = tree.kelurahan_under(region)
    enrolled, unenrolled = await _holders(kelurahan, day)
    holders = enrolled + unenrolled
    denominator = await denominator_for(region, day)
    target = await target_for(day.year, tree.chain(region))
    value = percent(holders, denominator[0]) if denominator else None
    result = Coverage(
        region=region,
        region_name=tree.names[region],
        as_of=day,
        holders=holders,
        enrolled_holders=enrolled,
        unenrolled_holders=unenrolled,
        programme_enrolments=await _enrolments(kelurahan, day),
        eligible_children=denominator[0] if denominator else None,
        denominator_as_of=denominator[1] if denominator else None,
        coverage_percent=value,
        target_percent=target,
        gap_percent=(target - value) if (target is not None and value is not None) else None,
    )
    if breakdown in {"kecamatan", "kelurahan"}:
        level = RegionLevel.KECAMATAN if breakdown == "kecamatan" else RegionLevel.KELURAHAN
        below = [code for code, lvl in tree.levels.items() if lvl == level and tree.is_under(code, region)]
        result.kecamatan = [await coverage(code, day, None, tree) for code in sorted(below)]
        result.kecamatan.sort(key=lambda row: (row.gap_percent is None, -(row.gap_percent or Decimal(0))))
    return result


async def coverage_series(region: str, first_month: date, last_day: date) -> list[Coverage]:
    """Coverage at each month end (the last point is `last_day` itself), city-wide or for one region."""
    tree = await region_tree()
    points, month = [], month_of(first_month)
    while month <= last_day:
        points.append(await coverage(region, min(month_end(month), last_day), None, tree))
        month = month_end(month) + timedelta(days=1)
    return points


# --- redemptions and refusals: the verification layer owns those figures -------------------------------------

RedemptionFilter = figures.RedemptionFilter
redemptions_by = figures.redemptions_by
refusals_by_reason = figures.refusals_by_reason
redemptions_per_day = figures.redemptions_per_day


# --- does it work? ------------------------------------------------------------------------------------------


async def activation(first_month: date, last_month: date, today: date) -> list[dict[str, Any]]:
    """Of the cards enrolled in each month, the share with a redemption within 30 and within 90 days."""
    rows = await EnrolmentMonthly.select().where(
        (EnrolmentMonthly.month >= month_of(first_month)) & (EnrolmentMonthly.month <= last_month)
    )
    months: dict[date, list[int]] = {}
    for row in rows:
        totals = months.setdefault(row["month"], [0, 0, 0])
        totals[0] += row["enrolled"]
        totals[1] += row["activated_30"]
        totals[2] += row["activated_90"]
    return [
        {
            "month": month.isoformat(),
            "enrolled": enrolled,
            "activated_30": a30,
            "activated_90": a90,
            "share_30_percent": percent(a30, enrolled),
            "share_90_percent": percent(a90, enrolled),
            # The last cards of a month get their full 30 (or 90) days only that long after the month ends.
            "complete_30": month_end(month) + timedelta(days=30) <= today,
            "complete_90": month_end(month) + timedelta(days=90) <= today,
        }
        for month, (enrolled, a30, a90) in sorted(months.items())
    ]


async def channels(first_month: date, last_month: date) -> list[dict[str, Any]]:
    rows = await EnrolmentMonthly.select().where(
        (EnrolmentMonthly.month >= month_of(first_month)) & (EnrolmentMonthly.month <= last_month)
    )
    totals: dict[tuple[date, str], int] = {}
    for row in rows:
        key = (row["month"], row["channel"])
        totals[key] = totals.get(key, 0) + row["enrolled"]
    return [{"month": m.isoformat(), "channel": c, "enrolled": n} for (m, c), n in sorted(totals.items()) if n]


async def weekly_prints(region: str, first: date, last: date) -> list[dict[str, Any]]:
    tree = await region_tree()
    kelurahan = tree.kelurahan_under(region)
    rows = await PrintWeekly.select().where(
        PrintWeekly.kelurahan.is_in(kelurahan) & (PrintWeekly.week_start >= first) & (PrintWeekly.week_start <= last)
    )
    weeks: dict[date, int] = {}
    for row in rows:
        weeks[row["week_start"]] = weeks.get(row["week_start"], 0) + row["prints"]
    return [{"week_start": w.isoformat(), "prints": n} for w, n in sorted(weeks.items())]


async def launches(region: str = "17.71") -> list[dict[str, Any]]:
    """Offer launches (first publication), for markers on the weekly issuance chart."""
    rows = (
        await Offer.select(Offer.id, Offer.title, Offer.first_published_at, Offer.partner.name.as_alias("partner"))
        .where(Offer.first_published_at.is_not_null())
        .order_by(Offer.first_published_at)
    )
    return [
        {"offer_id": str(r["id"]), "title": r["title"], "partner": r["partner"],
         "launched_on": r["first_published_at"].astimezone(_JAKARTA).date().isoformat()}
        for r in rows
    ]  # fmt: skip


async def uplift(offer_id: uuid.UUID, today: date, city: str = "17.71", language: str = "id") -> dict[str, Any]:
    """KIA prints per kecamatan-week in the 8 weeks before and after the offer's launch, in kecamatan with one of
    the partner's outlets (treated) and without (control), and the difference-in-differences."""
    row = (
        await Offer.select(Offer.title, Offer.partner, Offer.first_published_at, Offer.all_outlets)
        .where(Offer.id == offer_id)
        .first()
    )
    if row is None or row["first_published_at"] is None:
        raise OfferNotFound()
    launched = row["first_published_at"].astimezone(_JAKARTA).date()
    start = launched - timedelta(days=launched.weekday())
    tree = await region_tree()
    kecamatan = [k for k, level in tree.levels.items() if level == RegionLevel.KECAMATAN and tree.is_under(k, city)]
    outlets = await Outlet.select(Outlet.kelurahan_code).where(Outlet.partner == row["partner"])
    treated = sorted({str(tree.parents.get(o["kelurahan_code"])) for o in outlets} & set(kecamatan))
    control = sorted(set(kecamatan) - set(treated))
    complete_after = max(0, min(UPLIFT_WEEKS, (today - start).days // 7))
    before_from, after_until = start - timedelta(weeks=UPLIFT_WEEKS), start + timedelta(weeks=complete_after)
    rows = await PrintWeekly.select().where(
        (PrintWeekly.week_start >= before_from) & (PrintWeekly.week_start < after_until)
    )
    sums = {("t", "before"): 0, ("t", "after"): 0, ("c", "before"): 0, ("c", "after"): 0}
    for print_row in rows:
        kec = tree.parents.get(print_row["kelurahan"])
        group = "t" if kec in treated else "c" if kec in control else None
        if group:
            sums[(group, "before" if print_row["week_start"] < start else "after")] += print_row["prints"]

    def mean(group: str, period: str, count: int) -> Decimal | None:
        weeks = UPLIFT_WEEKS if period == "before" else complete_after
        if not count or not weeks:
            return None
        return (Decimal(sums[(group, period)]) / Decimal(count * weeks)).quantize(Decimal("0.01"))

    tb, ta = mean("t", "before", len(treated)), mean("t", "after", len(treated))
    cb, ca = mean("c", "before", len(control)), mean("c", "after", len(control))
    did = (ta - tb) - (ca - cb) if None not in (tb, ta, cb, ca) else None  # type: ignore[operator]
    return {
        "offer_id": str(offer_id),
        "title": row["title"],
        "launched_on": launched.isoformat(),
        "weeks_before": UPLIFT_WEEKS,
        "weeks_after": complete_after,
        "treated_kecamatan": len(treated),
        "control_kecamatan": len(control),
        "treated_before": tb,
        "treated_after": ta,
        "control_before": cb,
        "control_after": ca,
        "difference_in_differences": did,
        "relative_uplift_percent": (did * HUNDRED / tb).quantize(Decimal("0.1")) if did is not None and tb else None,
        "caveat": UPLIFT_CAVEAT.render(language),
    }


async def uplift_all(today: date, language: str = "id") -> list[dict[str, Any]]:
    offers = (
        await Offer.select(Offer.id).where(Offer.first_published_at.is_not_null()).order_by(Offer.first_published_at)
    )
    return [await uplift(o["id"], today, language=language) for o in offers]


async def quiet_partners(today: date, days: int = 30) -> list[dict[str, Any]]:
    """Approved partners without a redemption in the last `days` days: earlier KIA discount schemes died this way."""
    partners = await Partner.select(Partner.id, Partner.name).where(Partner.status == PartnerStatus.APPROVED)
    since = today - timedelta(days=days)
    result = []
    for partner in partners:
        last = (
            await RedemptionDaily.select(RedemptionDaily.day)
            .where((RedemptionDaily.partner == partner["id"]) & (RedemptionDaily.redemptions > 0))
            .order_by(RedemptionDaily.day, ascending=False)
            .first()
        )
        if last is None or last["day"] < since:
            result.append(
                {"partner_id": str(partner["id"]), "name": partner["name"],
                 "last_redemption_on": last["day"].isoformat() if last else None}
            )  # fmt: skip
    return result
