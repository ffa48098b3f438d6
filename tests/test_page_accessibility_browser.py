"""Every page of the app, on a phone in a real headless Chromium, passes axe-core with no serious or critical
violation and does not scroll sideways. The pages are read from the route table (tests/page_routes.py), so a page
added later is checked too, as the first role that may open it; the cashier app is checked signed in as well."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from admin.demo import DEMO_PASSWORD
from tests.browser import chromium, live_server, needs_chromium
from tests.page_routes import ACCOUNTS, ANONYMOUS, FRAGMENTS, ROLES, page_routes, seed_pages, who_may_open

pytestmark = needs_chromium

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "id-ID",
         # axe arrives as an inline script, which the pages' Content-Security-Policy rightly refuses.
         "bypass_csp": True}  # fmt: skip
GRAVE = ["serious", "critical"]
RUN_AXE = """async (impacts) => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}"""
# axe flags a scroll box a keyboard cannot reach only while its content overflows, which depends on the data. This
# flags one whatever the data: a box that may scroll sideways, with nothing inside to focus, that is not a named
# region with a tab stop of its own.
UNREACHABLE_SCROLL_BOXES = """() => {
  const control = "a[href], button, input, select, textarea";
  return [...document.querySelectorAll("body *")]
    .filter((box) => ["auto", "scroll"].includes(getComputedStyle(box).overflowX))
    .filter((box) => !box.matches(control) && !box.querySelector(control + ", [tabindex]"))
    .filter((box) => box.tabIndex < 0 || box.getAttribute("role") !== "region" || !box.ariaLabel)
    .map((box) => box.outerHTML.slice(0, 120));
}"""
FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


async def check(page: Any, label: str, violations: list[str], too_wide: list[str]) -> None:
    await page.add_script_tag(path=str(AXE))
    for found in await page.evaluate(RUN_AXE, GRAVE):
        violations.append(f"{label}: {found['impact']} {found['id']} at {found['targets']}: {found['help']}")
    for box in await page.evaluate(UNREACHABLE_SCROLL_BOXES):
        violations.append(f"{label}: a scroll box needs tabindex=0, role=region and an aria-label: {box}")
    if not await page.evaluate(FITS):
        too_wide.append(label)


async def sign_in(page: Any, base: str, username: str) -> None:
    await page.goto(f"{base}/masuk")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url(lambda url: "/masuk" not in url)


async def test_every_page_passes_axe_on_a_phone(make_client, tmp_path):
    client = await make_client()
    pages = page_routes(client.app)  # fails first, naming a page whose path cannot be filled
    seeded = await seed_pages(tmp_path)
    allowed = await who_may_open(client.app, pages, seeded)
    visits: dict[str, list[str]] = {role: [] for role in ROLES}
    for page_route in pages:
        if page_route.path in FRAGMENTS:
            continue  # checked inside its page
        for url, roles in allowed[page_route.path].items():
            visits[next(role for role in ROLES if role in roles)].append(url)

    violations: list[str] = []
    too_wide: list[str] = []
    async with live_server() as base, chromium(**PHONE) as page:
        for role in ROLES:
            if not visits[role]:
                continue
            await page.context.clear_cookies()
            if role != ANONYMOUS:
                await sign_in(page, base, ACCOUNTS[role])
            for url in visits[role]:
                response = await page.goto(f"{base}{url}")
                assert response is not None
                assert response.status == 200, f"{url} as {role}: {response.status}"
                await check(page, f"{url} ({role})", violations, too_wide)

        # The cashier app's own screens, signed in through its own form: scanning, and a card's offers.
        await page.context.clear_cookies()
        await page.goto(f"{base}/kasir")
        await page.get_by_label("Nama pengguna").fill(ACCOUNTS["cashier"])
        await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        field = page.get_by_label("Pindai dengan alat pemindai, atau ketik kode manual")
        await field.wait_for()
        await check(page, "/kasir, scanning (cashier)", violations, too_wide)
        await field.fill(seeded.manual_code)
        await field.press("Enter")
        await page.get_by_role("heading", name="KIA aktif").wait_for()
        await check(page, "/kasir, a card's offers (cashier)", violations, too_wide)

    assert violations == [], "serious or critical accessibility problems:\n" + "\n".join(violations)
    assert too_wide == [], f"pages that scroll sideways at 360 px: {too_wide}"
