"""The personal-data breach register as an API (UU PDP art. 46): record an incident, complete it (who was told and
when), list the register (JSON or CSV), and get the report for the supervisory authority (PDF) and the parents'
notice (text). For Dukcapil admins, within their reach."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from admin.errors import BreachNotFound
from admin.schemas import BreachIn, BreachRead
from admin.service import breaches
from core.auth import CurrentUser
from core.errors import Invalid
from core.guards import requires_dukcapil_admin
from core.i18n import Language
from core.openapi import raises
from core.settings import Settings
from core.web import csv_response, private_file


class BreachController(Controller):
    path = "/api/v1/admin/breaches"
    tags = ["data protection"]
    guards = [requires_dukcapil_admin]

    @get("/", summary="The breach register, open incidents first", opt=raises(Invalid))
    async def register(
        self, user: NamedDependency[CurrentUser],
        format: Annotated[str, QueryParameter(pattern="^(json|csv)$")] = "json",
    ) -> Any:  # fmt: skip
        found = await breaches.register(user)
        if format == "csv":
            return csv_response(breaches.export_rows(found), "insiden-data-pribadi.csv", list(breaches.CSV_COLUMNS))
        return found

    @post("/", status_code=201, summary="Record a personal-data incident", opt=raises(Invalid))
    async def record(self, data: JSONBody[BreachIn], user: NamedDependency[CurrentUser]) -> BreachRead:
        return await breaches.record(data, user)

    @get("/{breach_id:uuid}", summary="One incident, with its notification deadline", opt=raises(BreachNotFound))
    async def read(self, breach_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser]) -> BreachRead:
        return await breaches.read(breach_id, user)

    @put(
        "/{breach_id:uuid}",
        summary="Complete or correct an incident (notifications, measures, closing it)",
        opt=raises(BreachNotFound, Invalid),
    )
    async def update(
        self, breach_id: FromPath[uuid.UUID], data: JSONBody[BreachIn], user: NamedDependency[CurrentUser]
    ) -> BreachRead:
        return await breaches.update(breach_id, data, user)

    @get(
        "/{breach_id:uuid}/report.pdf",
        summary="The incident as a report for the supervisory authority, with the parents' notice (PDF)",
        media_type="application/pdf",
        opt=raises(BreachNotFound),
    )
    async def report(
        self, breach_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings], language: NamedDependency[Language],
    ) -> Response[bytes]:  # fmt: skip
        return await pdf_response(breach_id, user, settings, language)

    @get(
        "/{breach_id:uuid}/notice",
        summary="The notice to the parents of the children concerned (plain text)",
        media_type="text/plain; charset=utf-8",
        opt=raises(BreachNotFound),
    )
    async def notice(
        self, breach_id: FromPath[uuid.UUID], user: NamedDependency[CurrentUser],
        settings: NamedDependency[Settings], language: NamedDependency[Language],
    ) -> str:  # fmt: skip
        breach = await breaches.read(breach_id, user)
        return breaches.parents_notice(
            breach, language, await breaches.office_name(breach.scope_code), settings.timezone
        )


async def pdf_response(breach_id: uuid.UUID, user: CurrentUser, settings: Settings, language: str) -> Response[bytes]:
    breach = await breaches.read(breach_id, user)
    office = await breaches.office_name(breach.scope_code)
    content = breaches.as_pdf(breach, language, office, settings.timezone)
    return private_file(content, "application/pdf", f"insiden-{breach.id}.pdf")
