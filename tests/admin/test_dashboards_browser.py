"""The dashboards on the demo's Kota Bengkulu, in a real headless Chromium: Dukcapil's /admin shows the founding
article's 57.6% against the 60% target and draws every chart from data; a partner's /mitra shows their own
redemptions; both fit a phone's width. Screenshots go to var/screenshots (docs/img holds committed copies)."""

from __future__ import annotations

import csv
import io

from admin.demo import DEMO_PASSWORD
from tests.browser import chromium, live_server, needs_chromium, screenshot

pytestmark = needs_chromium
LAPTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "is_mobile": False, "has_touch": False}


async def sign_in(page, base: str, path: str, username: str) -> None:
    await page.goto(f"{base}{path}")
    await page.get_by_role("heading", name="Masuk ke Mitra KIA").wait_for()  # sent to sign in, then back
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url(f"{base}{path}")


async def drawn_points(page, chart: str) -> int:
    canvas = page.locator(f'canvas[data-chart="{chart}"]')
    await canvas.and_(page.locator("[data-rendered]")).wait_for()
    return int(await canvas.get_attribute("data-rendered") or 0)


async def fits_width(page) -> bool:
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


async def test_dukcapil_and_partner_dashboards_on_the_demo(demo):
    async with live_server() as base, chromium(**LAPTOP) as page:
        await sign_in(page, base, "/admin", "dukcapil")
        await page.get_by_role("heading", name="Cakupan KIA Kota Bengkulu").wait_for()

        # The founding article: 66,251 of 115,109 children on 31 October 2024, 57.6% against a 60% target.
        article = page.locator("#reference tr", has_text="31 Oktober 2024")
        assert await article.locator("td").all_inner_texts() == [
            "31 Oktober 2024",
            "57,6%",
            "60,0%",
            "66.251",
            "115.109",
        ]

        for chart in ("coverage-data", "issuance-data", "partner-age-data", "channel-data"):
            assert await drawn_points(page, chart) > 0, chart
        months = await drawn_points(page, "coverage-data")
        assert months >= 24 + 12  # the city month by month since October 2024, and the 2024-2025 target line

        shares = await page.locator("#kecamatan-table tbody tr td:nth-child(2)").all_inner_texts()
        assert len(shares) == 9  # every kecamatan of Kota Bengkulu, the furthest from the (common) target first
        numbers = [float(share.rstrip("%").replace(",", ".")) for share in shares]
        assert numbers == sorted(numbers)
        assert await page.locator("#uplift-table tbody tr").count() == 5  # one launch per demo partner
        assert await page.locator("#partner-table tbody tr").count() == 5

        async with page.expect_download() as download_info:
            await page.locator('a[href="/admin/unduh/cakupan-kecamatan.csv"]').click()
        download = await download_info.value
        rows = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8-sig"))))
        assert len(rows) == 9
        assert {"region", "holders", "eligible_children", "denominator_as_of", "coverage_percent"} <= set(rows[0])

        # A kecamatan beside the city: a third line on the chart.
        await page.get_by_label("Bandingkan dengan kecamatan").select_option(label="Selebar")
        await page.get_by_role("button", name="Tampilkan").click()
        await page.wait_for_url("**kecamatan=17.71.01")
        assert await drawn_points(page, "coverage-data") > months
        await page.goto(f"{base}/admin")
        await drawn_points(page, "issuance-data")
        await screenshot(page, "admin-dashboard", full_page=True)

        await page.set_viewport_size({"width": 390, "height": 844})
        await page.reload()
        await drawn_points(page, "coverage-data")
        assert await fits_width(page)
        await screenshot(page, "admin-dashboard-phone")

        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.get_by_role("link", name="Penduduk & target").click()
        await page.get_by_role("heading", name="Jumlah anak dan target").wait_for()
        published = page.locator("#figures-table tr", has_text="Koran RB")  # the article's figure, with its source
        assert (await published.locator("td").all_inner_texts())[:3] == ["Kota Bengkulu", "31 Oktober 2024", "115.109"]
        await screenshot(page, "admin-penduduk", full_page=True)

        await page.get_by_role("button", name="Keluar").click()
        await sign_in(page, base, "/mitra", "gramedia.manajer")
        await page.get_by_role("heading", name="Gramedia Bengkulu").wait_for()
        # Most of the last 90 closed days have a bar; a day of fewer than 5 redemptions (and its month's
        # complement) is a gap, not a bar.
        assert await drawn_points(page, "day-data") > 20
        total = await page.locator("#total-redemptions").inner_text()
        assert int(total.replace(".", "")) > 0
        body = await page.locator("main").inner_text()
        assert "Queen Aviari" not in body  # another partner's name never appears
        await screenshot(page, "mitra-dashboard", full_page=True)
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.reload()
        await drawn_points(page, "day-data")
        assert await fits_width(page)
