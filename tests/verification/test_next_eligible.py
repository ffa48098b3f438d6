"""A refusal by the calendar says when the offer applies next, in the outlet's zone with its offset (issue 16)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import today

WIB = ZoneInfo("Asia/Jakarta")


def midnight(day) -> str:
    return datetime.combine(day, datetime.min.time(), tzinfo=WIB).isoformat()


async def _refusal(till, **rules):
    offer = await till.offer(**rules)
    qr = await till.card()
    (scanned,) = (await till.scan(qr)).json()["offers"]
    redeemed = await till.redeem(qr, offer["id"])
    return scanned, redeemed.json()


async def test_a_blackout_says_the_first_day_after_it(till):
    blackout = [{"from": today().isoformat(), "until": (today() + timedelta(days=2)).isoformat(), "label": "Libur"}]
    scanned, problem = await _refusal(till, blackout_dates=blackout)
    assert scanned["reason_code"] == "blackout_date"
    assert scanned["next_eligible_at"] == midnight(today() + timedelta(days=3))
    assert problem["next_eligible_at"] == midnight(today() + timedelta(days=3))


async def test_a_weekday_rule_says_the_next_allowed_day(till):
    tomorrow = today() + timedelta(days=1)
    scanned, problem = await _refusal(till, weekdays=[tomorrow.isoweekday()])
    assert scanned["reason_code"] == "weekday_not_eligible"
    assert scanned["next_eligible_at"] == midnight(tomorrow)
    assert problem["code"] == "weekday_not_eligible"
    assert problem["next_eligible_at"] == midnight(tomorrow)


async def test_an_offer_not_yet_started_says_its_first_day_and_one_that_ended_says_nothing(till):
    start = today() + timedelta(days=5)
    offer = await till.offer(valid_from=start.isoformat())
    ended = await till.offer("ended", valid_from=(today() - timedelta(days=9)).isoformat(),
                             valid_until=(today() - timedelta(days=1)).isoformat())  # fmt: skip
    del ended
    qr = await till.card()
    found = {o["offer_id"]: o for o in (await till.scan(qr)).json()["offers"]}
    assert found[offer["id"]]["next_eligible_at"] == midnight(start)


@pytest.mark.parametrize("offset_hours", [2, -2])
async def test_hours_say_when_they_open_next(till, offset_hours):
    now = datetime.now(WIB)
    if not 3 <= now.hour <= 20:
        pytest.skip("the hour windows below need two clear hours on each side of now (WIB)")
    opens = (now + timedelta(hours=offset_hours)).replace(minute=0, second=0, microsecond=0)
    closes = opens + timedelta(hours=1)
    scanned, problem = await _refusal(till, hours={"start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")})
    assert scanned["reason_code"] == "outside_hours"
    expected = opens if offset_hours > 0 else opens + timedelta(days=1)  # later today, or tomorrow
    assert scanned["next_eligible_at"] == expected.isoformat()
    assert problem["next_eligible_at"] == expected.isoformat()
