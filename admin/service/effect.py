"""Whether the incentives raise KIA uptake: a staggered-adoption difference-in-differences (Callaway & Sant'Anna
2021, not-yet-treated units as controls) of monthly new KIAs per 1,000 children without one, by kecamatan (by
kabupaten/kota for a province or the country), estimated with the `diff-diff` library in a worker thread and kept
in the store until the data it reads changes. docs/reports.md says what it means and what it cannot."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import structlog
from anyio import to_thread
from piccolo.query.functions.aggregate import Count, Max, Sum

from admin.service.population import denominator_rows, pick_denominator
from admin.service.reports import _published_offers, is_wide, region_tree
from admin.service.wide_coverage import as_date, month_end, month_ends
from admin.tables import PopulationCount, UnenrolledCityMonthly, UnenrolledKia
from core.i18n import Text
from core.offices import city_of, covers
from core.stores import Stores
from core.tables import Region, RegionLevel
from partners.tables import OfferOutlet, Outlet
from verification.service.rollups import month_of
from verification.tables import Card, PrintCityMonthly, PrintMonthly, Redemption, RedemptionStatus

log = structlog.get_logger()

MIN_TREATED = 3  # treated units, and as many units not yet treated when the first is: below, no estimate
MIN_CONTROL = 2
MONTHS_BEFORE = 12  # the panel starts this many months before the first launch
EVENT_WINDOW = 12  # the event study shown: 12 months either side of launch
# The pre-trend test looks at the six months before launch: over every lead (26 in a three-year panel) the Wald
# statistic needs a covariance that a few dozen units cannot estimate well (it rejected parallel trends that held by
# construction). Rambachan & Roth's bound needs that covariance invertible: it uses the widest window, six months
# either side of launch or fewer, that is (a dozen kecamatan estimate about four).
PRETREND_LEADS = 6
REFERENCE_MONTH = -1  # the universal base period: the month before launch
PRETREND_ALPHA = 0.05  # a pre-trend p-value below it is shown as a warning beside the estimate
SENSITIVITY_M = 1.0  # Rambachan & Roth: post-launch violations up to as large as the largest pre-launch one
AGE_GROUPS = {"5_17": (5, 16), "under_5": (0, 4)}  # age in the print year; under 5 comes with the birth certificate
CACHE = "effect"
CACHE_SECONDS = 7 * 24 * 3600  # a key names the data it was made from: a change of data is a new key
NOT_ENOUGH = Text(
    "Belum cukup {units} dengan dan tanpa mitra untuk memperkirakan dampak: perlu sedikitnya {treated} yang sudah "
    "punya mitra dan {control} yang belum. Sekarang: {have_treated} dan {have_control}.",
    "Not enough {units} with and without partners to estimate an effect: at least {treated} with partners and "
    "{control} not yet are needed. Now: {have_treated} and {have_control}.",
)
UNITS = {False: Text("kecamatan", "kecamatan"), True: Text("kabupaten/kota", "kabupaten/kota")}
SUMMARY = Text(
    "Sejak penawaran dibuka, {units} dengan mitra mencatat rata-rata {estimate} KIA baru per 1.000 anak per bulan "
    "(95%: {low} sampai {high}).",
    "Since offers opened, {units} with partners recorded on average {estimate} new KIAs per 1,000 children a month "
    "(95%: {low} to {high}).",
)
VERDICT = {
    "up": Text("Kenaikan ini bukan kebetulan: seluruh selangnya di atas nol.",
               "This rise is not chance: its whole interval is above zero."),
    "down": Text("Penerbitan justru turun: seluruh selangnya di bawah nol.",
                 "Issuance fell instead: its whole interval is below zero."),
    "unsure": Text("Selang ini mencakup nol: belum dapat dikatakan penawaran menaikkan penerbitan.",
                   "The interval covers zero: it cannot be said yet that offers raise issuance."),
}  # fmt: skip
PRETREND_WARNING = Text(
    "Hati-hati: sebelum peluncuran pun tren {units} dengan dan tanpa mitra sudah berbeda (uji tren awal p = {p}).",
    "Caution: before launch the trends of {units} with and without partners already differed (pre-trend test p = {p}).",
)


@dataclass
class Panel:
    """Monthly outcome per unit: new KIAs per 1,000 children without one, and when each unit was first treated."""

    months: list[date]
    units: dict[str, str]  # code -> name
    first_treated: dict[str, date]  # units ever treated -> month of their first launch
    outcome: dict[tuple[str, date], float]
    without: dict[tuple[str, date], int] = field(default_factory=dict)  # children without a KIA, month start


# --- the estimate (pure: no database) -------------------------------------------------------------------------


def units_of(panel: Panel) -> tuple[list[str], list[str]]:
    """Treated units (first launch within the panel, after its first month: one treated before has nothing to be
    compared with) and control units (not yet treated when the first of them launched)."""
    start, last = panel.months[0], panel.months[-1]
    never = date.max  # a unit never treated launches at the end of time
    launch = {unit: panel.first_treated.get(unit) or never for unit in panel.units}
    usable = [unit for unit in panel.units if launch[unit] > start]
    treated = [unit for unit in usable if launch[unit] <= last]
    first = min((launch[unit] for unit in treated), default=None)
    controls = [unit for unit in usable if first is not None and launch[unit] > first]
    return treated, controls


def estimate(panel: Panel, alpha: float = 0.05) -> dict[str, Any]:
    """Group-time effects by Callaway & Sant'Anna (not-yet-treated controls, outcome regression), aggregated to an
    overall effect and an event study with 95% intervals; a Wald pre-trend test on the event study's leads; and
    the Rambachan & Roth bound of the average post-launch effect under violations up to SENSITIVITY_M times the
    largest pre-launch one. Or `not_enough_units`."""
    import numpy as np
    import pandas as pd
    from diff_diff import CallawaySantAnna, compute_honest_did
    from scipy import stats

    treated, controls = units_of(panel)
    if len(treated) < MIN_TREATED or len(controls) < MIN_CONTROL:
        return _not_enough(len(treated), len(controls))
    index = {month: n + 1 for n, month in enumerate(panel.months)}
    rows = []
    for unit in panel.units:
        launch = panel.first_treated.get(unit)
        if launch is not None and launch <= panel.months[0]:
            continue  # treated before the panel starts: nothing to compare it with
        first = index[launch] if launch is not None and launch <= panel.months[-1] else 0
        for month in panel.months:
            value = panel.outcome.get((unit, month))
            if value is not None:
                rows.append({"unit": unit, "t": index[month], "y": value, "g": first})
    data = pd.DataFrame(rows)
    # A universal base period (the month before launch): each point of the event study is against that month, as
    # its chart reads and as Rambachan & Roth's bound assumes.
    model = CallawaySantAnna(
        control_group="not_yet_treated", estimation_method="reg", alpha=alpha, base_period="universal"
    )
    with warnings.catch_warnings():
        # diff-diff 3.x deprecates fit(aggregate=) for results.aggregate(), whose event study is a separate object
        # that compute_honest_did does not take yet; pinned below 4, where this call has to follow.
        warnings.simplefilter("ignore", FutureWarning)
        result = model.fit(data, outcome="y", unit="unit", time="t", first_treat="g", aggregate="event_study")
    events = {int(e): v for e, v in (result.event_study_effects or {}).items()}
    shown = [e for e in sorted(events) if -EVENT_WINDOW <= e <= EVENT_WINDOW and _finite(events[e]["effect"])]
    leads = [e for e in sorted(events) if -PRETREND_LEADS <= e < 0 and _finite(events[e]["se"]) and events[e]["se"] > 0]
    pretrend_p = None
    if leads and result.event_study_vcov is not None:
        order = [int(e) for e in result.event_study_vcov_index]
        picked = [order.index(e) for e in leads if e in order]
        b = np.array([events[order[i]]["effect"] for i in picked])
        v = np.asarray(result.event_study_vcov)[np.ix_(picked, picked)]
        wald = float(b @ np.linalg.pinv(v) @ b)
        pretrend_p = float(stats.chi2.sf(wald, len(picked)))
    bound = None
    for window in range(PRETREND_LEADS, 1, -1):  # the widest window whose covariance the units can estimate
        try:
            honest = compute_honest_did(_horizons(result, window), method="relative_magnitude", M=SENSITIVITY_M,
                                        alpha=alpha)  # fmt: skip
        except (ValueError, np.linalg.LinAlgError) as error:
            log.debug("reports.effect.sensitivity_window_unusable", window=window, detail=str(error)[:200])
            continue
        if _finite(honest.ci_lb) and _finite(honest.ci_ub):
            bound = {"m": SENSITIVITY_M, "window_months": window, "ci_low": _round(honest.ci_lb),
                     "ci_high": _round(honest.ci_ub)}  # fmt: skip
        break
    low, high = result.overall_conf_int
    return {
        "status": "ok",
        "estimate": _round(result.overall_att),
        "ci_low": _round(low),
        "ci_high": _round(high),
        "se": _round(result.overall_se),
        "event_study": [_point(e, events[e]) for e in shown],
        "pretrend_p_value": _round(pretrend_p, 4) if pretrend_p is not None else None,
        "sensitivity": bound,
        "minimum_units": {"treated": MIN_TREATED, "control": MIN_CONTROL},
        "treated_units": len(treated),
        "control_units": len(controls),
    }


def _not_enough(treated: int, controls: int) -> dict[str, Any]:
    return {"status": "not_enough_units", "treated_units": treated, "control_units": controls,
            "minimum_units": {"treated": MIN_TREATED, "control": MIN_CONTROL}}  # fmt: skip


def _point(months: int, effect: dict[str, Any]) -> dict[str, Any]:
    low, high = effect["conf_int"]
    if months == REFERENCE_MONTH:  # every point is against this month: zero by construction, with no interval
        low = high = effect["effect"]
    return {"months_since_launch": months, "estimate": _round(effect["effect"]), "ci_low": _round(low),
            "ci_high": _round(high), "reference": months == REFERENCE_MONTH}  # fmt: skip


def _horizons(result: Any, months: int) -> Any:
    """The result with its event study cut to `months` either side of launch: over every horizon of a long panel the
    covariance of a few dozen units is singular, and Rambachan & Roth's bound needs it invertible."""
    import copy

    import numpy as np

    order = [int(e) for e in result.event_study_vcov_index]
    keep = [i for i, e in enumerate(order) if -months <= e <= months]
    cut = copy.copy(result)
    cut.event_study_effects = {e: v for e, v in result.event_study_effects.items() if -months <= int(e) <= months}
    cut.event_study_vcov = np.asarray(result.event_study_vcov)[np.ix_(keep, keep)]
    cut.event_study_vcov_index = [result.event_study_vcov_index[i] for i in keep]
    return cut


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def _round(value: Any, digits: int = 3) -> float | None:
    return round(float(value), digits) if _finite(value) else None


