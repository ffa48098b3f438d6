"""HTML for the audit log at /admin/audit: who changed what, filtered and page by page (newest first), and the
filtered rows as CSV. Days in the filter are calendar days in WIB. For the Dukcapil admin only: the log records
every staff account and key change, and the API lets analysts read neither."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Template

from core.confirm import Acting
from core.errors import FieldProblem
from core.forms import Filters, problems_by_field
from core.guards import requires_dukcapil_admin
from core.i18n import Text
from core.service import audit
from core.service.audit import EventFilter
from core.settings import Settings
from core.web import csv_response

PER_PAGE = 50
EXPORT_LIMIT = 100_000  # rows in one CSV; the page says so when a filter matches more
BACKWARDS = Text("Tanggal akhir tidak boleh sebelum tanggal awal.", "The end date cannot be before the start date.")
Filter = Annotated[str | None, QueryParameter(max_length=64)]


@dataclass
class AuditQuery:
    """The filter as typed (to show it back, with any problem in it) and as the service takes it."""

    typed: Filters
    filters: EventFilter
    page: int

    @property
    def values(self) -> dict[str, str]:
        return self.typed.values

    def link(self, **changes: Any) -> str:
        return self.typed.link(**changes)


async def audit_query(
    settings: NamedDependency[Settings],
    action: Filter = None,
    actor: Filter = None,
    object_type: Filter = None,
    object_id: Filter = None,
    since: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    until: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
    page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
) -> AuditQuery:
    typed = Filters(
        {"action": action, "actor": actor, "object_type": object_type, "object_id": object_id, "from": since,
         "to": until},
        ("action", "actor", "object_type", "object_id", "from", "to"),
    )  # fmt: skip
    first, last = typed.day("from"), typed.day("to")
    if first and last and last < first:
        typed.problems.append(FieldProblem("to", "date_range_backwards", BACKWARDS))
    since_at, before_at = audit.local_days(first, last, settings.zone)
    filters = EventFilter(
        action=typed.values["action"] or None,
        actor_username=typed.values["actor"] or None,
        object_type=typed.values["object_type"] or None,
        object_id=typed.values["object_id"] or None,
        since=since_at,
        before=before_at,
    )
    return AuditQuery(typed, filters, page)


def details(event: dict[str, Any]) -> str:
    """Before and after, as compact JSON: `{"status": "active"} → {"status": "retired"}`."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)

    return " → ".join(compact(event[side]) for side in ("before", "after") if event.get(side) is not None)


class AuditPages(Controller):
    path = "/admin/audit"
    # For the Dukcapil admin only: the log records every staff account and key change (the API's analysts read
    # neither).
    guards = [requires_dukcapil_admin]
    include_in_schema = False
    dependencies = {"audit_filter": Provide(audit_query)}

    @get("/", name="audit_page", media_type=MediaType.HTML)
    async def page(self, acting: NamedDependency[Acting], audit_filter: NamedDependency[AuditQuery]) -> Template:
        user = acting.user
        actions, object_types = await audit.event_kinds(user)
        events: list[dict[str, Any]] = []
        total = 0
        if audit_filter.typed.problem is None:
            total = await audit.count_events(audit_filter.filters, user)
            events = await audit.list_events(audit_filter.filters, user, PER_PAGE, (audit_filter.page - 1) * PER_PAGE)
        pages = max(1, -(-total // PER_PAGE))
        return Template(
            "admin/audit.html",
            context={
                "q": audit_filter,
                "problems": problems_by_field(audit_filter.typed.problem, acting.language),
                "events": [{**event, "details": details(event)} for event in events],
                "total": total,
                "pages": pages,
                "zone": acting.settings.timezone,
                "too_many": total > EXPORT_LIMIT,
                "export_limit": EXPORT_LIMIT,
                "actions": actions,
                "object_types": object_types,
            },
            status_code=422 if audit_filter.typed.problems else 200,
        )

    @get("/audit.csv", name="audit_csv")
    async def download(self, acting: NamedDependency[Acting], audit_filter: NamedDependency[AuditQuery]) -> Any:
        if audit_filter.typed.problem is not None:
            raise audit_filter.typed.problem
        events = await audit.list_events(audit_filter.filters, acting.user, EXPORT_LIMIT)
        rows, columns = audit.export_rows(events, acting.settings.zone)
        return csv_response(rows, "audit.csv", columns)
