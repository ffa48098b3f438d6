"""HTML for the SIAK registry import at /admin/registri: upload an export with its area, kind and date, read the
preview of what it would do (counts, cards not in the file, coverage changes by date), import or discard it, follow
the import as it runs (htmx polling, or a reload without scripts), read its counts and the refused rows. The same
service calls, background runs and report as /api/v1/admin/registry/imports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState

from admin.controllers.registry import MAX_UPLOAD_BYTES
from admin.schemas import ImportRead
from admin.service import registry
from admin.tables import ImportKind, MissingCards
from core.auth import CurrentUser
from core.confirm import Acting
from core.errors import FieldProblem, Invalid
from core.forms import problems_by_field, text
from core.guards import requires_office, requires_office_admin
from core.i18n import Language, Text, request_language
from core.localtime import check_days
from core.offices import office_of
from core.pages import CSRF_COOKIE, Upload
from core.settings import Settings
from core.tables import Role

PATH = "/admin/registri"
RECENT = 20

INVALID_KIND = Text("Pilih jenis berkas: lengkap atau sebagian.", "Choose the file's kind: full or partial.")
NO_FILE = Text("Pilih berkas CSV ekspor SIAK.", "Choose the SIAK export CSV file.")
TOO_BIG = Text(
    "Berkas terlalu besar: paling banyak {megabytes} MB. Bagi ekspor per kecamatan lalu unggah satu per satu.",
    "The file is too large: at most {megabytes} MB. Split the export by kecamatan and upload each part.",
)


def _too_big(request: Request[Any, Any, Any], _: RequestEntityTooLarge) -> Response[Any]:
    """The form again with the size limit (413). The body was never read, so the CSRF token was not checked: the
    page lists no imports, and its form carries the token of the browser's own CSRF cookie."""
    language = request_language(request)
    ScopeState.from_scope(request.scope).csrf_token = request.cookies.get(CSRF_COOKIE, "")
    megabytes = MAX_UPLOAD_BYTES // (1024 * 1024)
    problem = Invalid([FieldProblem("file", "too_large", TOO_BIG, {"megabytes": megabytes})])
    return _upload_template(True, {}, problem, language, None, 413)


