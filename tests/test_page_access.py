"""Every page route, read from the route table, as every role and as a stranger: a page answers 200 to exactly the
roles its guards name (every role and strangers, for a public page); a stranger is sent to /masuk and back, a
signed-in user of another role gets 403. A page added later is walked by itself (tests/page_routes.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from admin.demo import DEMO_PASSWORD
from app import create_app
from core.settings import get_settings
from tests.core.test_pages import sign_in
from tests.page_routes import ACCOUNTS, ANONYMOUS, ROLES, page_routes, page_urls, seed_pages

# The pages anyone may open: the parents' catalog and card code page, signing in and out, a merchant's application,
# the cashier app's shell (it signs in itself). Any other page carrying a public marker fails here.
PUBLIC_PAGES = {
    "/penawaran", "/penawaran/{offer_id:uuid}", "/masuk", "/mitra/daftar", "/kasir", "/kartu-anak", "/cek-kartu",
    "/cara-mendapat-kia", "/cara-mendapat-kia/{city_code:str}",
}  # fmt: skip


async def test_every_page_answers_each_role_as_its_guards_say(tmp_path):
    seeded = await seed_pages(tmp_path)
    app = create_app(get_settings())
    pages = page_routes(app)
    assert {page.path for page in pages if page.roles is None} == PUBLIC_PAGES
    assert len(pages) > 40
    wrong: list[str] = []
    async with app.lifespan():
        for role in ROLES:
            transport = httpx.ASGITransport(app=app)
            browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=browser) as client:
                if role != ANONYMOUS:
                    assert (await sign_in(client, ACCOUNTS[role], DEMO_PASSWORD)).status_code == 303
                for page in pages:
                    allowed = page.roles is None or role in page.roles
                    for url in page_urls(page, seeded):
                        response = await client.get(url)
                        if page.path == "/masuk" and role != ANONYMOUS:  # signed in already: on to their console
                            expected = response.status_code == 303
                        elif allowed:
                            expected = response.status_code == 200
                        elif role == ANONYMOUS:
                            target = urlsplit(response.headers.get("location", ""))
                            expected = (
                                response.status_code == 303
                                and target.path == "/masuk"
                                and parse_qs(target.query).get("next") == [url]
                            )
                        else:
                            expected = response.status_code == 403 and "text/html" in response.headers["content-type"]
                        if not expected:
                            wrong.append(f"{url} as {role}: {response.status_code} (allowed: {allowed})")
    assert wrong == [], "\n".join(wrong)
