"""Whether an offer applies to a card here and now, and if not the one reason a cashier can act on. Pure rules:
no database, no clock of its own; the outlet's local calendar decides days, weeks (from Monday) and months."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from uuid import UUID
from zoneinfo import ZoneInfo

from core.i18n import month_name, weekday_name
from core.localtime import format_local
from core.money import format_rupiah
from core.offices import city_of
from core.web import tanggal
from partners.schemas import BenefitType, Holders, Limit, LimitPeriod, OfferRules
from partners.service.offers import TillOffer
from partners.service.rules import benefit_text
from partners.tables import OfferStatus
from verification.errors import (
    AgeAboveMaximum,
    AgeBelowMinimum,
    BlackoutDate,
    CardRegionNotEligible,
    HolderLimitReached,
    Ineligible,
    MinimumPurchaseNotMet,
    NotEligibleForCard,
    OfferBudgetExhausted,
    OfferPaused,
    OfferQuotaExhausted,
    OutletClosed,
    OutletNotEligible,
    OutsideDates,
    OutsideHours,
    RegionNotEligible,
    WeekdayNotEligible,
)
from verification.service.cards import age_on


@dataclass(frozen=True)
class Usage:
    redemptions: int = 0
    discount_total: int = 0


@dataclass(frozen=True)
class Context:
    """Where and when: the outlet, its zone, and the moment of the scan."""

    outlet_id: UUID
    zone: str
    now: datetime  # aware
    city_code: str = ""  # the outlet's kabupaten/kota
    opening_hours: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # by weekday; empty: always open

    @property
    def local(self) -> datetime:
        return self.now.astimezone(ZoneInfo(self.zone))

    @property
    def today(self) -> date:
        return self.local.date()

    @cached_property
    def closed(self) -> tuple[OutletClosed, datetime] | None:
        """The outlet is outside its hours now: the refusal, and when it opens next. Worked out once per scan, not
        once per offer (the outlet is the same for all of them)."""
        if not self.opening_hours or _outlet_open(self, self.local):
            return None
        reopens = next_opening(self)  # some day has hours, so within the week
        assert reopens is not None
        refusal = OutletClosed(
            opens=format_local(reopens, self.zone, "id"),
            opens_en=format_local(reopens, self.zone, "en"),
            next_eligible_at=reopens.isoformat(),
        )
        return refusal, reopens  # fmt: skip


@dataclass
class Verdict:
    eligible: bool
    refusal: Ineligible | None = None
    remaining: int | None = None
    next_eligible_at: datetime | None = None
    period: str | None = None
    params: dict[str, object] = field(default_factory=dict)


# --- calendar -----------------------------------------------------------------------------------------------


def period_start(day: date, period: LimitPeriod) -> date | None:
    """First local day of the period containing `day`; None for a card's lifetime."""
    if period is LimitPeriod.DAY:
        return day
    if period is LimitPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    if period is LimitPeriod.MONTH:
        return day.replace(day=1)
    if period is LimitPeriod.YEAR:
        return day.replace(month=1, day=1)
    return None


def next_period_start(day: date, period: LimitPeriod) -> date | None:
    if period is LimitPeriod.DAY:
        return day + timedelta(days=1)
    if period is LimitPeriod.WEEK:
        return day - timedelta(days=day.weekday()) + timedelta(days=7)
    if period is LimitPeriod.MONTH:
        return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    if period is LimitPeriod.YEAR:
        return date(day.year + 1, 1, 1)
    return None


def metered(rules: OfferRules) -> bool:
    """An offer whose redemptions share a counter: a quota or a budget across all children."""
    return rules.quota is not None or rules.budget is not None


def earliest_limited_day(today: date, limits: list[Limit]) -> date | None:
    """The first local day whose redemptions any limit counts (None: all of them, for a lifetime limit)."""
    starts = [period_start(today, limit.period) for limit in limits]
    return None if None in starts else min((s for s in starts if s is not None), default=today)


# --- plain words --------------------------------------------------------------------------------------------


