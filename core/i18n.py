"""Language negotiation and bilingual text (Bahasa Indonesia first, English second)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from litestar.connection import ASGIConnection

Language = Literal["id", "en"]
SUPPORTED: tuple[Language, ...] = ("id", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """A message in both languages; `{name}` placeholders are filled by `render`."""

    id: str
    en: str

    def render(self, language: str, **params: Any) -> str:
        template = self.en if language == "en" else self.id
        return template.format(**params) if params else template


# Weekdays in ISO order (1 = Monday) and months: named once for pages, messages and plain-words summaries.
WEEKDAYS = (Text("Senin", "Monday"), Text("Selasa", "Tuesday"), Text("Rabu", "Wednesday"), Text("Kamis", "Thursday"),
            Text("Jumat", "Friday"), Text("Sabtu", "Saturday"), Text("Minggu", "Sunday"))  # fmt: skip
MONTHS = (Text("Januari", "January"), Text("Februari", "February"), Text("Maret", "March"), Text("April", "April"),
          Text("Mei", "May"), Text("Juni", "June"), Text("Juli", "July"), Text("Agustus", "August"),
          Text("September", "September"), Text("Oktober", "October"), Text("November", "November"),
          Text("Desember", "December"))  # fmt: skip


def weekday_name(iso_weekday: int, language: str) -> str:
    return WEEKDAYS[iso_weekday - 1].render(language)


def month_name(month: int, language: str) -> str:
    return MONTHS[month - 1].render(language)


def negotiate(accept_language: str | None, default: Language) -> Language:
    """Pick id or en from an Accept-Language header by q-value; anything else gets the default."""
    if not accept_language:
        return default
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (quality, -position, primary)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else default


# The reader's choice of page language, set at /bahasa.
LANGUAGE_COOKIE = "mitrakia_lang"
# Paths that are not pages: the API and machine endpoints speak the caller's Accept-Language.
NOT_PAGES = ("/api/", "/schema", "/static/", "/health", "/ready", "/.well-known/")


def request_language(connection: ASGIConnection[Any, Any, Any, Any]) -> Language:
    """The language to answer in. The API and machine endpoints: the caller's Accept-Language (the cashier app sends
    its own choice). A page: the reader's choice (the /bahasa cookie), else the site's default for a browser (Bahasa
    Indonesia first, whatever the phone's locale), else Accept-Language. One rule for handlers, problems and
    templates, so a page never mixes two languages."""
    default: Language = connection.app.state.settings.language
    accept_language = connection.headers.get("accept-language")
    if connection.scope.get("path", "").startswith(NOT_PAGES):
        return negotiate(accept_language, default)
    chosen = connection.cookies.get(LANGUAGE_COOKIE)
    if chosen == "en":
        return "en"
    if chosen == "id":
        return "id"
    # A browser asks for a page (Accept: text/html); htmx, which fetches the pages' live fragments, asks for */*
    # and says so (HX-Request): both are a page, in the page's language.
    is_page = "text/html" in connection.headers.get("accept", "") or connection.headers.get("hx-request") == "true"
    return default if is_page else negotiate(accept_language, default)
