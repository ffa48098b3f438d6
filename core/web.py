"""Server-rendered pages: the Jinja configuration with Indonesian filters, static files, security headers."""

from __future__ import annotations

import mimetypes
from datetime import date, datetime
from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope

from core.localtime import format_local
from core.money import format_rupiah

CORE_DIR = Path(__file__).parent
mimetypes.add_type("application/manifest+json", ".webmanifest")
MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
WEEKDAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

# Pages load scripts and styles from this host only, as files (no inline script), and may not be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
HTML_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


def tanggal(value: date | datetime | str | None) -> str:
    """`17 Agustus 2026`."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"


def hari(value: int) -> str:
    """ISO weekday (1 = Monday) -> `Senin`."""
    return WEEKDAYS_ID[value - 1]


def waktu(value: datetime, zone: str = "Asia/Jakarta") -> str:
    return format_local(value, zone)


def template_config(*directories: Path) -> TemplateConfig[JinjaTemplateEngine]:
    def add_filters(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters.update({"rupiah": format_rupiah, "tanggal": tanggal, "hari": hari, "waktu": waktu})

    return TemplateConfig(
        directory=[CORE_DIR / "templates", *directories],
        engine=JinjaTemplateEngine,
        engine_callback=add_filters,
    )


def static_files_router(*directories: Path) -> Any:
    return create_static_files_router(
        path="/static", directories=[CORE_DIR / "static", *directories], opt={"public": True}, include_in_schema=False
    )


async def security_headers(message: Message, scope: Scope) -> None:
    """before_send hook: nosniff and referrer policy everywhere; CSP and no framing on HTML."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    names = {name.lower() for name, _ in headers}
    extra = list(COMMON_HEADERS)
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        extra += HTML_HEADERS
    headers += [(name, value) for name, value in extra if name not in names]
    message["headers"] = headers


def csv_response(rows: list[dict[str, Any]], filename: str, columns: list[str] | None = None) -> Any:
    """A CSV download of report rows (UTF-8 with a BOM, so spreadsheet programs read Indonesian text right)."""
    import csv
    import io

    from litestar import Response

    columns = columns or (list(rows[0]) if rows else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