class RegistryPages(Controller):
    """Both Dukcapil roles follow the imports; only the admin uploads."""

    path = PATH
    guards = [requires_office]
    include_in_schema = False

    @get("/", name="registry_imports_page", media_type=MediaType.HTML)
    async def list_imports(self, acting: NamedDependency[Acting]) -> Template:
        return await _upload_page(acting, {"as_of": acting.settings.today().isoformat()})

    @post(
        "/",
        media_type=MediaType.HTML,
        status_code=303,
        request_max_body_size=MAX_UPLOAD_BYTES,
        # A body over the limit is refused while the form is read, before the handler: show it on the form too.
        exception_handlers={RequestEntityTooLarge: _too_big},
        guards=[requires_office_admin],
    )
    async def upload(self, data: Upload, acting: NamedDependency[Acting]) -> Any:
        user, settings = acting.user, acting.settings
        values = {name: text(data, name) for name in ("as_of", "scope", "kind", "correction_reason")}
        file = data.get("file")
        try:
            day = _as_of(values["as_of"], settings)
            kind = _kind(values["kind"])
            if not isinstance(file, UploadFile) or not file.filename:
                raise Invalid([FieldProblem("file", "required", NO_FILE)])
            content = await file.read()
            if not content:
                raise Invalid([FieldProblem("file", "required", NO_FILE)])
            await registry.check_header(content)
            batch_id = await registry.start_batch(
                file.filename, content, day, user, office_of(user) or "", values["scope"] or None, kind,
                values["correction_reason"], preview=True,
            )  # fmt: skip
        except Invalid as problem:
            return await _upload_page(acting, values, problem)
        return Redirect(
            f"{PATH}/{batch_id}",
            status_code=303,
            background=BackgroundTask(registry.preview_import, batch_id, settings),
        )

    @post("/{batch_id:uuid}/impor", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin])
    async def confirm(self, batch_id: FromPath[uuid.UUID], data: Upload, acting: NamedDependency[Acting]) -> Any:
        """The clerk read the preview: import it, with their choice for the cards the file does not list."""
        chosen = text(data, "missing")
        missing = MissingCards(chosen) if chosen in MissingCards.__members__.values() else None
        try:
            await registry.confirm_import(batch_id, missing, acting.user)
        except Invalid as problem:
            batch = await registry.read_import(batch_id, acting.language, acting.user)
            return _import_template(batch, problem, acting.language, 422)
        run = BackgroundTask(registry.run_confirmed, batch_id, missing, acting.user, acting.settings, acting.stores)
        return Redirect(f"{PATH}/{batch_id}", status_code=303, background=run)

    @post("/{batch_id:uuid}/batal", media_type=MediaType.HTML, status_code=303, guards=[requires_office_admin])
    async def discard(self, batch_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> Redirect:
        """Not this file: it is deleted and nothing is imported."""
        await registry.discard_import(batch_id, user)
        return Redirect(f"{PATH}/{batch_id}", status_code=303)

    @get("/{batch_id:uuid}", name="registry_import_page", media_type=MediaType.HTML)
    async def read(self, batch_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        batch = await registry.read_import(batch_id, acting.language, acting.user)
        return _import_template(batch, None, acting.language, 200)

    @get("/{batch_id:uuid}/kemajuan", name="registry_import_progress", media_type=MediaType.HTML)
    async def progress(self, batch_id: FromPath[uuid.UUID], acting: NamedDependency[Acting]) -> Template:
        """The import's status block alone: htmx swaps it in every second while the import runs."""
        batch = await registry.read_import(batch_id, acting.language, acting.user)
        context = {"batch": batch, "report_limit": registry.REPORT_PROBLEMS}
        return Template("admin/registri_kemajuan.html", context=context)


def _import_template(batch: ImportRead, problem: Invalid | None, language: Language, status: int) -> Template:
    return Template(
        "admin/registri_impor.html",
        context={
            "batch": batch,
            "report_limit": registry.REPORT_PROBLEMS,
            "problems": problems_by_field(problem, language),
        },
        status_code=status,
    )


def _kind(value: str) -> ImportKind:
    if not value:
        return ImportKind.FULL
    if value not in ImportKind.__members__.values():
        raise Invalid([FieldProblem("kind", "invalid_choice", INVALID_KIND)])
    return ImportKind(value)


def _as_of(value: str, settings: Settings) -> date:
    """The export's date as the API takes it: today (WIB) when left empty."""
    if not value:
        return settings.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid([FieldProblem("as_of", "invalid_date", registry.ROW_PROBLEMS["invalid_date"])]) from None
    check_days({"as_of": day})
    return day


async def _upload_page(acting: Acting, values: dict[str, str], problem: Invalid | None = None) -> Template:
    """The list of recent imports, with the upload form for the admin (the analyst follows them)."""
    can_upload = acting.user.role == Role.DUKCAPIL_ADMIN
    imports = await registry.recent_imports(acting.language, acting.user, RECENT)
    scopes = await registry.scope_choices(office_of(acting.user) or "") if can_upload else []
    return _upload_template(can_upload, values, problem, acting.language, imports, 422 if problem else 200, scopes)


def _upload_template(
    can_upload: bool,
    values: dict[str, str],
    problem: Invalid | None,
    language: Language,
    imports: list[ImportRead] | None,
    status: int,
    scopes: list[tuple[str, str]] | None = None,
) -> Template:
    return Template(
        "admin/registri.html",
        context={
            "can_upload": can_upload,
            "scopes": scopes or [],
            "values": values,
            "problems": problems_by_field(problem, language),
            "imports": imports,
            "columns": registry.COLUMNS,
            "megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status_code=status,
    )
