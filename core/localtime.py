"""Time is stored in UTC and shown in the local zone (an outlet's own: WIB, WITA or WIT); 'per day' is the local
calendar day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.errors import FieldProblem, Invalid
from core.i18n import Text

# Indonesia's three zones and the abbreviations people read on receipts.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
INDONESIAN_ZONES = tuple(ZONE_ABBREVIATIONS)
_MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The days a request may name (a report's period, a filter, an export's date). The KIA programme began in 2016, so a
# day outside is a typo (`0001-01-01`, `9999-12-31`), and near those ends date arithmetic overflows (it was a 500).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
DAY_OUT_OF_RANGE = Text("Tanggal harus antara {first} dan {last}.", "The date must be between {first} and {last}.")


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date at `moment` in `zone` (a redemption at 23:30 UTC is the next day in WIB)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def short_date(day: date, language: str = "id") -> str:
    """`3 Des 2026` (`3 Dec 2026` in English): a chart's axis, where a full month name does not fit."""
    months = _MONTHS_EN if language == "en" else _MONTHS_ID
    return f"{day.day} {months[day.month - 1]} {day.year}"


def short_month(day: date, language: str = "id") -> str:
    """`Des 2026` (`Dec 2026`): a month on a chart's axis."""
    months = _MONTHS_EN if language == "en" else _MONTHS_ID
    return f"{months[day.month - 1]} {day.year}"


def format_local(moment: datetime, zone: str, language: str = "id") -> str:
    """`27 Nov 2026 17.30 WIB` (Indonesian writes a period between hours and minutes); English uses a colon."""
    local = moment.astimezone(ZoneInfo(zone))
    abbreviation = ZONE_ABBREVIATIONS.get(zone, local.tzname() or zone)
    clock = f"{local:%H:%M}" if language == "en" else f"{local:%H.%M}"
    return f"{short_date(local.date(), language)} {clock} {abbreviation}"


def day_problem(name: str, day: date | None) -> FieldProblem | None:
    """A problem naming the field when its day is outside EARLIEST_DAY..LATEST_DAY."""
    if day is None or EARLIEST_DAY <= day <= LATEST_DAY:
        return None
    bounds = {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
    return FieldProblem(name, "out_of_range", DAY_OUT_OF_RANGE, bounds)


def check_days(days: Mapping[str, date | None]) -> None:
    """Refuse (422, each field named) days outside EARLIEST_DAY..LATEST_DAY; `days` maps a field's name to its day."""
    problems = [problem for name, day in days.items() if (problem := day_problem(name, day))]
    if problems:
        raise Invalid(problems)
