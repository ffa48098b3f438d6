"""A partner's webhooks as its point-of-sale system notices them: signed deliveries of what happened, only the child's
pseudonym, retried with growing waits when the receiver fails, switched off after a day of failures with a notice,
a secret rotated without losing a delivery, and addresses production refuses."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from core.localtime import utc_now
from partners.service.webhook_sending import send_due
from tests.core.test_pages import page_client, sign_in
from tests.partners.webhook_receiver import receiver
from verification.tables import Redemption

EVENTS = ["redemption.created", "redemption.voided", "offer.status_changed"]


async def _webhook(till, url: str, events=EVENTS) -> dict:
    created = await till.client.post(till.world.url("/webhooks"), json={"url": url, "events": events},
                                     headers=till.world.manager)  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"  # it holds the secret
    return created.json()


async def _log(till, webhook_id: str) -> list[dict]:
    response = await till.client.get(till.world.url(f"/webhooks/{webhook_id}/deliveries"), headers=till.world.manager)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_redemption_arrives_signed_with_the_childs_pseudonym_only(till):
    offer = await till.offer()
    with receiver() as pos:
        made = await _webhook(till, pos.url)
        secret = made["secret"]
        assert secret.startswith("whsec_")
        listed = await till.client.get(till.world.url("/webhooks"), headers=till.world.manager)
        assert secret not in listed.text  # shown once, never again
        qr = await till.card(age_years=9)
        given = await till.redeem(qr, offer["id"], purchase=80_000)
        assert given.status_code == 201, given.text
        assert await send_due(till.settings) == 1
        [request] = pos.received
    body = Webhook(secret).verify(request.body, request.headers)  # the receiver's check passes
    assert request.headers["webhook-id"] == _log_id(await _log(till, made["endpoint"]["id"]))
    assert body["type"] == "redemption.created"
    data = body["data"]
    assert data["redemption_id"] == given.json()["redemption_id"]
    assert data["receipt_code"] == given.json()["receipt_code"]
    assert data["discount_amount"] == given.json()["discount_amount"]
    assert data["purchase_amount"] == 80_000
    row = await Redemption.select(Redemption.holder_ref, Redemption.card).where(
        Redemption.id == uuid.UUID(data["redemption_id"])
    ).first()  # fmt: skip
    assert row is not None
    assert data["holder_ref"] == row["holder_ref"]
    assert str(row["card"]) not in request.body.decode()  # the card itself (a child's identity) is not in it
    assert not {"card", "card_id", "birth_date", "age_years", "kelurahan_code", "nik", "name"} & set(data)
    # Tampered with, or signed with another secret: refused.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b"80000", b"90000"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    [delivery] = await _log(till, made["endpoint"]["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 1, 200)


def _log_id(log: list[dict]) -> str:
    [delivery] = log
    return delivery["id"]


async def test_a_refused_redemption_and_an_unsubscribed_event_send_nothing(till):
    offer = await till.offer()  # once a day per child
    with receiver() as pos:
        made = await _webhook(till, pos.url, events=["redemption.voided"])
        qr = await till.card()
        assert (await till.redeem(qr, offer["id"])).status_code == 201  # not subscribed: nothing queued
        refused = await till.redeem(qr, offer["id"])
        assert refused.status_code == 409  # refused: no redemption, so no event
        assert await send_due(till.settings) == 0
        assert pos.received == []
        assert await _log(till, made["endpoint"]["id"]) == []


async def test_a_receiver_answering_500_is_retried_with_growing_waits_and_every_attempt_is_logged(till, make_client):
    offer = await till.offer()
    with receiver() as pos:
        pos.status = 500
        made = await _webhook(till, pos.url)
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
        start = utc_now()
        assert await send_due(till.settings, now=start) == 1
        [first] = await _log(till, made["endpoint"]["id"])
        assert (first["status"], first["attempts"], first["last_status_code"]) == ("pending", 1, 500)
        wait = _parsed(first["next_attempt_at"]) - start
        assert timedelta(seconds=7) <= wait <= timedelta(seconds=13)  # 10 s, give or take its jitter
        assert await send_due(till.settings, now=start) == 0  # not due yet
        assert await send_due(till.settings, now=start + timedelta(seconds=14)) == 1
        [second] = await _log(till, made["endpoint"]["id"])
        wait = _parsed(second["next_attempt_at"]) - (start + timedelta(seconds=14))
        assert timedelta(seconds=22) <= wait <= timedelta(seconds=38)  # 30 s: three times longer
        pos.status = 200
        assert await send_due(till.settings, now=start + timedelta(minutes=2)) == 1
        [done] = await _log(till, made["endpoint"]["id"])
        ids = {request.headers["webhook-id"] for request in pos.received}
    assert (done["status"], done["attempts"]) == ("delivered", 3)
    assert [a["status_code"] for a in done["attempt_log"]] == [500, 500, 200]
    assert ids == {done["id"]}  # the same id every time: a receiver can drop a repeat
    # The console's delivery log shows the same.
    console = await page_client(make_client)
    await sign_in(console, "pelangi.manajer")
    page = (await console.get(f"/mitra/webhook/{made['endpoint']['id']}")).text
    assert page.count("HTTP 500") >= 2
    assert "Terkirim" in page


def _parsed(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value)


async def test_a_day_of_failures_fails_the_delivery_and_switches_the_endpoint_off_with_a_notice(till, make_client):
    offer = await till.offer()
    with receiver() as pos:
        pos.status = 503
        made = await _webhook(till, pos.url)
        hook = made["endpoint"]["id"]
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
        now = utc_now()
        for hours in range(0, 32, 2):  # past a day, whatever the jitter did to the last waits (3 h ± 25%)
            await send_due(till.settings, now=now + timedelta(hours=hours))
        [failed] = await _log(till, hook)
        assert failed["status"] == "failed"
        assert failed["attempts"] >= 8
        endpoint = (await till.client.get(till.world.url(f"/webhooks/{hook}"), headers=till.world.manager)).json()
        assert (endpoint["enabled"], endpoint["disabled_reason"]) == (False, "failing")
        console = await page_client(make_client)
        await sign_in(console, "pelangi.manajer")
        for page in ("/mitra", "/mitra/webhook"):  # the console's first page says so, and the webhooks page
            assert "dimatikan karena pengiriman gagal selama sehari penuh" in (await console.get(page)).text, page
        # Switched off, new events wait nowhere; fixed and switched on again, "send again" delivers the failed one.
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
        assert len(await _log(till, hook)) == 1
        pos.status = 200
        on = await till.client.patch(till.world.url(f"/webhooks/{hook}"), json={"enabled": True},
                                     headers=till.world.manager)  # fmt: skip
        assert on.status_code == 200, on.text
        again = await till.client.post(till.world.url(f"/webhooks/{hook}/deliveries/{failed['id']}/resend"),
                                       headers=till.world.manager)  # fmt: skip
        assert again.status_code == 202, again.text
        assert await send_due(till.settings) == 1
        assert pos.received[-1].headers["webhook-id"] == failed["id"]
    [delivered] = await _log(till, hook)
    assert delivered["status"] == "delivered"


async def test_a_rotated_secret_and_the_one_before_both_sign_during_the_grace_period(till):
    with receiver() as pos:
        made = await _webhook(till, pos.url)
        hook, old = made["endpoint"]["id"], made["secret"]
        rotated = await till.client.post(till.world.url(f"/webhooks/{hook}/rotate-secret"), headers=till.world.manager)
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != old
        test = await till.client.post(till.world.url(f"/webhooks/{hook}/test"), headers=till.world.manager)
        assert test.status_code == 202
        assert await send_due(till.settings) == 1
        [request] = pos.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver still on the old secret, or already on the new one
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"


async def test_production_sends_only_to_public_https_addresses_and_never_follows_a_redirect(till, make_client):
    production = replace(till.settings, webhook_allow_local=False)
    client = await make_client(production)
    refused = {
        "http://pos.example.co.id/hook": "https_required",
        "https://127.0.0.1/hook": "private_address",
        "https://10.1.2.3/hook": "private_address",
        "https://169.254.169.254/latest/meta-data": "private_address",  # a cloud's metadata service
        "https://[::1]/hook": "private_address",
        "https://[64:ff9b::a00:1]/hook": "private_address",  # NAT64 to 10.0.0.1
        "https://[::ffff:192.168.1.1]/hook": "private_address",
        f"https://{'a' * 64}.example.co.id/hook": "invalid_url",  # not a name DNS can carry
        "https://localhost/hook": "private_address",
        "https://kasir:rahasia@pos.example.co.id/hook": "url_has_credentials",
        "ftp://pos.example.co.id/hook": "invalid_url",
    }
    for url, code in refused.items():
        answer = await client.post(till.world.url("/webhooks"), json={"url": url, "events": EVENTS},
                                   headers=till.world.manager)  # fmt: skip
        assert answer.status_code == 422, url
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["code"] for e in answer.json()["errors"]] == [code], url
    accepted = await client.post(till.world.url("/webhooks"), json={"url": "https://pos.example.co.id/hook",
                                 "events": EVENTS}, headers=till.world.manager)  # fmt: skip
    assert accepted.status_code == 201
    with receiver() as pos:
        # Registered where the demo allows it, then sent by a production sender: refused before any connection.
        local = await _webhook(till, pos.url)
        await till.client.post(till.world.url(f"/webhooks/{local['endpoint']['id']}/test"), headers=till.world.manager)
        await send_due(production)
        assert pos.received == []
        [blocked] = await _log(till, local["endpoint"]["id"])
        assert blocked["last_error"] == "address_not_allowed"
        # A redirect is an answer, not a new address to go to.
        pos.status, pos.location = 302, "http://169.254.169.254/latest/meta-data"
        moved = await _webhook(till, pos.url)
        await till.client.post(till.world.url(f"/webhooks/{moved['endpoint']['id']}/test"), headers=till.world.manager)
        await send_due(till.settings)
        assert len(pos.received) == 1
        [redirected] = await _log(till, moved["endpoint"]["id"])
    assert (redirected["status"], redirected["last_status_code"]) == ("pending", 302)
    assert redirected["last_error"] == "redirect_not_followed"


async def test_another_partners_webhooks_are_not_there(till, client, create_staff):
    from tests.helpers import approved_partner, dukcapil_headers

    with receiver() as pos:
        made = await _webhook(till, pos.url)
    other = await approved_partner(client, await dukcapil_headers(client, create_staff, "dukcapil2"), slug="lain")
    hook = made["endpoint"]["id"]
    for method, tail in (("GET", ""), ("GET", "/deliveries"), ("POST", "/test"), ("POST", "/rotate-secret"),
                         ("DELETE", "")):  # fmt: skip
        answer = await client.request(method, other.url(f"/webhooks/{hook}{tail}"), headers=other.manager)
        assert answer.status_code == 404, (method, tail)
    assert json.loads((await client.get(other.url("/webhooks"), headers=other.manager)).text) == []


async def test_one_endpoint_that_cannot_be_sent_to_holds_up_no_other(till):
    """An endpoint whose secret cannot be read (the service's secret key changed since) fails its own attempt and
    says why; the other endpoint's delivery in the same round goes out, once."""
    from partners.tables import WebhookEndpoint

    offer = await till.offer()
    with receiver() as pos:
        broken = await _webhook(till, pos.url)
        working = await _webhook(till, pos.url)
        await WebhookEndpoint.update({WebhookEndpoint.secret_encrypted: "c2VhbGVkIHdpdGggYW5vdGhlciBrZXk="}).where(
            WebhookEndpoint.id == uuid.UUID(broken["endpoint"]["id"])
        )
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
        assert await send_due(till.settings) == 2
        assert len(pos.received) == 1
        Webhook(working["secret"]).verify(pos.received[0].body, pos.received[0].headers)
    [failed] = await _log(till, broken["endpoint"]["id"])
    assert (failed["status"], failed["last_error"]) == ("pending", "secret_unreadable")
    [delivered] = await _log(till, working["endpoint"]["id"])
    assert delivered["status"] == "delivered"
    assert await send_due(till.settings) == 0  # nothing left leased to go out again


async def test_a_deleted_webhook_is_gone_at_once_and_redemptions_go_on(till):
    with receiver() as pos:
        made = await _webhook(till, pos.url)
        hook = made["endpoint"]["id"]
        gone = await till.client.delete(till.world.url(f"/webhooks/{hook}"), headers=till.world.manager)
        assert gone.status_code == 204
        assert (
            await till.client.get(till.world.url(f"/webhooks/{hook}"), headers=till.world.manager)
        ).status_code == 404
        assert (await till.client.get(till.world.url("/webhooks"), headers=till.world.manager)).json() == []
        offer = await till.offer()
        assert (await till.redeem(await till.card(), offer["id"])).status_code == 201
        assert await send_due(till.settings) == 0
        assert pos.received == []
