"""The outbox outlives the process: a server killed (SIGKILL) after a redemption committed and before its webhook
went out sends it once another server starts on the same database."""

from __future__ import annotations

import os
import signal
import uuid

import httpx

from partners.tables import DeliveryStatus, WebhookDelivery
from tests.browser import server_process
from tests.partners.webhook_receiver import receiver

LOCAL = {"MITRAKIA_WEBHOOK_ALLOW_LOCAL": "true"}


async def test_a_server_killed_between_the_commit_and_the_delivery_delivers_after_a_restart(till):
    offer = await till.offer()
    qr = await till.card()
    with receiver() as pos:
        made = await till.client.post(till.world.url("/webhooks"),
                                      json={"url": pos.url, "events": ["redemption.created"]},
                                      headers=till.world.manager)  # fmt: skip
        assert made.status_code == 201, made.text
        # A server whose sender would not start for an hour: the redemption commits, its delivery waits.
        async with server_process(**LOCAL, MITRAKIA_WEBHOOK_SEND_INTERVAL_SECONDS="3600") as (base, process):
            async with httpx.AsyncClient(base_url=base) as client:
                given = await client.post(
                    "/api/v1/verification/redemptions",
                    json={"qr": qr, "offer_id": offer["id"], "purchase_amount": 100_000},
                    headers={**till.world.cashier, "Idempotency-Key": str(uuid.uuid4())},
                )
            assert given.status_code == 201, given.text
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        [waiting] = await WebhookDelivery.select(WebhookDelivery.status, WebhookDelivery.attempts)
        assert (waiting["status"], waiting["attempts"]) == (DeliveryStatus.PENDING, 0)
        assert pos.received == []
        # Started again: its sender finds the delivery in the outbox.
        async with server_process(**LOCAL, MITRAKIA_WEBHOOK_SEND_INTERVAL_SECONDS="0.2"):
            [request] = await pos.wait_for(1)
    assert request.headers["webhook-signature"].startswith("v1,")
    assert f'"redemption_id":"{given.json()["redemption_id"]}"' in request.body.decode()
    [sent] = await WebhookDelivery.select(WebhookDelivery.status, WebhookDelivery.attempts)
    assert (sent["status"], sent["attempts"]) == (DeliveryStatus.DELIVERED, 1)
