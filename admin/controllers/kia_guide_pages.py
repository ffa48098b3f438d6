"""HTML for "how to get a KIA": the public page of each kabupaten/kota at /cara-mendapat-kia, and the office's own
form at /admin/panduan-kia (only a kabupaten/kota's Dukcapil admin writes, and only its own)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from admin.schemas import KiaGuideForm
from admin.service import campaigns, kia_guide
from core.auth import PUBLIC, CurrentUser
from core.errors import Invalid
from core.forms import problems_by_field, to_struct
from core.guards import requires_dukcapil_admin
from core.i18n import Language
from core.offices import office_of
from core.pages import Form
from core.settings import Settings

FIELDS = ("office_name", "address", "hours", "channels", "notes")


class KiaGuidePages(Controller):
    """Public: what a parent reads, on a phone, before going to the counter."""

    path = "/cara-mendapat-kia"
    # No cookie at all: the pages have no form, and a campaign's visitors arrive here (admin.service.campaigns).
    opt = {PUBLIC: True, "exclude_from_csrf": True}
    include_in_schema = False

    @get("/", name="kia_guides", media_type=MediaType.HTML)
    async def index(self, settings: NamedDependency[Settings]) -> Template:
        return Template(
            "panduan/index.html",
            context={"cities": await kia_guide.guides(), "requirements": kia_guide.REQUIREMENTS,
                     "share": _share(settings, "", "Cara mendapatkan KIA untuk anak")},
        )  # fmt: skip

    @get("/{city_code:str}", name="kia_guide", media_type=MediaType.HTML)
    async def city(
        self,
        city_code: FromPath[str],
        settings: NamedDependency[Settings],
        src: Annotated[str | None, QueryParameter(max_length=16, description="A campaign's code")] = None,
    ) -> Template:
        guide = await kia_guide.guide(city_code)
        return Template(
            "panduan/kota.html",
            context={"guide": guide, "requirements": kia_guide.REQUIREMENTS,
                     "campaign": await campaigns.campaign_from_source(src, city_code),
                     "share": _share(settings, f"/{city_code}", f"Cara mendapatkan KIA di {guide.city_name}")},
        )  # fmt: skip


def _share(settings: Settings, tail: str, title: str) -> dict[str, str]:
    return {
        "url": f"{settings.public_base_url}/cara-mendapat-kia{tail}",
        "title": title,
        "description": "Syarat membuat Kartu Identitas Anak (KIA) menurut usia anak, alamat dan jam layanan Dukcapil.",
        "image": f"{settings.public_base_url}/api/v1/catalog/offers/preview.png",
    }


class KiaGuideEditPage(Controller):
    path = "/admin/panduan-kia"
    guards = [requires_dukcapil_admin]
    include_in_schema = False

    @get("/", name="kia_guide_edit", media_type=MediaType.HTML)
    async def form(self, user: NamedDependency[CurrentUser], language: NamedDependency[Language]) -> Template:
        return await _form(user, await kia_guide.own_form(user), None, language, 200)

    @post("/", media_type=MediaType.HTML, status_code=303)
    async def save(self, data: Form, user: NamedDependency[CurrentUser], language: NamedDependency[Language]) -> Any:
        typed = {field: data.get(field, "") for field in FIELDS}
        try:
            city = await kia_guide.save(user, to_struct(KiaGuideForm, typed))
        except Invalid as problem:
            return await _form(user, typed, problem, language, 422)
        return Redirect(f"/admin/panduan-kia?ok=panduan-disimpan#{city}", status_code=303)


async def _form(
    user: CurrentUser, values: dict[str, str], problem: Invalid | None, language: Language, status: int
) -> Template:
    return Template(
        "admin/panduan_kia.html",
        context={"values": values, "problems": problems_by_field(problem, language), "city": office_of(user),
                 "requirements": kia_guide.REQUIREMENTS},
        status_code=status,
    )  # fmt: skip