def _days_text(weekdays: list[int], english: bool) -> str:
    days = sorted(set(weekdays))
    if days == [1, 2, 3, 4, 5]:
        return "Monday–Friday" if english else "Senin–Jumat"
    if days == [6, 7]:
        return "on weekends" if english else "Sabtu & Minggu"
    return ", ".join(weekday_name(d, "en" if english else "id") for d in days)


def _date_en(day: date) -> str:
    return tanggal(day, "en")


def _limit_message(limit: Limit, next_day: date | None, english: bool) -> str:
    """`Sudah dipakai hari ini — bisa lagi besok` and its kin."""
    if english:
        used = {"day": "today", "week": "this week", "month": "this month", "year": "this year"}
        if limit.period is LimitPeriod.LIFETIME or next_day is None:
            return f"Already used {limit.count}x — the limit for this card"
        again = {
            "day": "tomorrow",
            "week": "on Monday",
            "month": f"on 1 {month_name(next_day.month, 'en')}",
            "year": f"on 1 January {next_day.year}",
        }[limit.period.value]
        return f"Already used {used[limit.period.value]} — available again {again}"
    used_id = {"day": "hari ini", "week": "minggu ini", "month": "bulan ini", "year": "tahun ini"}
    if limit.period is LimitPeriod.LIFETIME or next_day is None:
        return f"Sudah dipakai {limit.count}x — batas untuk kartu ini"
    again_id = {
        "day": "besok",
        "week": "hari Senin",
        "month": f"tanggal 1 {month_name(next_day.month, 'id')}",
        "year": f"1 Januari {next_day.year}",
    }[limit.period.value]
    times = "" if limit.count == 1 else f" {limit.count}x"
    return f"Sudah dipakai{times} {used_id[limit.period.value]} — bisa lagi {again_id}"


# --- the rules, in the order a cashier can act on them -------------------------------------------------------


def _in_region(kelurahan_code: str, prefixes: list[str]) -> bool:
    return not prefixes or any(kelurahan_code == p or kelurahan_code.startswith(p + ".") for p in prefixes)


OUTLET_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _spans(context: Context, day: date) -> tuple[tuple[str, str], ...]:
    return dict(context.opening_hours).get(OUTLET_DAYS[day.weekday()], ())


def _outlet_open(context: Context, moment: datetime) -> bool:
    clock = moment.strftime("%H:%M")
    return any(opens <= clock < closes for opens, closes in _spans(context, moment.date()))


def next_opening(context: Context) -> datetime | None:
    """When the outlet opens next (its recorded hours, in its zone); None if no day of the week has hours."""
    zone = ZoneInfo(context.zone)
    for ahead in range(8):
        day = context.today + timedelta(days=ahead)
        for opens, _ in sorted(_spans(context, day)):
            moment = datetime.combine(day, time.fromisoformat(opens), zone)
            if moment > context.local:
                return moment
    return None


LOOKAHEAD_DAYS = 400  # how far ahead the next valid moment is looked for (a blackout or a season can be long)


def next_valid_moment(rules: OfferRules, context: Context) -> datetime | None:
    """The first moment from now at which the offer's calendar (dates, blackout days, weekdays, hours) allows it, in
    the outlet's zone; None when it never will (past its last day) or not within LOOKAHEAD_DAYS."""
    zone = ZoneInfo(context.zone)
    local = context.local
    day = max(context.today, rules.valid_from)
    for _ in range(LOOKAHEAD_DAYS):
        if rules.valid_until is not None and day > rules.valid_until:
            return None
        if day_allowed(rules, day):
            opens = datetime.combine(day, time.fromisoformat(rules.hours.start) if rules.hours else time(0), zone)
            if day != context.today or local < opens:
                return opens
            if rules.hours is None or local.strftime("%H:%M") < rules.hours.end:
                return local  # open now
        day += timedelta(days=1)
    return None


