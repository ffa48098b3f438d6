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
from partners.service import catalog, sharing
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

    @get("/preview.png", media_type="image/png", summary="The catalog's link preview (1200 x 630 PNG)", opt=raises())
    async def catalog_preview(self, settings: NamedDependency[Settings]) -> Response[bytes]:
        count = len(await catalog.catalog_offers(settings, CatalogFilter()))
        return Response(
            sharing.catalog_preview_png(count), media_type="image/png", headers={"Cache-Control": POSTER_CACHE}
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
        "/{offer_id:uuid}/preview.png",
        media_type="image/png",
        summary="The offer's link preview (Open Graph, 1200 x 630 PNG)",
        opt=raises(OfferNotFound),
    )
    async def preview_png(self, offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]) -> Response[bytes]:
        body = await sharing.preview_png(settings, offer_id)
        return Response(body, media_type="image/png", headers={"Cache-Control": POSTER_CACHE})

    @get(
        "/{offer_id:uuid}/poster.pdf",
        media_type="application/pdf",
        summary="A printable poster of the offer with a QR code to its page (A4 or A5 PDF)",
        opt=raises(OfferNotFound),
    )
    async def poster_pdf(
        self,
        offer_id: FromPath[uuid.UUID],
        settings: NamedDependency[Settings],
        size: Annotated[str, QueryParameter(pattern="^A[45]$")] = "A4",
    ) -> Response[bytes]:
        body = await sharing.poster_pdf(settings, offer_id, size)
        disposition = f'inline; filename="poster-{size.lower()}.pdf"'
        return Response(body, media_type="application/pdf",
                        headers={"Cache-Control": POSTER_CACHE, "Content-Disposition": disposition})  # fmt: skip

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
        share = {
            "url": f"{settings.public_base_url}/penawaran",
            "title": "Penawaran untuk anak pemegang KIA",
            "description": "Diskon dan manfaat dari mitra Dukcapil untuk anak yang punya Kartu Identitas Anak (KIA).",
            "image": f"{settings.public_base_url}/api/v1/catalog/offers/preview.png",
        }
        return Template(
            "catalog/list.html",
            context=_context(
                share=share,
                offers=await catalog.catalog_offers(settings, filters),
                filters=filters,
                kecamatan=await catalog.kecamatan_choices(),
            ),
        )

    @get("/{offer_id:uuid}", name="offer_page")
    async def detail_page(self, offer_id: FromPath[uuid.UUID], settings: NamedDependency[Settings]) -> Template:
        offer = await catalog.catalog_offer(settings, offer_id)
        url = catalog.offer_page_url(settings, offer_id)
        share = {
            "url": url,
            "title": f"{offer.title} · {offer.partner_name}",
            "description": f"{offer.benefit_text} untuk anak pemegang KIA. {offer.summary}",
            "image": f"{settings.public_base_url}/api/v1/catalog/offers/{offer_id}/preview.png",
            "whatsapp": sharing.whatsapp_link(offer, url),
        }
        return Template("catalog/detail.html", context=_context(offer=offer, share=share))


def _context(**values: Any) -> dict[str, Any]:
    return {
        "categories": [(category.value, label) for category, label in CATEGORY_LABELS.items()],
        "category_labels": {category.value: label for category, label in CATEGORY_LABELS.items()},
        **values,
    }