def describe(answer: dict[str, Any], language: str) -> list[str]:
    """The estimate in sentences a mayor can repeat: the effect and its interval, what the interval says, and a
    warning when the pre-trend test rejects; or why there is no estimate."""
    units = UNITS[bool(answer.get("wide"))].render(language)
    if answer.get("status") != "ok":
        least = answer.get("minimum_units") or {"treated": MIN_TREATED, "control": MIN_CONTROL}
        return [NOT_ENOUGH.render(language, units=units, treated=least["treated"], control=least["control"],
                                  have_treated=answer.get("treated_units", 0),
                                  have_control=answer.get("control_units", 0))]  # fmt: skip
    low, high = answer["ci_low"], answer["ci_high"]
    sentences = [SUMMARY.render(language, units=units, estimate=_number(answer["estimate"], language, signed=True),
                                low=_number(low, language), high=_number(high, language))]  # fmt: skip
    sentences.append(VERDICT["up" if low > 0 else "down" if high < 0 else "unsure"].render(language))
    p = answer.get("pretrend_p_value")
    if p is not None and p < PRETREND_ALPHA:
        sentences.append(PRETREND_WARNING.render(language, units=units, p=_number(p, language)))
    return sentences


def _number(value: float, language: str, signed: bool = False) -> str:
    """`+0,21` / `−0,78` in Indonesian (`+0.21` in English): two decimals, a true minus sign."""
    text = f"{abs(value):.2f}"
    text = text if language == "en" else text.replace(".", ",")
    return ("−" if value < 0 else "+" if signed and value > 0 else "") + text


