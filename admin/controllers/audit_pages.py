"""HTML for the audit log at /admin/audit: who changed what, filtered and page by page (newest first), and the
filtered rows as CSV. Days in the filter are calendar days in WIB. For the Dukcapil admin only: the log records
every staff account and key change, and the API lets analysts read neither."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Template

from admin.controllers.console import LABELS, admin
from core.auth import PUBLIC
from core.errors import FieldProblem, Invalid
from core.forms import problems_by_field
from core.i18n import Language, Text
from core.service import audit
from core.service.audit import EventFilter
from core.settings import Settings
from core.web import csv_response

PER_PAGE = 50
EXPORT_LIMIT = 100_000  # rows in one CSV; the page says so when a filter matches more
BAD_DATE = Text("Tulis tanggal sebagai TTTT-BB-HH, mis. 2026-11-27.", "Write the date as YYYY-MM-DD, e.g. 2026-11-27.")
BACKWARDS = Text("Tanggal akhir tidak boleh sebelum tanggal awal.", "The end date cannot be before the start date.")
ACTIONS = {
    "auth.login": Text("Masuk", "Signed in"),
    "auth.logout": Text("Keluar", "Signed out"),
    "auth.login_throttled": Text("Masuk ditahan: terlalu banyak percobaan", "Sign-in held: too many attempts"),
    "staff_user.created": Text("Akun staf dibuat", "Staff account created"),
    "staff_user.disabled": Text("Akun staf dinonaktifkan", "Staff account disabled"),
    "staff_user.enabled": Text("Akun staf diaktifkan", "Staff account enabled"),
    "staff_user.password_set": Text("Kata sandi diganti", "Password changed"),
    "signing_key.created": Text("Kunci penandatangan dibuat", "Signing key created"),
    "signing_key.active": Text("Kunci penandatangan diaktifkan", "Signing key activated"),
    "signing_key.retired": Text("Kunci penandatangan dipensiunkan", "Signing key retired"),
    "signing_key.revoked": Text("Kunci penandatangan dicabut", "Signing key revoked"),
    "partner.registered": Text("Mitra mendaftar", "Partner registered"),
    "partner.profile_updated": Text("Profil mitra diubah", "Partner profile changed"),
    "partner.void_window_set": Text("Batas waktu pembatalan mitra diubah", "Partner's void window changed"),
    "offer.created": Text("Penawaran dibuat", "Offer created"),
    "offer.revised": Text("Penawaran direvisi", "Offer revised"),
    "offer.auto_paused": Text("Penawaran dijeda otomatis", "Offer paused automatically"),
    "outlet.created": Text("Outlet ditambahkan", "Outlet added"),
    "outlet.updated": Text("Outlet diubah", "Outlet changed"),
    "api_key.created": Text("Kunci API dibuat", "API key created"),
    "api_key.revoked": Text("Kunci API dicabut", "API key revoked"),
    "card.revoked": Text("Kartu dicabut", "Card revoked"),
    "card.reissued": Text("Kartu diterbitkan ulang", "Card reissued"),
    "card.consent_withdrawn": Text("Persetujuan ditarik, data kartu dihapus", "Consent withdrawn, card data erased"),
    "registry.imported": Text("Data registri diimpor", "Registry data imported"),
    "population.recorded": Text("Jumlah anak dicatat", "Child population recorded"),
    "target.recorded": Text("Target cakupan dicatat", "Coverage target recorded"),
}
# `partner.approved`, `offer.published`…: the object's name and the status it moved to.
STATUS_ACTIONS = {
    "partner": ("partner_status", Text("Mitra", "Partner")),
    "offer": ("offer_status", Text("Penawaran", "Offer")),
}
OBJECT_TYPES = {
    "staff_user": Text("Akun staf", "Staff account"),
    "signing_key": Text("Kunci penandatangan", "Signing key"),
    "partner": Text("Mitra", "Partner"),
    "offer": Text("Penawaran", "Offer"),
    "outlet": Text("Outlet", "Outlet"),
    "api_key": Text("Kunci API", "API key"),
    "card": Text("Kartu", "Card"),
    "registry_import": Text("Impor registri", "Registry import"),
    "population": Text("Jumlah anak", "Child population"),
    "coverage_target": Text("Target cakupan", "Coverage target"),
}
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


def action_label(action: str, language: Language) -> str:
    """A readable name for an action code, or "" when there is none (the code is always shown too)."""
    if action in ACTIONS:
        return ACTIONS[action].render(language)
    kind, _, status = action.partition(".")
    if kind in STATUS_ACTIONS and status in LABELS[STATUS_ACTIONS[kind][0]]:
        labels, name = STATUS_ACTIONS[kind]
        return f"{name.render(language)}: {LABELS[labels][status].render(language)}"
    return ""


def details(event: dict[str, Any]) -> str:
    """Before and after, as compact JSON: `{"status": "active"} → {"status": "retired"}`."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)

    parts = [compact(event[side]) for side in ("before", "after") if event.get(side) is not None]
    return " → ".join(parts)


def shown(event: dict[str, Any], language: Language) -> dict[str, Any]:
    """An event with what the page adds: the action's and the object kind's names, the details in one line."""
    kind = OBJECT_TYPES.get(event["object_type"])
    role = LABELS["role"].get(event["actor_role"] or "")
    return {**event, "label": action_label(event["action"], language), "details": details(event),
            "object_label": kind.render(language) if kind else "",
            "role_label": role.render(language) if role else event["actor_role"]}  # fmt: skip


class AuditPages(Controller):
    path = "/admin/audit"
    opt = {PUBLIC: True}  # pages: `admin()` checks the session cookie and the role
    include_in_schema = False
    dependencies = {"audit_filter": Provide(audit_query)}

    @get("/", name="audit_page", media_type=MediaType.HTML)
    async def page(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        audit_filter: NamedDependency[AuditQuery],
    ) -> Template:
        _, language = await admin(request, settings)
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
                "events": [shown(event, language) for event in events],
                "total": total,
                "pages": pages,
                "zone": settings.timezone,
                "too_many": total > EXPORT_LIMIT,
                "export_limit": EXPORT_LIMIT,
                "actions": [("", Text("Semua tindakan", "All actions").render(language))]
                + [(a, f"{a} · {action_label(a, language)}" if action_label(a, language) else a) for a in actions],
                "object_types": [("", Text("Semua jenis", "All kinds").render(language))]
                + [(t, OBJECT_TYPES[t].render(language) if t in OBJECT_TYPES else t) for t in object_types],
            },
            status_code=422 if audit_filter.problem else 200,
        )

    @get("/audit.csv", name="audit_csv")
    async def download(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        audit_filter: NamedDependency[AuditQuery],
    ) -> Any:
        await admin(request, settings)
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
