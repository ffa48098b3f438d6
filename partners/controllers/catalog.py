"""HTTP for the public catalog: JSON for apps, Indonesian pages at /penawaran, poster QR images."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from core.auth import PUBLIC
from core.openapi import raises
from core.settings import Settings
from partners.errors import OfferNotFound
from partners.schemas import CatalogFilter, CatalogOffer
from partners.service import catalog
from partners.tables import Category

CATEGORY_LABELS = {
    Category.BOOKSTORE: "Toko buku",
    Category.RECREATION: "Rekreasi",
    Category.SWIMMING_POOL: "Kolam renang",
    Category.FOOD: "Makanan & minuman",
    Category.HEALTH: "Kesehatan",
    Category.EDUCATION: "Pendidikan",
    Category.OTHER: "Lainnya",
}
POSTER_CACHE = "public, max-age=3600"

CategoryQuery = Annotated[Category | None, QueryParameter(description="bookstore, recreation, swimming_pool, …")]
KecamatanQuery = Annotated[str | None, QueryParameter(max_length=13, description="Kecamatan code, e.g. 31.71.01")]
AgeQuery = Annotated[int | None, QueryParameter(ge=0, le=16, description="The child's age in whole years")]
TextQuery = Annotated[str | None, QueryParameter(max_length=100, description="Words in the title or description")]


class CatalogController(Controller):
    path = "/api/v1/catalog/offers"
    tags = ["catalog"]
    opt = {PUBLIC: True}

    @get("/", summary="Published offers for KIA holders (public)", opt=raises())
    async def list_offers(
        self,
        settings: NamedDependency[Settings],
        category: CategoryQuery = None,
        kecamatan: KecamatanQuery = None,
        age: AgeQuery = None,
        q: TextQuery = None,
    ) -> list[CatalogOffer]:
        return await catalog.catalog_offers(
            settings, CatalogFilter(category=category, kecamatan=kecamatan, age=age, q=q)
        )

    @get("/{offer_id:uuid}", summary="One published offer (public)", opt=raises(OfferNotFound))
    async def read(self, offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]) -> CatalogOffer:
        return await catalog.catalog_offer(settings, offer_id)

    @get(
        "/{offer_id:uuid}/poster.png",
        media_type="image/png",
        summary="QR code opening the offer's page (PNG)",
        opt=raises(OfferNotFound),
    )
    async def poster_png(self, offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]) -> Response[bytes]:
        body = await catalog.poster_png(settings, offer_id)
        return Response(body, media_type="image/png", headers={"Cache-Control": POSTER_CACHE})

    @get(
        "/{offer_id:uuid}/poster.svg",
        media_type="image/svg+xml",
        summary="QR code opening the offer's page (SVG)",
        opt=raises(OfferNotFound),
    )
    async def poster_svg(self, offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]) -> Response[bytes]:
        body = await catalog.poster_svg(settings, offer_id)
        return Response(body, media_type="image/svg+xml", headers={"Cache-Control": POSTER_CACHE})


class CatalogPages(Controller):
    path = "/penawaran"
    opt = {PUBLIC: True}
    include_in_schema = False

    @get("/", name="catalog_page")
    async def list_page(
        self,
        settings: NamedDependency[Settings],
        category: CategoryQuery = None,
        kecamatan: KecamatanQuery = None,
        age: AgeQuery = None,
        q: TextQuery = None,
    ) -> Template:
        filters = CatalogFilter(category=category, kecamatan=kecamatan, age=age, q=q)
        return Template(
            "catalog/list.html",
            context=_context(
                offers=await catalog.catalog_offers(settings, filters),
                filters=filters,
                kecamatan=await catalog.kecamatan_choices(),
            ),
        )

    @get("/{offer_id:uuid}", name="offer_page")
    async def detail_page(self, offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]) -> Template:
        return Template("catalog/detail.html", context=_context(offer=await catalog.catalog_offer(settings, offer_id)))


def _context(**values: Any) -> dict[str, Any]:
    return {
        "categories": [(category.value, label) for category, label in CATEGORY_LABELS.items()],
        "category_labels": {category.value: label for category, label in CATEGORY_LABELS.items()},
        **values,
    }