# --- the panel, from the rollups ------------------------------------------------------------------------------


async def launch_months(region: str | None, wide: bool) -> dict[str, date]:
    """Each unit's first launch: the month the first offer usable at one of its outlets was first published. (When
    an outlet opened is not kept, so an outlet counts from its partner's offer: the demo's outlets are seeded today
    with offers published in 2024.)"""
    tree = await region_tree(region) if not wide and region is not None else None
    outlets = await Outlet.select(Outlet.id, Outlet.partner, Outlet.kelurahan_code)
    linked: dict[Any, set[Any]] = defaultdict(set)
    for link in await OfferOutlet.select(OfferOutlet.offer, OfferOutlet.outlet):
        linked[link["offer"]].add(link["outlet"])
    first: dict[str, date] = {}
    for offer in await _published_offers():
        launched = month_of(offer["first_published_at"].date())
        cities = (offer.get("rules") or {}).get("cities") or []
        everywhere = not (offer.get("rules") or {}).get("outlet_ids")
        for outlet in outlets:
            if outlet["partner"] != offer["partner"] or not covers(region, outlet["kelurahan_code"]):
                continue
            if not everywhere and outlet["id"] not in linked[offer["id"]]:
                continue
            if cities and city_of(outlet["kelurahan_code"]) not in cities:
                continue
            unit = city_of(outlet["kelurahan_code"]) if tree is None else tree.parents.get(outlet["kelurahan_code"])
            if unit and (unit not in first or launched < first[unit]):
                first[unit] = launched
    return first


