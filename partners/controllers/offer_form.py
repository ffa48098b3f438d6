"""The offer form of the partner console: its fields read into the API's OfferRules (Indonesian numbers such as
50.000 understood, problems put back beside the field that caused them), a saved offer as fields again, and the
live plain-words summary with what is still to fix. The fields' names are the page's (mitra/penawaran_kata.html)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.errors import FieldProblem, Invalid
from core.forms import checked, problems_by_field, text, to_struct
from core.i18n import Language, Text
from core.service.regions import kelurahan_by_kecamatan, region_names
from partners.schemas import BenefitType, LimitPeriod, OfferRules
from partners.service import onboarding
from partners.service import rules as offer_rules

BASE = "/mitra/penawaran"
BLACKOUT_ROWS = 3  # empty rows for days off; a saved offer with more gets one spare row
PREVIEW = "ringkasan"  # the form's no-JavaScript "update the summary" button: re-render, save nothing
BENEFIT_KEYS = ("percent", "max_discount", "amount", "value", "item")
WHOLE_NUMBER_FIELDS = ("min_purchase", "age_min", "age_max", "quota", "budget")
GROUPED_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # Indonesian 50.000 is fifty thousand, not fifty
# Placeholders for what the summary does not mention, so it shows while the title and description are still empty.
PREVIEW_FILLERS = {"title": "Penawaran", "description": "Uraian penawaran.", "category": "other"}
NO_OUTLET_CHOSEN = Text(
    "Centang minimal satu outlet, atau pilih Semua outlet.", "Tick at least one outlet, or choose All outlets."
)


# --- the form: its fields as the API's body, and the API's problems beside its fields ---------------------------


def whole(value: str) -> str:
    """A number as typed (`Rp 50.000`, `1.000`, `10%`) as digits for the API; anything else is left for its message."""
    value = re.sub(r"^rp\.?", "", value.strip(), flags=re.IGNORECASE).replace(" ", "").removesuffix("%")
    return value.replace(".", "") if GROUPED_THOUSANDS.match(value) else value


def _limit_periods(data: Mapping[str, str]) -> list[str]:
    return [period.value for period in LimitPeriod if text(data, f"limit.{period.value}")]


def _blackout_rows(data: Mapping[str, str]) -> list[int]:
    rows = blackout_row_count(data)
    return [i for i in range(rows) if any(text(data, f"blackout.{i}.{part}") for part in ("from", "until", "label"))]


def blackout_row_count(data: Mapping[str, str]) -> int:
    used = [int(match.group(1)) for key in data if (match := re.match(r"^blackout\.(\d+)\.", key))]
    return max(BLACKOUT_ROWS, max(used, default=-1) + 2) if used else BLACKOUT_ROWS


def ticked(data: Mapping[str, str], prefix: str) -> list[str]:
    return [key.removeprefix(prefix) for key in data if key.startswith(prefix) and checked(data, key)]


def rules_body(data: Mapping[str, str]) -> dict[str, Any]:
    """The form as the body of POST /offers. What the manager left empty is left out (the API's default)."""
    body: dict[str, Any] = {name: text(data, name) for name in ("title", "description", "category", "valid_from")}
    for name in ("title_en", "description_en", "terms", "terms_en", "valid_until"):
        if value := text(data, name):
            body[name] = value
    kind = text(data, "benefit.type")
    used = offer_rules.benefit_fields(BenefitType(kind)) if kind in set(BenefitType) else set(BENEFIT_KEYS)
    benefit: dict[str, Any] = {"type": kind}
    for key in BENEFIT_KEYS:  # a field of another kind of benefit, still on the page, is not sent
        if key in used and (value := text(data, f"benefit.{key}")):
            benefit[key] = value if key == "item" else whole(value)
    body["benefit"] = benefit
    for name in WHOLE_NUMBER_FIELDS:
        if value := text(data, name):
            body[name] = whole(value)
    body["weekdays"] = [day for day in range(1, 8) if checked(data, f"weekdays.{day}")]
    start, end = text(data, "hours.start"), text(data, "hours.end")
    if start or end:
        body["hours"] = {"start": start, "end": end}
    body["blackout_dates"] = []
    for row in _blackout_rows(data):
        parts = {part: text(data, f"blackout.{row}.{part}") for part in ("from", "until", "label")}
        body["blackout_dates"].append({part: value for part, value in parts.items() if value})
    body["limits"] = [{"period": p, "count": whole(text(data, f"limit.{p}"))} for p in _limit_periods(data)]
    body["regions"] = ticked(data, "region.")
    if text(data, "outlets") == "chosen":
        body["outlet_ids"] = ticked(data, "outlet.")
    body["stackable"] = checked(data, "stackable")
    return body


def offer_rules_of(data: Mapping[str, str], body: dict[str, Any] | None = None) -> OfferRules:
    """The form as the API's `OfferRules`; a field that does not fit raises `Invalid` with the API's message."""
    body = rules_body(data) if body is None else body
    if text(data, "outlets") == "chosen" and not body.get("outlet_ids"):
        raise Invalid([FieldProblem("outlet_ids", "no_outlet_chosen", NO_OUTLET_CHOSEN)])
    return to_struct(OfferRules, body)


def form_field(problem_field: str, data: Mapping[str, str]) -> str:
    """Where the form shows a problem the API names by its body's path (`limits[1].count` -> `limit.month`)."""
    if match := re.match(r"^limits\[(\d+)\]", problem_field):
        periods = _limit_periods(data)
        index = int(match.group(1))
        return f"limit.{periods[index]}" if index < len(periods) else "limits"
    if match := re.match(r"^blackout_dates\[(\d+)\]", problem_field):
        rows = _blackout_rows(data)
        index = int(match.group(1))
        return f"blackout.{rows[index]}" if index < len(rows) else "blackout"
    for group in ("regions", "outlet_ids", "weekdays", "hours"):
        if problem_field == group or problem_field.startswith((f"{group}[", f"{group}.")):
            return group
    return problem_field


def shown_problems(problem: Invalid | None, data: Mapping[str, str], language: Language) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name, message in problems_by_field(problem, language).items():
        shown.setdefault(form_field(name, data), message)
    return shown


def offer_form(rules: OfferRules) -> dict[str, str]:
    """An offer's rules as the form's fields."""
    values: dict[str, str] = {
        "title": rules.title,
        "description": rules.description,
        "category": rules.category.value,
        "valid_from": rules.valid_from.isoformat(),
        "valid_until": rules.valid_until.isoformat() if rules.valid_until else "",
        "age_min": str(rules.age_min),
        "age_max": str(rules.age_max),
        "min_purchase": str(rules.min_purchase) if rules.min_purchase else "",
        "quota": "" if rules.quota is None else str(rules.quota),
        "budget": "" if rules.budget is None else str(rules.budget),
        "benefit.type": rules.benefit.type.value,
        "outlets": "chosen" if rules.outlet_ids else "all",
        "stackable": "on" if rules.stackable else "",
    }
    for name in ("title_en", "description_en", "terms", "terms_en"):
        values[name] = getattr(rules, name) or ""
    for key in BENEFIT_KEYS:
        value = getattr(rules.benefit, key)
        values[f"benefit.{key}"] = "" if value is None else str(value)
    values.update({f"weekdays.{day}": "on" for day in rules.weekdays})
    if rules.hours:
        values["hours.start"], values["hours.end"] = rules.hours.start, rules.hours.end
    for row, blackout in enumerate(rules.blackout_dates):
        values[f"blackout.{row}.from"] = blackout.from_date.isoformat()
        values[f"blackout.{row}.until"] = blackout.until.isoformat()
        values[f"blackout.{row}.label"] = blackout.label or ""
    values.update({f"limit.{limit.period.value}": str(limit.count) for limit in rules.limits})
    values.update({f"region.{code}": "on" for code in rules.regions})
    values.update({f"outlet.{outlet_id}": "on" for outlet_id in rules.outlet_ids})
    return values


def new_offer_form(category: str, today: date) -> dict[str, str]:
    """A new offer starts where most do: a percentage off, from today, every day, for every age and outlet."""
    every_day = {f"weekdays.{day}": "on" for day in range(1, 8)}
    return {"category": category, "benefit.type": BenefitType.PERCENT.value, "valid_from": today.isoformat(),
            "age_min": "0", "age_max": "16", "outlets": "all", **every_day}  # fmt: skip


# --- the summary beside the form --------------------------------------------------------------------------------


@dataclass
class Preview:
    """What the offer will say (`Diskon 10% maks. Rp50.000, 1x per hari, …`) and what still has to be fixed."""

    summary: str | None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (form field, the API's message); the page names it
    waiting: bool = False  # a new, untouched form: a hint instead of problems


async def preview(
    data: Mapping[str, str], partner_id: uuid.UUID, language: Language, today: date, first_look: bool = False
) -> Preview:
    """The API's summary of the form as it stands, with the API's problems; text not in the summary may be empty."""
    body = rules_body(data)
    for name, filler in {**PREVIEW_FILLERS, "valid_from": today.isoformat()}.items():
        body[name] = body.get(name) or filler
    found: list[FieldProblem]
    summary: str | None = None
    try:
        rules = offer_rules.normalized(offer_rules_of(data, body))
    except Invalid as problem:
        found = problem.problems
    else:
        found = await offer_rules.rules_problems(rules, partner_id)
        if not any(problem.field.startswith("benefit") for problem in found):  # else it would say "Diskon None%"
            summary = offer_rules.summary(rules, language)
    if first_look and summary is None:
        return Preview(None, waiting=True)
    shown = shown_problems(Invalid(found), data, language) if found else {}
    return Preview(summary, list(shown.items()))


async def region_choices(partner_id: uuid.UUID, values: Mapping[str, str]) -> dict[str, Any]:
    """The regions an offer can be limited to: the partner's kabupaten/kota (those whose office it applied to),
    kecamatan by kecamatan, each with its kelurahan and open when one of them is ticked; and the ticked codes that
    are none of them (an offer saved before a region moved), so that they are shown and not lost."""
    cities = await onboarding.cities_of(partner_id)
    names = await region_names(set(cities)) if len(cities) > 1 else {}
    kecamatan = [
        (code, f"{name} · {names[city]}" if names else name, inside)
        for city in cities
        for code, name, inside in await kelurahan_by_kecamatan(city)
    ]
    known = {code for code, _, _ in kecamatan} | {code for _, _, inside in kecamatan for code, _ in inside}
    return {
        "kecamatan": [
            (code, name, inside, any(checked(values, f"region.{k}") for k, _ in inside))
            for code, name, inside in kecamatan
        ],
        "other_regions": sorted(code for code in ticked(values, "region.") if code not in known),
    }
