"""HTTP for the SIAK registry import: upload a CSV export with its scope and date, read the preview of what it
would do, import or discard it, then follow its progress and read its report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import structlog
from litestar import Controller, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from admin.errors import ImportNotFound, ImportNotReady
from admin.schemas import ImportConfirm, ImportRead
from admin.service import registry
from admin.tables import ImportKind, MissingCards
from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_office, requires_office_admin
from core.i18n import request_language
from core.localtime import check_days
from core.offices import office_of
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores

log = structlog.get_logger()

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a whole city's export; 100,000 rows are about 10 MB
AsOf = Annotated[date | None, QueryParameter(description="The export's date (default: today, WIB)")]
Filename = Annotated[str, QueryParameter(max_length=255, description="The uploaded file's name, for the report")]
ScopeCode = Annotated[
    str | None,
    QueryParameter(
        name="scope", max_length=13, description="The area the file speaks for: the office's kabupaten/kota "
        "(default) or a kecamatan/kelurahan code within it. Rows outside it are refused; nothing outside it changes."
    ),
]  # fmt: skip
Kind = Annotated[
    ImportKind,
    QueryParameter(
        description="`full`: every KIA of the scope (its counts are replaced; cards it does not list are named in "
        "the preview). `partial`: some children only (cards added or updated; counts untouched)."
    ),
]
CorrectionReason = Annotated[
    str | None,
    QueryParameter(
        max_length=500, description="A full export that corrects figures already shown: why. Its changes count "
        "from the KIAs' print months; audited, and reports mark the figures it changed."
    ),
]  # fmt: skip


class RegistryController(Controller):
    path = "/api/v1/admin/registry/imports"
    tags = ["admin"]
    guards = [requires_office]

    @post(
        "/",
        guards=[requires_office_admin],
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=MAX_UPLOAD_BYTES,
        summary="Upload a SIAK export (text/csv body); its preview is worked out in the background, nothing is "
        "written until it is confirmed",
        opt=raises(Invalid),
    )
    async def upload(
        self,
        request: AuthedRequest,
        settings: NamedDependency[Settings],
        filename: Filename = "siak.csv",
        as_of: AsOf = None,
        scope_code: ScopeCode = None,
        kind: Kind = ImportKind.FULL,
        correction_reason: CorrectionReason = None,
    ) -> Response[ImportRead]:
        check_days({"as_of": as_of})
        content = await request.body()
        await registry.check_header(content)
        day = as_of or settings.today()
        batch_id = await registry.start_batch(
            filename, content, day, request.user, office_of(request.user) or "", scope_code, kind, correction_reason,
            preview=True,
        )  # fmt: skip
        return Response(
            await registry.read_import(batch_id, "id", request.user, problems=False),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"{self.path}/{batch_id}"},
            background=BackgroundTask(registry.preview_import, batch_id, settings),
        )

    @post(
        "/{batch_id:uuid}/confirm",
        guards=[requires_office_admin],
        status_code=HTTP_202_ACCEPTED,
        summary="Import a ready preview (in the background), choosing what becomes of the cards it does not list",
        opt=raises(ImportNotFound, ImportNotReady, Invalid),
    )
    async def confirm(
        self,
        batch_id: FromPath[uuid.UUID],
        data: JSONBody[ImportConfirm],
        request: AuthedRequest,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> Response[ImportRead]:
        missing = MissingCards(data.missing) if data.missing else None
        await registry.confirm_import(batch_id, missing, request.user)
        return Response(
            await registry.read_import(batch_id, request_language(request), request.user, problems=False),
            status_code=HTTP_202_ACCEPTED,
            background=BackgroundTask(registry.run_confirmed, batch_id, missing, request.user, settings, stores),
        )

    @post(
        "/{batch_id:uuid}/discard",
        guards=[requires_office_admin],
        status_code=200,
        summary="Discard a preview: the file is deleted, nothing is imported",
        opt=raises(ImportNotFound, ImportNotReady),
    )
    async def discard(self, batch_id: FromPath[uuid.UUID], request: AuthedRequest) -> ImportRead:
        await registry.discard_import(batch_id, request.user)
        return await registry.read_import(batch_id, request_language(request), request.user, problems=False)

    @get("/", summary="Imports, newest first", opt=raises())
    async def list_imports(self, request: AuthedRequest) -> list[ImportRead]:
        return await registry.recent_imports("id", request.user, 100)

    @get(
        "/{batch_id:uuid}",
        summary="An import's progress, counts and refused rows (row number, column, reason)",
        opt=raises(ImportNotFound),
    )
    async def read(self, batch_id: FromPath[uuid.UUID], request: AuthedRequest) -> ImportRead:
        return await registry.read_import(batch_id, request_language(request), request.user)