async def build_panel(region: str | None, today: date, age_group: str) -> Panel:
    """Units of the region (its kecamatan; a province's or the country's kabupaten/kota), months from MONTHS_BEFORE
    before the first launch to the last complete month, and each unit-month's new KIAs of the age group per 1,000
    children without a KIA at the month's start (the latest population figure of the unit)."""
    wide = is_wide(region)
    launches = await launch_months(region, wide)
    last = month_of(month_of(today) - timedelta(days=1))
    start = month_of(min(launches.values(), default=last))
    for _ in range(MONTHS_BEFORE):
        start = month_of(start - timedelta(days=1))
    months = [month_of(day) for day in month_ends(start, month_end(last))]
    low, high = AGE_GROUPS[age_group]
    if wide:
        places = await PrintCityMonthly.select(PrintCityMonthly.city_code).distinct()
        codes = [row["city_code"] for row in places if covers(region, row["city_code"])]
        units = {row["code"]: row["name"] for row in await Region.select(Region.code, Region.name).where(
            Region.code.is_in(codes or ["-"]))}  # fmt: skip
        unit_of = {c: c for c in units}
        cards = await PrintCityMonthly.select(
            PrintCityMonthly.city_code.as_alias("place"), PrintCityMonthly.print_month.as_alias("month"),
            PrintCityMonthly.birth_year, PrintCityMonthly.cards.as_alias("n"),
        ).where(PrintCityMonthly.city_code.is_in(list(units) or ["-"]))  # fmt: skip
        counted = await UnenrolledCityMonthly.select(
            UnenrolledCityMonthly.city_code.as_alias("place"), UnenrolledCityMonthly.counted_from.as_alias("month"),
            UnenrolledCityMonthly.birth_year, UnenrolledCityMonthly.holders.as_alias("n"),
        ).where(UnenrolledCityMonthly.city_code.is_in(list(units) or ["-"]))  # fmt: skip
    else:
        assert region is not None
        tree = await region_tree(region)
        units = {c: n for c, n in tree.names.items() if tree.levels.get(c) == RegionLevel.KECAMATAN
                 and tree.is_under(c, region)}  # fmt: skip
        kelurahan = tree.kelurahan_under(region)
        unit_of = {k: tree.parents.get(k) or "" for k in kelurahan}
        cards = await PrintMonthly.select(
            PrintMonthly.kelurahan.as_alias("place"), PrintMonthly.print_month.as_alias("month"),
            PrintMonthly.birth_year, Sum(PrintMonthly.cards).as_alias("n"),
        ).where(PrintMonthly.kelurahan.is_in(kelurahan or ["-"])).group_by(
            PrintMonthly.kelurahan, PrintMonthly.print_month, PrintMonthly.birth_year)  # fmt: skip
        counted = await UnenrolledKia.select(
            UnenrolledKia.kelurahan_code.as_alias("place"), UnenrolledKia.counted_from.as_alias("month"),
            UnenrolledKia.birth_year, Sum(UnenrolledKia.holders).as_alias("n"),
        ).where(UnenrolledKia.kelurahan_code.is_in(kelurahan or ["-"])).group_by(
            UnenrolledKia.kelurahan_code, UnenrolledKia.counted_from, UnenrolledKia.birth_year)  # fmt: skip
    new: dict[tuple[str, date], int] = defaultdict(int)  # the age group's new KIAs
    printed: dict[tuple[str, date, int], int] = defaultdict(int)  # every KIA, for the holders at a month's start
    for row in [*cards, *counted]:
        if row["month"] is None:
            continue
        unit, month, n = unit_of.get(row["place"]), month_of(as_date(row["month"])), int(row["n"] or 0)
        if not unit:
            continue
        printed[(unit, month, row["birth_year"])] += n
        if low <= month.year - row["birth_year"] <= high:
            new[(unit, month)] += n
    denominators = await denominator_rows(list(units), last)
    panel = Panel(months, units, {u: m for u, m in launches.items() if u in units}, {})
    for unit in list(units):
        found = pick_denominator(denominators, unit, month_end(last))
        if found is None:
            del units[unit]  # no population figure: its rate is unknown
            continue
        children = found[0]
        history = sorted((m, y, n) for (u, m, y), n in printed.items() if u == unit)
        for month in months:
            holders = sum(n for m, y, n in history if m < month and month.year - y <= 16)
            without = max(children - holders, 0)
            panel.without[(unit, month)] = without
            if without > 0:
                panel.outcome[(unit, month)] = 1000 * new.get((unit, month), 0) / without
    return panel


