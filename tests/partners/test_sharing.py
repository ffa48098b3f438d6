"""Sharing an offer where parents are: link previews (Open Graph, 1200 x 630 image), a WhatsApp message with the
page's link, and printable A4/A5 posters whose QR an independent reader decodes to the offer's page."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import approved_partner, dukcapil_headers, published_offer

META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')


@pytest.fixture
async def offer(client, create_staff):
    world = await approved_partner(client, await dukcapil_headers(client, create_staff))
    return await published_offer(client, world, title="Diskon buku anak 10%")


async def test_the_offer_page_previews_in_whatsapp_and_shares_a_ready_message(client, offer, settings):
    from PIL import Image

    page = await client.get(f"/penawaran/{offer['id']}")
    assert page.status_code == 200
    tags = {name: html.unescape(value) for name, value in META.findall(page.text)}
    url = f"{settings.public_base_url}/penawaran/{offer['id']}"
    assert tags["og:url"] == url
    assert tags["og:title"] == "Diskon buku anak 10% · Toko Buku Pelangi"
    assert "pemegang KIA" in tags["og:description"]
    assert tags["twitter:card"] == "summary_large_image"
    image = await client.get(urlparse(tags["og:image"]).path)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (1200, 630)

    link = html.unescape(re.search(r'id="share-whatsapp" href="([^"]+)"', page.text).group(1))
    assert link.startswith("https://wa.me/?text=")
    (message,) = parse_qs(urlparse(link).query)["text"]
    assert message.startswith("Diskon buku anak 10% dari Toko Buku Pelangi untuk anak pemegang KIA: Diskon 10%")
    assert message.endswith(url)


@pytest.mark.parametrize("size", ["A4", "A5"])
async def test_a_poster_prints_the_offer_and_a_qr_that_opens_its_page(client, offer, settings, size):
    import pypdfium2
    import zxingcpp

    response = await client.get(f"/api/v1/catalog/offers/{offer['id']}/poster.pdf", params={"size": size})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    page = document[0]
    width_mm = page.get_width() / 72 * 25.4
    assert round(width_mm) == {"A4": 210, "A5": 148}[size]
    text = page.get_textpage().get_text_range()
    for expected in ("Mitra KIA", "Toko Buku Pelangi", "Diskon buku anak 10%", "Diskon 10%", "Pelangi Pasar Baru"):
        assert expected in text
    rendered = page.render(scale=200 / 72).to_pil()
    (found,) = zxingcpp.read_barcodes(rendered)
    assert found.text == f"{settings.public_base_url}/penawaran/{offer['id']}"


async def test_a_poster_of_an_offer_that_is_not_published_is_not_found(client):
    missing = await client.get("/api/v1/catalog/offers/00000000-0000-0000-0000-000000000000/poster.pdf")
    assert missing.status_code == 404
    wrong = await client.get("/api/v1/catalog/offers/00000000-0000-0000-0000-000000000000/poster.pdf?size=A3")
    assert wrong.status_code in {400, 422}


async def test_the_catalog_previews_too(client, offer, settings):
    from PIL import Image

    page = await client.get("/penawaran")
    tags = {name: html.unescape(value) for name, value in META.findall(page.text)}
    assert tags["og:title"] == "Penawaran untuk anak pemegang KIA"
    image = await client.get(urlparse(tags["og:image"]).path)
    assert Image.open(io.BytesIO(image.content)).size == (1200, 630)
