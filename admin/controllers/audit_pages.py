"""HTML for the audit log at /admin/audit: who changed what, filtered and page by page (newest first), and the
filtered rows as CSV. Days in the filter are calendar days in WIB. For the Dukcapil admin only: the log records
every staff account and key change, and the API lets analysts read neither."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Template

from core.errors import FieldProblem, Invalid
from core.forms import problems_by_field
from core.guards import requires_dukcapil_admin
from core.i18n import Language, Text
from core.service import audit
from core.service.audit import EventFilter
from core.settings import Settings
from core.web import csv_response

PER_PAGE = 50
EXPORT_LIMIT = 100_000  # rows in one CSV; the page says so when a filter matches more
BAD_DATE = Text("Tulis tanggal sebagai TTTT-BB-HH, mis. 2026-11-27.", "Write the date as YYYY-MM-DD, e.g. 2026-11-27.")
BACKWARDS = Text("Tanggal akhir tidak boleh sebelum tanggal awal.", "The end date cannot be before the start date.")
Filter = Annotated[str | None, QueryParameter(max_length=64)]


@dataclass
class AuditQuery:
    """The filter as typed (to show it back) and as the service takes it, with any problem in it."""

    values: dict[str, str]
    filters: EventFilter
    page: int
    problem: Invalid | None = None
    problems: list[FieldProblem] = field(default_factory=list)

    def link(self, **changes: Any) -> str:
        """This filter's query string with `changes` (a page number, nothing for the first page)."""
        merged = {**{k: v for k, v in self.values.items() if v}, **{k: str(v) for k, v in changes.items() if v}}
        return urlencode(merged)


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
    typed = {"action": action, "actor": actor, "object_type": object_type, "object_id": object_id, "from": since,
             "to": until}  # fmt: skip
    values = {name: (value or "").strip() for name, value in typed.items()}
    problems: list[FieldProblem] = []
    first, last = _day(values["from"], "from", problems), _day(values["to"], "to", problems)
    if first and last and last < first:
        problems.append(FieldProblem("to", "date_range_backwards", BACKWARDS))
    zone = settings.zone
    filters = EventFilter(
        action=values["action"] or None,
        actor_username=values["actor"] or None,
        object_type=values["object_type"] or None,
        object_id=values["object_id"] or None,
        # A day in WIB is [its midnight, the next midnight) in WIB, compared in UTC as the log stores it.
        since=datetime.combine(first, time(), zone).astimezone(UTC) if first else None,
        before=datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC) if last else None,
    )
    return AuditQuery(values, filters, page, Invalid(problems) if problems else None)


def _day(value: str, name: str, problems: list[FieldProblem]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(FieldProblem(name, "invalid_date", BAD_DATE))
        return None


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
    async def page(
        self,
        settings: NamedDependency[Settings],
        language: NamedDependency[Language],
        audit_filter: NamedDependency[AuditQuery],
    ) -> Template:
        actions, object_types = await audit.event_kinds()
        events: list[dict[str, Any]] = []
        total = 0
        if audit_filter.problem is None:
            total = await audit.count_events(audit_filter.filters)
            events = await audit.list_events(audit_filter.filters, PER_PAGE, (audit_filter.page - 1) * PER_PAGE)
        pages = max(1, -(-total // PER_PAGE))
        return Template(
            "admin/audit.html",
            context={
                "q": audit_filter,
                "problems": problems_by_field(audit_filter.problem, language),
                "events": [{**event, "details": details(event)} for event in events],
                "total": total,
                "pages": pages,
                "zone": settings.timezone,
                "too_many": total > EXPORT_LIMIT,
                "export_limit": EXPORT_LIMIT,
                "actions": actions,
                "object_types": object_types,
            },
            status_code=422 if audit_filter.problem else 200,
        )

    @get("/audit.csv", name="audit_csv")
    async def download(self, settings: NamedDependency[Settings], audit_filter: NamedDependency[AuditQuery]) -> Any:
        if audit_filter.problem is not None:
            raise audit_filter.problem
        zone = settings.zone
        rows = [
            {
                "occurred_at": event["occurred_at"].astimezone(zone).isoformat(timespec="seconds"),
                "actor_username": event["actor_username"],
                "actor_role": event["actor_role"],
                "action": event["action"],
                "object_type": event["object_type"],
                "object_id": event["object_id"],
                "before": json.dumps(event["before"], ensure_ascii=False) if event["before"] is not None else None,
                "after": json.dumps(event["after"], ensure_ascii=False) if event["after"] is not None else None,
                "request_id": event["request_id"],
            }
            for event in await audit.list_events(audit_filter.filters, EXPORT_LIMIT)
        ]
        columns = ["occurred_at", "actor_username", "actor_role", "action", "object_type", "object_id", "before",
                   "after", "request_id"]  # fmt: skip
        return csv_response(rows, "audit.csv", columns)