# --- the report: cached, computed in a worker -----------------------------------------------------------------


async def fingerprint(region: str | None, today: date, age_group: str) -> str:
    """What the estimate is made from, in a few small reads: a change to any makes a new key."""
    cards = await Card.select(Count(Card.id).as_alias("n"), Max(Card.updated_at).as_alias("at")).first()
    counted = await UnenrolledKia.select(Count(UnenrolledKia.id).as_alias("n")).first()
    people = await PopulationCount.select(Count(PopulationCount.id).as_alias("n")).first()
    offers = await _published_offers()
    outlets = await Outlet.select(Count(Outlet.id).as_alias("n")).first()
    parts = [region or "", age_group, month_of(today).isoformat(), str(cards), str(counted), str(people), str(outlets),
             str(len(offers)), str(max((o["first_published_at"] for o in offers), default=None))]  # fmt: skip
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


async def cached(
    region: str | None, today: date, age_group: str, stores: Stores
) -> tuple[str, dict[str, Any] | None]:  # fmt: skip
    key = f"{region or 'ID'}:{age_group}:{await fingerprint(region, today, age_group)}"
    found = await stores.cache_get(CACHE, key)
    return key, json.loads(found) if found is not None else None


async def compute(region: str | None, today: date, age_group: str, key: str, stores: Stores) -> None:
    """Build the panel, estimate in a worker thread (the event loop keeps serving tills), keep the answer. One
    worker at a time per key (across nodes with Redis); another asking meanwhile is told it is being computed."""
    async with stores.exclusive(f"effect:{key}", 600) as mine:
        if mine and await stores.cache_get(CACHE, key) is None:
            await _compute(region, today, age_group, key, stores)


async def _compute(region: str | None, today: date, age_group: str, key: str, stores: Stores) -> None:
    panel = await build_panel(region, today, age_group)
    if not panel.units or not panel.months:
        answer = _not_enough(0, 0)
    else:
        answer = await to_thread.run_sync(estimate, panel)
    answer.update({
        "wide": is_wide(region), "region": region, "age_group": age_group,
        "units": len(panel.units), "first_month": panel.months[0].isoformat() if panel.months else None,
        "last_month": panel.months[-1].isoformat() if panel.months else None,
    })  # fmt: skip
    if answer["status"] == "ok":
        # Extra KIAs are known only where the effect is: an interval that covers zero gives no cost per KIA.
        known = answer["ci_low"] is not None and answer["ci_low"] > 0
        answer["cost_per_additional_kia"] = await _cost_per_kia(region, panel, answer["estimate"]) if known else None
    await stores.cache_set(CACHE, key, json.dumps(answer).encode(), CACHE_SECONDS)
    log.info("reports.effect.computed", region=region, age_group=age_group, status=answer["status"])


async def _cost_per_kia(region: str | None, panel: Panel, estimate_per_1000: float | None) -> dict[str, Any] | None:
    """Discounts given to the region's children since the first launch, over the additional KIAs the estimate
    implies in the treated unit-months after their launch. Only for a positive estimate."""
    if not estimate_per_1000 or estimate_per_1000 <= 0:
        return None
    extra = sum(
        estimate_per_1000 * without / 1000
        for (unit, month), without in panel.without.items()
        if unit in panel.first_treated and month >= panel.first_treated[unit]
    )
    first = min(panel.first_treated.values(), default=None)
    if first is None or extra <= 0:
        return None
    rows = await Redemption.select(Sum(Redemption.discount_amount).as_alias("total")).where(
        (Redemption.status == RedemptionStatus.COMPLETED) & (Redemption.local_date >= first)
        & Redemption.kelurahan_code.like((region + ".%") if region else "%")
    )  # fmt: skip
    discounts = int(rows[0]["total"] or 0) if rows else 0
    return {"discounts": discounts, "additional_kia": round(extra), "rupiah_per_kia": round(discounts / extra)}
