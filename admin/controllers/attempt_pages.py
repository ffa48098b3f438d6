"""Dukcapil's review of the tills in its reach (verification.service.attempt_review), as pages."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from core.confirm import Acting
from core.guards import requires_dukcapil
from verification.errors import refusal_titles
from verification.service import attempt_review

PATH = "/admin/tinjauan"


class AttemptReviewPages(Controller):
    @get("/", name="attempt_review")
    async def review(self, acting: NamedDependency[Acting]) -> Template:
        days = attempt_review.window(acting.settings, None, None, scope=acting.user.region)
        summary = await attempt_review.summary(days)
        reasons = refusal_titles(acting.language)
        return Template("admin/tinjauan.html", context={"review": summary, "base": PATH, "reasons": reasons})

    @get("/percobaan", name="attempts")
    async def attempts(
        self,
        acting: NamedDependency[Acting],
        outlet: Annotated[uuid.UUID | None, QueryParameter()] = None,
        kasir: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Template:
        days = attempt_review.window(acting.settings, None, None, scope=acting.user.region)
        found = await attempt_review.attempts(days, outlet, kasir)
        reasons = refusal_titles(acting.language)
        return Template("admin/tinjauan_percobaan.html", context={"attempts": found, "reasons": reasons})


attempt_review_pages = Router(
    PATH, guards=[requires_dukcapil], include_in_schema=False, route_handlers=[AttemptReviewPages]
)
