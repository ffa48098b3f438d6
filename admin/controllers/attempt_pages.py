"""Dukcapil's review of the tills in its reach (verification.service.attempt_review), as pages."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from core.auth import CurrentUser
from core.guards import requires_dukcapil
from core.i18n import Language
from core.settings import Settings
from verification.errors import refusal_titles
from verification.service import attempt_review


class AttemptReviewPages(Controller):
    @get("/", name="attempt_review")
    async def review(
        self,
        settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser],
        language: NamedDependency[Language],
    ) -> Template:
        days = attempt_review.window(settings, None, None, scope=user.region)
        return Template(
            "admin/tinjauan.html",
            context={"review": await attempt_review.summary(days), "base": "/admin/tinjauan",
                     "reasons": refusal_titles(language)},
        )  # fmt: skip

    @get("/percobaan", name="attempts")
    async def attempts(
        self,
        settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser],
        language: NamedDependency[Language],
        outlet: Annotated[uuid.UUID | None, QueryParameter()] = None,
        kasir: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Template:
        days = attempt_review.window(settings, None, None, scope=user.region)
        return Template(
            "admin/tinjauan_percobaan.html",
            context={
                "attempts": await attempt_review.attempts(days, outlet, kasir),
                "reasons": refusal_titles(language),
            },
        )


attempt_review_pages = Router(
    "/admin/tinjauan", guards=[requires_dukcapil], include_in_schema=False, route_handlers=[AttemptReviewPages]
)