def day_allowed(rules: OfferRules, day: date) -> bool:
    """Whether the offer's calendar allows some time on this local day: within its dates, not a blackout day, one
    of its weekdays (its hours are the same every such day)."""
    if day < rules.valid_from or (rules.valid_until is not None and day > rules.valid_until):
        return False
    if any(b.from_date <= day <= b.until for b in rules.blackout_dates):
        return False
    return day.isoweekday() in rules.weekdays


def next_valid_day(rules: OfferRules, today: date) -> date | None:
    """The first local day from today on which the offer's calendar allows it; None when never (within
    LOOKAHEAD_DAYS)."""
    day = max(today, rules.valid_from)
    for _ in range(LOOKAHEAD_DAYS):
        if rules.valid_until is not None and day > rules.valid_until:
            return None
        if day_allowed(rules, day):
            return day
        day += timedelta(days=1)
    return None


def _calendar(rules: OfferRules, context: Context, refusal: type[Ineligible], **params: str) -> Verdict:
    """A refusal by the calendar, with when it next applies (also in the refusal's problem body)."""
    next_at = next_valid_moment(rules, context)
    params = {**params, "next_eligible_at": next_at.isoformat()} if next_at else params
    return Verdict(False, refusal(**params), next_eligible_at=next_at)


def _calendar_verdict(rules: OfferRules, context: Context) -> Verdict | None:
    """The refusal of the calendar (the outlet closed, outside the dates, a blackout day, another weekday, outside
    the hours), or None when the offer's calendar allows this moment."""
    today, local = context.today, context.local
    if context.closed is not None:
        closed, reopens = context.closed
        return Verdict(False, closed, next_eligible_at=reopens)
    if today < rules.valid_from or (rules.valid_until is not None and today > rules.valid_until):
        until_id = f"sampai {tanggal(rules.valid_until)}" if rules.valid_until else "tanpa batas akhir"
        until_en = f"until {_date_en(rules.valid_until)}" if rules.valid_until else "with no end date"
        return _calendar(rules, context, OutsideDates, valid=f"mulai {tanggal(rules.valid_from)} {until_id}",
                         valid_en=f"from {_date_en(rules.valid_from)} {until_en}")  # fmt: skip
    for blackout in rules.blackout_dates:
        if blackout.from_date <= today <= blackout.until:
            return _calendar(rules, context, BlackoutDate, label=blackout.label or "hari libur")
    if today.isoweekday() not in rules.weekdays:
        return _calendar(rules, context, WeekdayNotEligible, days=_days_text(rules.weekdays, False),
                         days_en=_days_text(rules.weekdays, True))  # fmt: skip
    if rules.hours is not None:
        clock = local.strftime("%H:%M")
        if not rules.hours.start <= clock < rules.hours.end:
            opens, closes = rules.hours.start, rules.hours.end
            return _calendar(rules, context, OutsideHours, start=opens.replace(":", "."), end=closes.replace(":", "."),
                             start_en=opens, end_en=closes)  # fmt: skip
    return None


def open_at(rules: OfferRules, context: Context) -> bool:
    """Whether the offer's calendar and the outlet's hours allow this moment (the offline kit's windows)."""
    return _calendar_verdict(rules, context) is None


