"""The audit log as an API: the same filters as the page at /admin/audit (action, actor, object, days in WIB), page
by page or as CSV; for a Dukcapil admin, who reads the events of the offices within reach."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from admin.controllers.audit_pages import EXPORT_LIMIT, PER_PAGE, AuditQuery, audit_query
from core.auth import CurrentUser
from core.errors import Invalid
from core.guards import requires_dukcapil_admin
from core.openapi import raises
from core.service import audit
from core.settings import Settings
from core.web import csv_response, plain


class AuditController(Controller):
    path = "/api/v1/admin/audit"
    tags = ["audit"]
    guards = [requires_dukcapil_admin]
    dependencies = {"audit_filter": Provide(audit_query)}

    @get(
        "/",
        summary="Audit events, newest first: who did what to which object, and why",
        description="Filters: `action`, `actor` (username), `object_type`, `object_id`, `from` and `to` (calendar "
        "days in WIB). 50 events a page (`page`); `format=csv` gives every matching event (up to 100,000).",
        opt=raises(Invalid),
    )
    async def list_events(
        self,
        settings: NamedDependency[Settings],
        audit_filter: NamedDependency[AuditQuery],
        user: NamedDependency[CurrentUser],
        format: Annotated[str, QueryParameter(pattern="^(json|csv)$")] = "json",
    ) -> Any:
        if audit_filter.typed.problem is not None:
            raise audit_filter.typed.problem
        if format == "csv":
            events = await audit.list_events(audit_filter.filters, user, EXPORT_LIMIT)
            rows, columns = audit.export_rows(events, settings.zone)
            return csv_response(rows, "audit.csv", columns)
        total = await audit.count_events(audit_filter.filters, user)
        events = await audit.list_events(audit_filter.filters, user, PER_PAGE, (audit_filter.page - 1) * PER_PAGE)
        return {"total": total, "page": audit_filter.page, "per_page": PER_PAGE, "events": plain(events)}
