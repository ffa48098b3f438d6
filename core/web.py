"""Server-rendered pages and HTTP hygiene: the Jinja configuration with Indonesian filters, static files, security
headers, JSON safe inside a page, and the refusal of request text no service can read or store."""

from __future__ import annotations

import dataclasses
import json
import mimetypes
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from jinja2 import pass_context
from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.params import BodyKwarg
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Empty, Message, Scope
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from core.errors import FieldProblem, Invalid
from core.i18n import Text, month_name, request_language, weekday_name
from core.localtime import format_local
from core.money import format_rupiah
from core.pages import signed_in_user

CORE_DIR = Path(__file__).parent
mimetypes.add_type("application/manifest+json", ".webmanifest")
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


def tanggal(value: date | datetime | str | None, language: str = "id") -> str:
    """`17 Agustus 2026` (`17 August 2026` in English)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {month_name(value.month, language)} {value.year}"


def bulan(value: date | str | None, language: str = "id") -> str:
    """A calendar month: `November 2026`."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:7] + "-01")
    return f"{month_name(value.month, language)} {value.year}"


def hari(value: int, language: str = "id") -> str:
    """ISO weekday (1 = Monday) -> `Senin` (`Monday` in English)."""
    return weekday_name(value, language)


def waktu(value: datetime, zone: str = "Asia/Jakarta") -> str:
    return format_local(value, zone)


def persen(value: Any, language: str = "id") -> str:
    """`57,6%` in Indonesian, `57.6%` in English; an em dash when there is no figure."""
    if value is None:
        return "—"
    text = f"{float(value):.1f}"
    return (text if language == "en" else text.replace(".", ",")) + "%"


def desimal(value: Any, language: str = "id") -> str:
    """`14,75` in Indonesian, `14.75` in English (two decimals); an em dash when there is no figure."""
    if value is None:
        return "—"
    text = f"{float(value):,.2f}"
    return text if language == "en" else text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def angka(value: Any, language: str = "id") -> str:
    """`66.251` in Indonesian, `66,251` in English; suppressed cells (`<5`) pass through."""
    if not isinstance(value, int):
        return "—" if value is None else str(value)
    text = f"{value:,}"
    return text if language == "en" else text.replace(",", ".")


