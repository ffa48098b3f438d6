"""A parent checks their child's card on the public site: valid or not and what to do, and the offers it gets today
and where; nothing about the child, no cookie, counted per address."""

from __future__ import annotations

from datetime import timedelta

from core.stores import Stores
from tests.helpers import today
from tests.verification.cards_helpers import enroll_card
from verification.service import cards

CHECK = "/api/v1/cards/checks"


async def test_a_parent_sees_the_cards_offers_today_and_where_and_nothing_about_the_child(till, client):
    books = await till.offer("books", title="Diskon buku 10%")
    await till.offer("teens", title="Komik remaja", age_min=13, age_max=16)
    other_day = (today().isoweekday() % 7) + 1
    later = await till.offer("later", title="Gratis masuk hari lain", weekdays=[other_day],
                             benefit={"type": "free_entry", "value": 25_000})  # fmt: skip
    population = [{"region_code": "17.71.01", "as_of": today().isoformat(), "children": 12_000}]
    recorded = await client.post("/api/v1/admin/population", json=population, headers=till.world.dukcapil)
    assert recorded.status_code == 201, recorded.text
    selebar = await till.offer("selebar", title="Khusus Selebar", regions=["17.71.01"])
    card = await enroll_card(till.settings, age_years=8, kelurahan_code="17.71.03.1002")
    printed = await till.qr(card)

    answer = await client.post(CHECK, json={"code": printed})
    assert answer.status_code == 200, answer.text
    assert "set-cookie" not in answer.headers
    body = answer.json()
    assert (body["status"], body["title"]) == ("active", "KIA aktif")
    by_title = {offer["title"]: offer for offer in body["offers"]}
    assert set(by_title) == {"Diskon buku 10%", "Gratis masuk hari lain", "Khusus Selebar"}  # not the teens' comic
    assert by_title["Diskon buku 10%"]["today"] is True
    assert by_title["Diskon buku 10%"]["outlets"][0]["name"] == "Pelangi Pasar Baru"
    assert by_title["Diskon buku 10%"]["page_url"] == f"/penawaran/{books['id']}"
    assert by_title["Gratis masuk hari lain"]["today"] is False
    upcoming = today() + timedelta(days=(other_day - today().isoweekday()) % 7)
    assert by_title["Gratis masuk hari lain"]["next_day"] == upcoming.isoformat()
    assert by_title["Gratis masuk hari lain"]["offer_id"] == later["id"]
    # A region rule is named, not judged: the answer never says where the child lives.
    assert by_title["Khusus Selebar"]["regions"] == ["Selebar"]
    assert by_title["Khusus Selebar"]["offer_id"] == selebar["id"]
    assert [offer["today"] for offer in body["offers"]] == [True, True, False]  # today's first

    state = await cards.card_state(card, Stores(till.settings.redis_url))
    for child_data in (state.birth_date.isoformat(), state.kelurahan_code, str(card)):
        assert child_data not in answer.text
    assert set(body) == {"status", "title", "what_to_do", "guide_url", "offers"}

    # The manual code printed under the QR gives the same answer.
    _, code = await cards.current_credential(card)
    typed = await client.post(CHECK, json={"code": code})
    assert typed.json()["offers"] == body["offers"]


async def test_a_refused_card_says_what_to_do_and_shows_no_offers(till, client):
    await till.offer()
    lost, ended = await enroll_card(till.settings, age_years=8), await enroll_card(till.settings, age_years=9)
    old_print, ended_print = await till.qr(lost), await till.qr(ended)
    cards_api = "/api/v1/admin/cards"
    reissued = await client.post(f"{cards_api}/{lost}/reissue", json={"reason": "lost"}, headers=till.world.dukcapil)
    assert reissued.status_code == 200, reissued.text
    revoked = await client.post(f"{cards_api}/{ended}/revoke", json={"reason": "data_error"},
                                headers=till.world.dukcapil)  # fmt: skip
    assert revoked.status_code == 200, revoked.text

    superseded = (await client.post(CHECK, json={"code": old_print})).json()
    assert (superseded["status"], superseded["offers"]) == ("superseded", [])
    assert "stiker QR yang lebih baru" in superseded["what_to_do"]
    refused = (await client.post(CHECK, json={"code": ended_print})).json()
    assert (refused["status"], refused["title"], refused["offers"]) == ("revoked", "Kartu sudah dicabut", [])
    assert refused["guide_url"] == "/cara-mendapat-kia/17.71"  # where to ask for a new one
    english = await client.post(CHECK, json={"code": ended_print}, headers={"Accept-Language": "en"})
    assert english.json()["title"] == "Card revoked"
    # The reissued card's new print is valid again.
    fresh = (await client.post(CHECK, json={"code": await till.qr(lost)})).json()
    assert fresh["status"] == "active"
    assert fresh["offers"]


async def test_a_code_that_is_not_a_card_is_a_clear_error_and_checks_are_counted_per_address(client, till):
    unreadable = await client.post(CHECK, json={"code": "halo"})
    assert unreadable.status_code == 422
    assert unreadable.headers["content-type"].startswith("application/problem+json")
    assert unreadable.json()["code"] == "qr_unreadable"
    empty = await client.post(CHECK, json={"code": ""})
    assert empty.status_code == 422
    # Typed guesses: ten an hour from one address (one was used above), then 429 with when to try again.
    answers = [await client.post(CHECK, json={"code": "ABCD-EFGH-JKM"}) for _ in range(9)]
    assert {a.status_code for a in answers} == {422}
    throttled = await client.post(CHECK, json={"code": "ABCD-EFGH-JKM"})
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "card_check_rate_limited"
    assert int(throttled.headers["Retry-After"]) > 0
    # A scanned sticker is limited per minute, not by the typed guesses.
    printed = await till.card()
    assert (await client.post(CHECK, json={"code": printed})).status_code == 429  # the minute's 10 are used too


async def test_the_check_page_sets_no_cookie(client):
    page = await client.get("/cek-kartu")
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert "Cek kartu anak" in page.text
