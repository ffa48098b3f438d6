"""Dukcapil's card work through HTTP and the printer: find, revoke, reissue, withdraw consent, print QRs that a
phone decodes to text that verifies."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import resvg_py
from PIL import Image

from admin.service import printing
from core.stores import Stores
from core.tables import AuditEvent
from tests.conftest import login
from tests.helpers import PASSWORD, read_qr_codes, today
from tests.verification.cards_helpers import enroll_card
from verification.errors import CardRevoked, CardSuperseded
from verification.service import cards, credentials, keys
from verification.service.keys import KeyRing
from verification.tables import Card


def decode_all(image: Image.Image) -> list[str]:
    return read_qr_codes(image)


@pytest.fixture
async def world(client, create_staff, settings):
    await keys.rotate(settings, None)
    await create_staff("dukcapil", "dukcapil_admin")
    headers = await login(client, "dukcapil", PASSWORD)
    card_id = await enroll_card(settings, age_years=4)
    return headers, card_id


async def resolve(text, settings):
    return await cards.resolve(text, KeyRing(settings), Stores(settings.redis_url), settings, today())


async def test_find_by_manual_code_shows_no_nik_and_no_birth_date(client, world):
    headers, card_id = world
    _, code = await cards.current_credential(card_id)

    found = await client.get(
        "/api/v1/admin/cards", params={"manual_code": credentials.format_manual_code(code)}, headers=headers
    )

    assert found.status_code == 200
    body = found.json()
    assert body["id"] == str(card_id)
    assert body["status"] == "active"
    assert body["age_years"] == 4
    assert body["kia_type"] == "under_5"
    assert "nik" not in found.text.lower()
    assert "birth_date" not in body
    assert [e["event"] for e in body["history"]] == ["enrolled"]
    missing = await client.get("/api/v1/admin/cards", params={"manual_code": "0000-0000-000"}, headers=headers)
    assert missing.status_code == 404


async def test_revoke_is_immediate_at_the_till_even_with_a_warm_cache(client, world, settings):
    headers, card_id = world
    text, _ = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)
    await resolve(text, settings)  # the till has it cached as active

    response = await client.post(f"/api/v1/admin/cards/{card_id}/revoke", json={"reason": "deceased"}, headers=headers)

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["status_reason"] == "deceased"
    with pytest.raises(CardRevoked):
        await resolve(text, settings)
    again = await client.post(f"/api/v1/admin/cards/{card_id}/revoke", json={"reason": "lost"}, headers=headers)
    assert again.status_code == 409
    bad = await client.post(f"/api/v1/admin/cards/{card_id}/revoke", json={"reason": "bored"}, headers=headers)
    assert bad.status_code == 422


async def test_reissue_supersedes_the_old_sticker(client, world, settings):
    headers, card_id = world
    old_text, old_code = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)

    response = await client.post(f"/api/v1/admin/cards/{card_id}/reissue", json={"reason": "lost"}, headers=headers)

    assert response.status_code == 200
    assert response.json()["cv"] == 2
    assert response.json()["manual_code"] != credentials.format_manual_code(old_code)
    for stale in (old_text, old_code):
        with pytest.raises(CardSuperseded):
            await resolve(stale, settings)
    new_text, _ = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)
    assert (await resolve(new_text, settings)).cv == 2


async def test_consent_withdrawal_revokes_and_erases(client, world, settings):
    headers, card_id = world
    before = await Card.select().where(Card.id == card_id).first()

    response = await client.post(f"/api/v1/admin/cards/{card_id}/consent-withdrawal", headers=headers)

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["status_reason"] == "consent_withdrawn"
    after = await Card.select().where(Card.id == card_id).first()
    for erased in ("birth_date", "nik_hash", "sex", "consent_guardian", "consent_version", "consent_at"):
        assert after[erased] is None, erased
    assert after["birth_year"] == before["birth_year"]
    assert after["kelurahan_code"] == before["kelurahan_code"]
    assert after["kia_printed_on"] == before["kia_printed_on"]
    actions = [
        e["action"] for e in await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_id == str(card_id))
    ]
    assert "card.consent_withdrawn" in actions


async def test_qr_image_endpoint_decodes_to_text_that_verifies(client, world, settings):
    headers, card_id = world
    png = await client.get(f"/api/v1/admin/cards/{card_id}/qr.png", headers=headers)
    assert png.status_code == 200
    assert png.headers["cache-control"] == "no-store"
    (text,) = decode_all(Image.open(io.BytesIO(png.content)))
    assert text.startswith("JWG")  # version 2
    assert len(text) == 125
    assert Image.open(io.BytesIO(png.content)).size == ((45 + 8) * 6,) * 2  # QR version 7: 45 modules, quiet zone 4
    assert (await resolve(text, settings)).card_id == card_id

    svg = await client.get(f"/api/v1/admin/cards/{card_id}/qr.svg", headers=headers)
    rendered = bytes(resvg_py.svg_to_bytes(svg_string=svg.text, dpi=300, background="#ffffff"))
    (text,) = decode_all(Image.open(io.BytesIO(rendered)))
    assert (await resolve(text, settings)).card_id == card_id


async def test_cards_endpoints_are_for_dukcapil_admins_only(client, world, create_staff):
    _, card_id = world
    await create_staff("analis", "dukcapil_analyst")
    analyst = await login(client, "analis", PASSWORD)
    for method, url in [
        ("GET", f"/api/v1/admin/cards/{card_id}"),
        ("POST", f"/api/v1/admin/cards/{card_id}/consent-withdrawal"),
        ("GET", f"/api/v1/admin/cards/{card_id}/qr.png"),
    ]:
        assert (await client.request(method, url, headers=analyst)).status_code == 403
        assert (await client.request(method, url)).status_code == 401


async def test_printed_pngs_svgs_and_sticker_sheet_all_decode_and_verify(settings, tmp_path):
    await keys.rotate(settings, None)
    card_ids = [await enroll_card(settings, age_years=age) for age in (3, 6, 9, 12)]
    job = printing.PrintJob(
        card_ids=card_ids, png_dir=tmp_path / "png", svg_dir=tmp_path / "svg", pdf_path=tmp_path / "stickers.pdf"
    )

    await printing.print_cards(job, KeyRing(settings), settings, None)

    for card_id in card_ids:
        (text,) = decode_all(Image.open(tmp_path / "png" / f"{card_id}.png"))
        assert (await resolve(text, settings)).card_id == card_id
        svg = (tmp_path / "svg" / f"{card_id}.svg").read_text()
        (text,) = decode_all(
            Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=300, background="#ffffff"))))
        )
        assert (await resolve(text, settings)).card_id == card_id

    pdf = pypdfium2.PdfDocument(str(tmp_path / "stickers.pdf"))
    page = pdf[0]
    image = page.render(scale=300 / 72).to_pil()
    texts = decode_all(image)
    assert len(texts) == 4
    assert {(await resolve(text, settings)).card_id for text in texts} == set(card_ids)
    words = page.get_textpage().get_text_range()
    codes = {credentials.format_manual_code((await cards.current_credential(c))[1]) for c in card_ids}
    assert set(words.split()) == codes  # the sticker carries the code and nothing else
    events = await cards.detail(card_ids[0], today(), None)
    assert "printed" in [e["event"] for e in events.history]


PARALLEL = 20


async def test_twenty_parallel_reissues_of_one_card_never_fail_and_only_the_newest_qr_scans(client, world, settings):
    """The card row is locked for a change: reissues at once run one after another (or answer 409), never 5xx, and
    no two get the same version."""
    import asyncio

    headers, card_id = world
    first = (await client.get(f"/api/v1/admin/cards/{card_id}", headers=headers)).json()["cv"]
    old_qr, _ = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)

    answers = await asyncio.gather(
        *[
            client.post(f"/api/v1/admin/cards/{card_id}/reissue", json={"reason": "lost"}, headers=headers)
            for _ in range(PARALLEL)
        ]
    )

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {200, 409}, [a.text for a in answers if a.status_code not in {200, 409}][:3]
    versions = [answer.json()["cv"] for answer in answers if answer.status_code == 200]
    assert len(versions) == len(set(versions))  # each success has a version of its own
    final = (await client.get(f"/api/v1/admin/cards/{card_id}", headers=headers)).json()["cv"]
    assert final == first + statuses.count(200)
    newest, _ = await cards.issue_qr_text(card_id, KeyRing(settings), settings, None)
    assert (await resolve(newest, settings)).cv == final
    with pytest.raises(CardSuperseded):
        await resolve(old_qr, settings)


async def test_a_reissue_made_meanwhile_is_refused_not_repeated(client, world):
    headers, card_id = world
    seen = (await client.get(f"/api/v1/admin/cards/{card_id}", headers=headers)).json()["cv"]
    url = f"/api/v1/admin/cards/{card_id}/reissue"
    assert (await client.post(url, json={"reason": "lost", "expected_cv": seen}, headers=headers)).status_code == 200
    again = await client.post(url, json={"reason": "lost", "expected_cv": seen}, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "card_changed")
    assert (await client.get(f"/api/v1/admin/cards/{card_id}", headers=headers)).json()["cv"] == seen + 1


async def test_a_new_sticker_is_only_for_a_lost_or_damaged_one(client, world):
    headers, card_id = world
    refused = await client.post(f"/api/v1/admin/cards/{card_id}/reissue", json={"reason": "deceased"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "reissue_reason_not_allowed"
    assert (await client.get(f"/api/v1/admin/cards/{card_id}", headers=headers)).json()["cv"] == 1


async def test_revoking_for_withdrawn_consent_erases_on_the_api_as_on_the_page(client, world):
    headers, card_id = world
    revoked = await client.post(
        f"/api/v1/admin/cards/{card_id}/revoke", json={"reason": "consent_withdrawn"}, headers=headers
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    row = await Card.select(Card.birth_date, Card.nik_hash, Card.consent_guardian).where(Card.id == card_id).first()
    assert row == {"birth_date": None, "nik_hash": None, "consent_guardian": None}
    assert [e["event"] for e in revoked.json()["history"]][-1] == "consent_withdrawn"
