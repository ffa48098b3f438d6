"""HTTP for the SIAK registry import: upload a CSV export, then follow its progress and read its report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import structlog
from litestar import Controller, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from admin.errors import ImportNotFound
from admin.schemas import ImportRead
from admin.service import registry
from core.auth import AuthedRequest
from core.errors import Invalid
from core.guards import requires_office, requires_office_admin
from core.i18n import request_language
from core.localtime import check_days, local_date, utc_now
from core.offices import office_of
from core.openapi import raises
from core.settings import Settings
from core.stores import Stores

log = structlog.get_logger()

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a whole city's export; 100,000 rows are about 10 MB
AsOf = Annotated[date | None, QueryParameter(description="The export's date (default: today, WIB)")]
Filename = Annotated[str, QueryParameter(max_length=255, description="The uploaded file's name, for the report")]


class RegistryController(Controller):
    path = "/api/v1/admin/registry/imports"
    tags = ["admin"]
    guards = [requires_office]

    @post(
        "/",
        guards=[requires_office_admin],
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=MAX_UPLOAD_BYTES,
        summary="Upload a SIAK export (text/csv body); it is imported in the background",
        opt=raises(Invalid),
    )
    async def upload(
        self,
        request: AuthedRequest,
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
        filename: Filename = "siak.csv",
        as_of: AsOf = None,
    ) -> Response[ImportRead]:
        check_days({"as_of": as_of})
        content = await request.body()
        await registry.check_header(content)
        day = as_of or local_date(utc_now(), settings.timezone)
        batch_id = await registry.start_batch(filename, content, day, request.user, office_of(request.user) or "")
        return Response(
            await registry.read_import(batch_id, "id", request.user, problems=False),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"{self.path}/{batch_id}"},
            background=BackgroundTask(registry.run_import, batch_id, content, day, request.user, settings, stores),
        )

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
