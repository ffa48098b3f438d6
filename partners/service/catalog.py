"""The public catalog: what a KIA gets you, where, for whom; and poster QR codes that open an offer's page."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from core.settings import Settings
from core.tables import Region
from partners.errors import OfferNotFound
from partners.schemas import CatalogFilter, CatalogOffer, CatalogOutlet, OfferRules
from partners.service import rules as offer_rules
from partners.service.outlets import region_names
from partners.tables import Offer, OfferOutlet, OfferStatus, Outlet, PartnerStatus


def offer_page_url(settings: Settings, offer_id: uuid.UUID) -> str:
    return f"{settings.public_base_url}/penawaran/{offer_id}"


async def _published_rows(today: date, offer_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    query = (
        Offer.select(
            Offer.id,
            Offer.rules,
            Offer.all_outlets,
            Offer.partner,
            Offer.partner.name.as_alias("partner_name"),
            Offer.valid_until,
        )
        .where(Offer.status == OfferStatus.PUBLISHED)
        .where(Offer.partner.status == PartnerStatus.APPROVED)
        .where((Offer.valid_until.is_null()) | (Offer.valid_until >= today))
    )
    if offer_id is not None:
        query = query.where(Offer.id == offer_id)
    return await query.order_by(Offer.first_published_at, ascending=False).output(load_json=True)


async def _outlets_by_offer(rows: list[dict[str, Any]]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    partner_ids = list({row["partner"] for row in rows})
    if not partner_ids:
        return {}
    outlets = (
        await Outlet.select(Outlet.id, Outlet.partner, Outlet.name, Outlet.address, Outlet.kelurahan_code)
        .where(Outlet.partner.is_in(partner_ids))
        .where(Outlet.active.eq(True))
        .order_by(Outlet.name)
    )
    limited = await OfferOutlet.select(OfferOutlet.offer, OfferOutlet.outlet).where(
        OfferOutlet.offer.is_in([row["id"] for row in rows])
    )
    allowed: dict[uuid.UUID, set[uuid.UUID]] = {}
    for link in limited:
        allowed.setdefault(link["offer"], set()).add(link["outlet"])
    return {
        row["id"]: [
            outlet
            for outlet in outlets
            if outlet["partner"] == row["partner"]
            and (row["all_outlets"] or outlet["id"] in allowed.get(row["id"], set()))
        ]
        for row in rows
    }


async def catalog_offers(
    settings: Settings, wanted: CatalogFilter, offer_id: uuid.UUID | None = None
) -> list[CatalogOffer]:
    return [offer for offer, _ in await catalog_entries(settings, wanted, offer_id)]


async def catalog_entries(
    settings: Settings, wanted: CatalogFilter, offer_id: uuid.UUID | None = None
) -> list[tuple[CatalogOffer, OfferRules]]:
    """The catalog's offers with their full rules (who may use them, how often), for a check against one card."""
    today = settings.today()
    rows = await _published_rows(today, offer_id)
    outlets = await _outlets_by_offer(rows)
    names = await region_names({o["kelurahan_code"] for group in outlets.values() for o in group})
    text = (wanted.q or "").strip().lower()
    result: list[tuple[CatalogOffer, OfferRules]] = []
    for row in rows:
        rules = offer_rules.from_json(row["rules"])
        places = [_place(outlet, names) for outlet in outlets.get(row["id"], [])]
        if not places:
            continue  # nowhere to use it today
        if wanted.category and rules.category != wanted.category:
            continue
        if wanted.age is not None and not rules.age_min <= wanted.age <= rules.age_max:
            continue
        if wanted.kecamatan and not any(place.kecamatan_code == wanted.kecamatan for place in places):
            continue
        haystack = " ".join(
            filter(None, [rules.title, rules.title_en, rules.description, rules.description_en, row["partner_name"]])
        ).lower()
        if text and text not in haystack:
            continue
        url = offer_page_url(settings, row["id"])
        result.append((
            CatalogOffer(
                id=row["id"],
                partner_name=row["partner_name"],
                category=rules.category,
                title=rules.title,
                title_en=rules.title_en,
                description=rules.description,
                description_en=rules.description_en,
                terms=rules.terms,
                benefit=rules.benefit,
                benefit_text=offer_rules.benefit_text(rules.benefit),
                summary=offer_rules.summary(rules),
                valid_from=rules.valid_from,
                valid_until=rules.valid_until,
                age_min=rules.age_min,
                age_max=rules.age_max,
                weekdays=rules.weekdays,
                hours=rules.hours,
                outlets=places,
                public_url=url,
                poster_png_url=f"/api/v1/catalog/offers/{row['id']}/poster.png",
                poster_svg_url=f"/api/v1/catalog/offers/{row['id']}/poster.svg",
            ),
            rules,
        ))  # fmt: skip
    return result


def _place(outlet: dict[str, Any], names: dict[str, tuple[str, str | None]]) -> CatalogOutlet:
    kelurahan, kecamatan_code = names.get(outlet["kelurahan_code"], (None, None))
    kecamatan = names.get(kecamatan_code or "", (None, None))[0]
    return CatalogOutlet(
        name=outlet["name"],
        address=outlet["address"],
        kelurahan=kelurahan,
        kecamatan=kecamatan,
        kecamatan_code=kecamatan_code,
    )


async def catalog_offer(settings: Settings, offer_id: uuid.UUID) -> CatalogOffer:
    found = await catalog_offers(settings, CatalogFilter(), offer_id)
    if not found:
        raise OfferNotFound()
    return found[0]


async def kecamatan_choices() -> list[dict[str, Any]]:
    """The kecamatan where an approved partner has an active outlet: what the catalog can be narrowed to (not every
    kecamatan of Indonesia)."""
    kelurahan = await (
        Outlet.select(Outlet.kelurahan_code)
        .where(Outlet.active.eq(True), Outlet.partner.status == PartnerStatus.APPROVED)
        .distinct()
    )
    if not kelurahan:
        return []
    parents = await Region.select(Region.parent_code).where(Region.code.is_in([r["kelurahan_code"] for r in kelurahan]))
    codes = list({row["parent_code"] for row in parents if row["parent_code"]})
    if not codes:
        return []
    return await Region.select(Region.code, Region.name).where(Region.code.is_in(codes)).order_by(Region.name)


def page_qr(url: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


async def poster_png(settings: Settings, offer_id: uuid.UUID) -> bytes:
    """A QR code that opens the offer's public page, for the till and for school WhatsApp groups."""
    await catalog_offer(settings, offer_id)
    buffer = io.BytesIO()
    page_qr(offer_page_url(settings, offer_id)).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


async def poster_svg(settings: Settings, offer_id: uuid.UUID) -> bytes:
    await catalog_offer(settings, offer_id)
    image = page_qr(offer_page_url(settings, offer_id)).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").encode()
