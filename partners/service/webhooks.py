"""What a partner's webhook endpoints are sent, as the partner sees it: the outbox, where `emit` writes one
delivery per subscribed endpoint in the transaction of the event itself (an event is never lost, and never sent for
a rolled-back one), and the delivery log with "send again" and a test event. Endpoints are
partners.service.webhook_endpoints'; sending is partners.service.webhook_sending's."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from core.auth import CurrentUser
from core.database.statements import bulk_insert
from core.database.transactions import write_transaction
from core.localtime import utc_now
from core.service.audit import record_event
from core.service.stamped import StampedCache
from partners.errors import WebhookDeliveryNotFound
from partners.schemas import (
    WebhookAttemptRead,
    WebhookDeliveryRead,
)
from partners.service.webhook_endpoints import RETRY_FOR, get_webhook
from partners.tables import (
    TEST_EVENT,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

LOG_LIMIT = 50  # deliveries per page of the log

# --- the outbox ------------------------------------------------------------------------------------------------

# Each partner's enabled endpoints and what they subscribe to, in each worker's memory: a redemption must not pay a
# query for webhooks the partner does not have. The till's cache stamp moves with webhook_endpoint (verification
# migration 2026-12-07T15:40), so a change reaches every worker within a second.
_SUBSCRIBED: StampedCache[uuid.UUID, list[tuple[uuid.UUID, frozenset[str]]]] = StampedCache()


async def _load_subscribed(partner_id: uuid.UUID) -> list[tuple[uuid.UUID, frozenset[str]]]:
    rows = (
        await WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.events)
        .where(WebhookEndpoint.partner == partner_id, WebhookEndpoint.enabled.eq(True))
        .output(load_json=True)
    )
    return [(row["id"], frozenset(row["events"])) for row in rows]


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | uuid.UUID):
        return str(value)
    raise TypeError(f"not in a webhook body: {type(value).__name__}")


def _body(event_type: str, data: dict[str, Any], at: datetime) -> str:
    """The body every receiver gets, in Standard Webhooks' shape: type, timestamp (UTC), data."""
    return json.dumps(
        {"type": event_type, "timestamp": at, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_value,
    )


async def _queue(partner_id: uuid.UUID, endpoints: list[uuid.UUID], event_type: str, body: str) -> list[uuid.UUID]:
    now = utc_now()
    ids = [uuid.uuid4() for _ in endpoints]
    await bulk_insert(
        WebhookDelivery,
        ("id", "endpoint", "partner", "event_type", "payload", "status", "attempts", "created_at",
         "next_attempt_at", "retry_until"),
        [(delivery, endpoint, partner_id, event_type, body, DeliveryStatus.PENDING.value, 0, now, now,
          now + RETRY_FOR) for delivery, endpoint in zip(ids, endpoints, strict=True)],
    )  # fmt: skip
    return ids


async def emit(partner_id: uuid.UUID, event: WebhookEvent, data: dict[str, Any], at: datetime | None = None) -> None:
    """Queue `event` for each of the partner's endpoints that subscribes to it, in the caller's transaction. The
    data never names a child: a redemption carries the per-partner pseudonym (`holder_ref`) only."""
    subscribed = await _SUBSCRIBED.get(partner_id, lambda: _load_subscribed(partner_id))
    endpoints = [endpoint for endpoint, events in subscribed if event.value in events]
    if endpoints:
        await _queue(partner_id, endpoints, event.value, _body(event.value, data, at or utc_now()))


# --- the log ---------------------------------------------------------------------------------------------------


async def list_deliveries(
    partner_id: uuid.UUID, endpoint_id: uuid.UUID, limit: int = LOG_LIMIT
) -> list[WebhookDeliveryRead]:
    """The endpoint's latest deliveries, newest first, each with its attempts."""
    await get_webhook(partner_id, endpoint_id)
    return await _read_deliveries(endpoint_id, limit)


async def _read_deliveries(
    endpoint_id: uuid.UUID, limit: int, delivery_id: uuid.UUID | None = None
) -> list[WebhookDeliveryRead]:
    query = WebhookDelivery.select(
        WebhookDelivery.id, WebhookDelivery.event_type, WebhookDelivery.status, WebhookDelivery.attempts,
        WebhookDelivery.created_at, WebhookDelivery.next_attempt_at, WebhookDelivery.last_attempt_at,
        WebhookDelivery.last_status_code, WebhookDelivery.last_error, WebhookDelivery.delivered_at,
    ).where(WebhookDelivery.endpoint == endpoint_id)  # fmt: skip
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    rows = await query.order_by(WebhookDelivery.created_at, ascending=False).limit(limit)
    attempts: dict[uuid.UUID, list[WebhookAttemptRead]] = {row["id"]: [] for row in rows}
    if attempts:
        for attempt in await WebhookAttempt.select(
            WebhookAttempt.delivery, WebhookAttempt.attempted_at, WebhookAttempt.status_code,
            WebhookAttempt.error, WebhookAttempt.duration_ms,
        ).where(WebhookAttempt.delivery.is_in(list(attempts))).order_by(WebhookAttempt.id):  # fmt: skip
            attempts[attempt.pop("delivery")].append(msgspec.convert(attempt, WebhookAttemptRead, strict=False))
    return [
        msgspec.convert({**row, "attempt_log": attempts[row["id"]]}, WebhookDeliveryRead, strict=False) for row in rows
    ]


async def _one_delivery(endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDeliveryRead:
    """One delivery of an endpoint already known to be the caller's."""
    found = await _read_deliveries(endpoint_id, 1, delivery_id)
    if not found:
        raise WebhookDeliveryNotFound()
    return found[0]


async def send_again(
    partner_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID, actor: CurrentUser
) -> WebhookDeliveryRead:
    """Queue a delivery once more, at once, with a day of retries: the same id (a receiver that has it already can
    tell) and the same body, signed anew when sent."""
    await get_webhook(partner_id, endpoint_id)
    now = utc_now()
    async with write_transaction():
        found = await WebhookDelivery.exists().where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint == endpoint_id
        )
        if not found:
            raise WebhookDeliveryNotFound()
        await WebhookDelivery.update(
            {WebhookDelivery.status: DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at: now,
             WebhookDelivery.retry_until: now + RETRY_FOR, WebhookDelivery.leased_until: None}
        ).where(WebhookDelivery.id == delivery_id)  # fmt: skip
        await record_event("webhook.delivery_resent", "webhook", endpoint_id, actor=actor,
                           after={"delivery": str(delivery_id)})  # fmt: skip
    return await _one_delivery(endpoint_id, delivery_id)


async def send_test(partner_id: uuid.UUID, endpoint_id: uuid.UUID, actor: CurrentUser) -> WebhookDeliveryRead:
    """A `webhook.test` event for this endpoint alone, whatever it subscribes to, sent within a second."""
    await get_webhook(partner_id, endpoint_id)
    async with write_transaction():
        [delivery] = await _queue(
            partner_id, [endpoint_id], TEST_EVENT,
            _body(TEST_EVENT, {"endpoint_id": str(endpoint_id), "partner_id": str(partner_id)}, utc_now()),
        )  # fmt: skip
        await record_event("webhook.test_sent", "webhook", endpoint_id, actor=actor)
    return await _one_delivery(endpoint_id, delivery)