def evaluate(
    offer: TillOffer,
    context: Context,
    birth_date: date,
    kelurahan_code: str,
    usage: Usage,
    history: list[date],
    purchase_amount: int | None = None,
) -> Verdict:
    """The verdict for one offer. `history` lists the local days of this card's (unvoided) redemptions of it."""
    rules = offer.rules
    today = context.today
    if offer.status is OfferStatus.PAUSED:
        if offer.status_reason == "quota_exhausted":
            return Verdict(False, OfferQuotaExhausted())
        if offer.status_reason == "budget_exhausted":
            return Verdict(False, OfferBudgetExhausted())
        return Verdict(False, OfferPaused())
    if not offer.all_outlets and context.outlet_id not in offer.outlet_ids:
        return Verdict(False, OutletNotEligible())
    if rules.cities and context.city_code not in rules.cities:
        return Verdict(False, OutletNotEligible())
    calendar = _calendar_verdict(rules, context)
    if calendar is not None:
        return calendar
    age = age_on(birth_date, today)
    ages = {"age_min": rules.age_min, "age_max": rules.age_max}
    if age < rules.age_min:
        return Verdict(False, AgeBelowMinimum(**ages))
    if age > rules.age_max:
        return Verdict(False, AgeAboveMaximum(**ages))
    if rules.holders is Holders.LOCAL and city_of(kelurahan_code) not in (rules.cities or [context.city_code]):
        return Verdict(False, CardRegionNotEligible())
    if not _in_region(kelurahan_code, rules.regions):
        return Verdict(False, RegionNotEligible())
    if rules.quota is not None and usage.redemptions >= rules.quota:
        return Verdict(False, OfferQuotaExhausted())
    if rules.budget is not None:
        left = rules.budget - usage.discount_total
        needed = 1 if rules.benefit.type is BenefitType.PERCENT else (rules.benefit.amount or rules.benefit.value or 1)
        if left < needed:
            return Verdict(False, OfferBudgetExhausted())
    remaining: int | None = None
    worst: tuple[date, Limit] | None = None
    for limit in rules.limits:
        start = period_start(today, limit.period)
        used = sum(1 for day in history if start is None or day >= start)
        left_here = limit.count - used
        remaining = left_here if remaining is None else min(remaining, left_here)
        if left_here <= 0:
            next_day = next_period_start(today, limit.period)
            if worst is None or (next_day or date.max) > worst[0]:
                worst = (next_day or date.max, limit)
    if worst is not None:
        next_day, limit = worst
        next_at = datetime.combine(next_day, time(0), tzinfo=ZoneInfo(context.zone)) if next_day != date.max else None
        refusal = HolderLimitReached(
            period=limit.period.value,
            next_eligible_at=next_at.isoformat() if next_at else None,
            message=_limit_message(limit, next_day if next_at else None, english=False),
            message_en=_limit_message(limit, next_day if next_at else None, english=True),
        )
        return Verdict(False, refusal, remaining=0, next_eligible_at=next_at, period=limit.period.value)
    if purchase_amount is not None and purchase_amount < rules.min_purchase:
        return Verdict(False, MinimumPurchaseNotMet(minimum=format_rupiah(rules.min_purchase)), remaining=remaining)
    return Verdict(True, remaining=remaining)


def needs_purchase_amount(rules: OfferRules) -> bool:
    """The till must ask the purchase amount: the discount depends on it, or a minimum purchase applies."""
    return rules.benefit.type in {BenefitType.PERCENT, BenefitType.FIXED_AMOUNT} or rules.min_purchase > 0


def discount(rules: OfferRules, purchase_amount: int) -> int:
    """Whole rupiah: a percentage rounded down and capped, a fixed amount (never more than the purchase), or the
    free entry's or item's normal price."""
    benefit = rules.benefit
    if benefit.type is BenefitType.PERCENT:
        amount = purchase_amount * (benefit.percent or 0) // 100
        if benefit.max_discount is not None:
            amount = min(amount, benefit.max_discount)
        return amount
    if benefit.type is BenefitType.FIXED_AMOUNT:
        return min(benefit.amount or 0, purchase_amount)
    return benefit.value or 0


def describe_benefit(rules: OfferRules, english: bool) -> str:
    return benefit_text(rules.benefit, "en" if english else "id")


def region_sliced(offers: list[TillOffer]) -> bool:
    """Two or more of a partner's live offers restrict the children's regions differently: a card's pattern of
    passing and failing them would locate the child (the 7-offer attack of issue 16)."""
    return len({tuple(offer.rules.regions) for offer in offers if offer.rules.regions}) >= 2


def plain_region_refusal(verdict: Verdict, sliced: bool) -> Verdict:
    """Where the offers are sliced, a region refusal says only 'not valid for this card', not which rule."""
    if sliced and isinstance(verdict.refusal, RegionNotEligible):
        return replace(verdict, refusal=NotEligibleForCard())
    return verdict