def chart(data: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Markup:
    """A chart's JSON for its `<script type="application/json">` block, each dataset's `label` code named from
    `names` (the page's own wording)."""
    datasets = [
        {**dataset, "label": (names or {}).get(dataset.get("label"), dataset.get("label"))}
        for dataset in data.get("datasets", [])
    ]
    return Markup(script_json({**data, "datasets": datasets}, default=_json_default))  # noqa: S704 - escaped JSON


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def choices(values: Any, names: Mapping[str, str], placeholder: str | None = None) -> list[tuple[str, str]]:
    """A select's (value, text) pairs: each value (an enum member or its value) named from `names`, after an empty
    first choice when a `placeholder` is given."""
    pairs = [("", placeholder)] if placeholder is not None else []
    for value in values:
        key = getattr(value, "value", value)
        pairs.append((key, names.get(key, key)))
    return pairs


def language_of(context: Mapping[str, Any]) -> str:
    request = context.get("request")
    return request_language(request) if request is not None else "id"


def english_catalog(directories: list[Path]) -> dict[str, str]:
    """The English of the pages' Indonesian texts: `english.json` beside each layer's templates."""
    catalog: dict[str, str] = {}
    for directory in directories:
        path = directory / "english.json"
        if path.exists():
            catalog.update(json.loads(path.read_text(encoding="utf-8")))
    return catalog


def template_config(*directories: Path) -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja with Indonesian filters, and `_("Teks")`: the Indonesian text itself, or its English from the layers'
    `english.json` when the reader chose English (cookie `mitrakia_lang`). The number and date filters follow the
    reader's language too."""
    catalog = english_catalog([CORE_DIR / "templates", *directories])

    def translate(context: Mapping[str, Any], text: str, **params: Any) -> str:
        """`_("Cabut kartu {code}?", code=…)`: the English of an Indonesian text, its `{names}` filled in."""
        chosen = catalog.get(text, text) if language_of(context) == "en" else text
        return chosen.format(**params) if params else chosen

    def user(context: Mapping[str, Any]) -> Any:
        """The signed-in staff member, or None (an anonymous visitor, a problem page before sign-in)."""
        request = context.get("request")
        return signed_in_user(request) if request is not None else None

    def lang(context: Mapping[str, Any]) -> str:
        return language_of(context)

    def add_filters(engine: JinjaTemplateEngine) -> None:
        def localised(function: Any) -> Any:
            return pass_context(lambda context, value: function(value, language_of(context)))

        engine.engine.filters.update(
            {
                "rupiah": format_rupiah,
                "tanggal": localised(tanggal),
                "bulan": localised(bulan),
                "hari": localised(hari),
                "waktu": waktu,
                "persen": localised(persen),
                "angka": localised(angka),
                "desimal": localised(desimal),
            }
        )
        engine.register_template_callable("_", translate)
        engine.register_template_callable("page_lang", lang)
        engine.register_template_callable("current_user", user)
        engine.engine.globals["choices"] = choices
        engine.engine.filters["chart"] = chart

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


def script_json(value: Any, default: Any = None) -> str:
    """JSON for a `<script type="application/json">` block: `<`, `>`, `&` and `'` as \\u escapes (as Jinja's `tojson`
    does), so a partner named `</script><a href=…>` cannot end the block and write HTML into the page."""
    text = json.dumps(value, default=default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


NUL_CHARACTER = Text("Teks tidak boleh berisi karakter NUL (\\0).", "Text may not contain the NUL character (\\0).")
# `\u0000` in JSON text, unless its backslash is itself escaped (`\\u0000` is the six characters, not a NUL).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


async def refuse_unreadable_text(request: Request[Any, Any, Any]) -> None:
    """before_request hook: text that no service can read or store is refused before any handler sees it.

    A NUL character in the path, a query parameter or a field of the body is refused (422, each one named): nobody
    types one; PostgreSQL cannot store one in text nor compare text with one (it was a 500 there, stored on
    SQLite), and other programs cut strings at it. A JSON body that is not UTF-8 is malformed (400; msgspec raised
    UnicodeDecodeError, a 500). The body is checked the way its handler will decode it, whatever the Content-Type
    says (Litestar decodes a JSON body under any or no Content-Type), so a changed header cannot slip text past the
    check. Requests without a NUL or a non-ASCII byte cost a byte search."""
    fields = _nul_in_address(request)
    encoding = _body_encoding(request.route_handler)
    if encoding is not None:
        fields += await _nul_in_body(request, encoding)
    if fields:
        raise Invalid(
            [FieldProblem(field.replace("\x00", "\\0"), "nul_character", NUL_CHARACTER) for field in fields[:20]]
        )


def _nul_in_address(request: Request[Any, Any, Any]) -> list[str]:
    fields: list[str] = []
    if "\x00" in request.scope["path"]:
        named = [name for name, value in request.path_params.items() if "\x00" in str(value)]
        fields += named or ["path"]
    query = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        fields += [key for key, value in request.query_params.multi_items() if "\x00" in key or "\x00" in value]
    return fields


def _body_encoding(handler: Any) -> RequestEncodingType | str | None:
    """How the handler decodes its body (Litestar's rule: its `data` parameter's declared media type, JSON unless
    declared otherwise), or None when it takes no `data` (it reads the body itself, e.g. a CSV upload)."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    declared = data.kwarg_definition
    return declared.media_type if isinstance(declared, BodyKwarg) else RequestEncodingType.JSON


async def _nul_in_body(request: Request[Any, Any, Any], encoding: RequestEncodingType | str) -> list[str]:
    # A form the request already has (the CSRF check reads one) is what a form handler gets; its stream is spent.
    parsed = ScopeState.from_scope(request.scope).form is not Empty
    if encoding == RequestEncodingType.MULTI_PART or (encoding == RequestEncodingType.URL_ENCODED and parsed):
        # Without a form Content-Type Litestar keeps an empty form, and the handler gets that. File parts may hold
        # any byte; text fields may not hold a NUL.
        try:
            form = await request.form()
        except (UnicodeDecodeError, LookupError):  # a text field not in its declared (or a made-up) charset
            raise ClientException("A form field is not text in its charset") from None  # 400 malformed_request
        return [k for k, v in form.multi_items() if "\x00" in k or (isinstance(v, str) and "\x00" in v)]
    if encoding == RequestEncodingType.URL_ENCODED:  # parsed from the body whatever its Content-Type
        body = await request.body()
        if b"%00" not in body and b"\x00" not in body:
            return []
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return [key for key, value in pairs if "\x00" in key or "\x00" in value]
    if encoding != RequestEncodingType.JSON:
        return []  # MessagePack: no handler takes it
    body = await request.body()
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise ClientException("The JSON body is not UTF-8") from None  # 400 malformed_request
    if not _JSON_NUL.search(body):
        return []
    try:
        return _nul_paths(msgspec.json.decode(body), "")
    except (msgspec.DecodeError, RecursionError):
        return []  # the handler's own decoding answers for a malformed body


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found += ([where] if "\x00" in str(key) else []) + _nul_paths(item, where)
        return found
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _nul_paths(item, f"{path}[{index}]")]
    return []


def plain(value: Any) -> Any:
    """Report values as JSON and CSV carry them: dataclasses and dicts as dicts, decimals as numbers, dates as ISO."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell(value: Any) -> Any:
    """A CSV cell. Text a spreadsheet would run as a formula (a partner can name an offer `=HYPERLINK(…)`) gets a
    leading apostrophe, as OWASP advises."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def csv_response(rows: list[dict[str, Any]], filename: str, columns: list[str] | None = None) -> Response[bytes]:
    """A CSV download of report rows (UTF-8 with a BOM, so spreadsheet programs read Indonesian text right).
    Nested values (a coverage row's own breakdown) are not columns."""
    import csv
    import io

    rows = plain(rows)
    columns = columns or ([k for k, v in rows[0].items() if not isinstance(v, list | dict)] if rows else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items() if key in columns})
    return private_file(("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv", filename)


def private_file(content: bytes, media_type: str, filename: str, inline: bool = False) -> Response[bytes]:
    """A file made for one reader (a report, a card's QR, a parent's data): saved under `filename` (or shown, when
    `inline`), and never kept by a browser's or a proxy's cache."""
    shown = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type,  # Litestar adds "; charset=utf-8" to text/*
        headers={"Content-Disposition": f'{shown}; filename="{filename}"', "Cache-Control": "no-store"},
    )
