"""What a partner gets back, on its dashboard: families new and returning (by its own pseudonym of each card), the
discount per redemption, children whose KIA came after it joined, and the median of its category in its city; small
counts hidden, and no median from fewer than three partners."""

from __future__ import annotations

import re
import statistics
import uuid

from admin.demo import DEMO_PASSWORD
from core.web import bulan
from partners.tables import Partner
from tests.core.test_pages import page_client, sign_in
from tests.helpers import today
from tests.till import into_last_month
from verification.service import returns
from verification.tables import Redemption, RedemptionStatus


def _cell(page: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', page).group(1)


def _number(text: str) -> int:
    return int(text.replace(".", ""))


async def _served(partner_id: uuid.UUID, since, until, city: str | None = None) -> tuple[set[str], dict[str, object]]:
    """Straight from the redemptions: this partner's holders in the days, and each holder's first day here."""
    rows = await Redemption.select(Redemption.holder_ref, Redemption.local_date, Redemption.kelurahan_code).where(
        (Redemption.partner == partner_id) & (Redemption.status == RedemptionStatus.COMPLETED)
        & (Redemption.local_date <= until)
    )  # fmt: skip
    first: dict[str, object] = {}
    for row in rows:
        first[row["holder_ref"]] = min(first.get(row["holder_ref"], row["local_date"]), row["local_date"])
    holders = {
        row["holder_ref"] for row in rows
        if row["local_date"] >= since and (city is None or row["kelurahan_code"].startswith(city + "."))
    }  # fmt: skip
    return holders, first


async def test_a_pool_on_the_demo_sees_new_and_returning_families_and_its_categorys_median(demo, make_client):
    client = await page_client(make_client)
    assert (await sign_in(client, "hamtian.manajer", DEMO_PASSWORD)).status_code == 303
    page = (await client.get("/mitra")).text

    since, until = returns.closed_months(today())
    pools = {p["name"]: p["id"] for p in await Partner.select(Partner.id, Partner.name).where(
        Partner.category == "swimming_pool")}  # fmt: skip
    holders, first = await _served(pools["Kolam Renang Ham Tian"], since, until)
    new = sum(1 for ref in holders if first[ref] >= since)
    assert new > 0
    assert len(holders) - new > 0
    assert _number(_cell(page, "families")) == len(holders)
    assert _number(_cell(page, "families-new")) == new
    assert _number(_cell(page, "families-returning")) == len(holders) - new
    assert _cell(page, "discount-per-redemption").startswith("Rp")
    assert "anak yang Anda layani mendapat KIA setelah Anda bergabung" in page

    table = re.search(r'id="returns-table">.*?</table>', page, re.S).group(0)
    assert bulan(until) in table  # months in words, never 2026-11
    assert re.search(r"\d{4}-\d{2}", table) is None

    # The median of the three pools: unique children from Kota Bengkulu in the last closed month, from the raw rows.
    month_start = until.replace(day=1)
    counts = [len((await _served(pid, month_start, until, "17.71"))[0]) for pid in pools.values()]
    assert len(counts) == 3
    peers = re.search(r'id="peer-table">.*?</table>', page, re.S).group(0)
    row = re.search(r"<tr><td>Kota Bengkulu</td>(.*?)</tr>", peers).group(1)
    own, median, partners = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert (_number(median), _number(partners)) == (round(statistics.median(counts)), 3)
    assert _number(own) == len((await _served(pools["Kolam Renang Ham Tian"], month_start, until, "17.71"))[0])


async def test_a_few_children_and_a_lone_partner_show_nothing_that_could_name_them(till, settings):
    offer = await till.offer(limits=[])
    for _ in range(3):  # three children, fewer than the threshold of 5
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
    await into_last_month()
    found = await returns.partner_returns(uuid.UUID(till.world.partner_id), settings)
    assert found.redemptions == 3  # its own redemptions and discount are the partner's own figures
    assert found.discount > 0
    assert (found.families, found.new, found.returning) == (None, None, None)
    assert found.after_joining_share is None
    last = found.months[-1]
    assert (last.families, last.new, last.returning, last.redemptions) == (None, None, None, None)
    (peer,) = found.peers
    assert (peer.partners, peer.median) == (1, None)  # alone in its category: no median
