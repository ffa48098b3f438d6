"""Time is stored in UTC and shown in the local zone (WIB for Kota Bengkulu); 'per day' is the local calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

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


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date at `moment` in `zone` (a redemption at 23:30 UTC is the next day in WIB)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def format_local(moment: datetime, zone: str, language: str = "id") -> str:
    """`27 Nov 2026 17.30 WIB` (Indonesian writes a period between hours and minutes); English uses a colon."""
    local = moment.astimezone(ZoneInfo(zone))
    abbreviation = ZONE_ABBREVIATIONS.get(zone, local.tzname() or zone)
    if language == "en":
        return f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year} {local:%H:%M} {abbreviation}"
    return f"{local.day} {_MONTHS_ID[local.month - 1]} {local.year} {local:%H.%M} {abbreviation}"
