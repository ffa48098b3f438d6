"""Sending the webhook outbox: each worker, every MITRAKIA_WEBHOOK_SEND_INTERVAL_SECONDS, takes the deliveries
that are due under a lease (two workers or nodes never send one attempt twice at once; one that died mid-send is
taken over when its lease runs out), signs each in the Standard Webhooks way, posts it with short timeouts, no
redirects and nothing read back but the status, and records the attempt. A failure is tried again with
exponential backoff and jitter for a day; then the delivery is failed and its endpoint switched off, which the
partner console says. The till never waits for any of this: it only wrote the outbox row."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from standardwebhooks import Webhook

from core.database.engine import is_sqlite
from core.database.transactions import write_transaction
from core.localtime import utc_now
from core.service.audit import record_event
from core.settings import Settings
from partners.service.webhooks import is_local_address, unseal, url_problems
from partners.tables import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = structlog.get_logger()

SEND_BATCH = 20
LEASE = timedelta(seconds=60)  # far longer than one attempt can take (TIMEOUT)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # an endpoint that accepts and never answers costs a sender 10 s
FIRST_RETRY_SECONDS = 10
RETRY_FACTOR = 3  # 10 s, 30 s, 1.5 min, 4.5 min, 13.5 min, 40 min, 2 h, then every 3 h until a day has passed
MAX_RETRY_SECONDS = 3 * 3600
USER_AGENT = "MitraKIA-Webhooks/1 (+docs/integrations.md)"


def retry_delay(attempts: int) -> timedelta:
    """How long after the `attempts`-th failed attempt to try again: exponential, with jitter of ±25% so that the
    deliveries that failed together (an endpoint that was down) do not all come back at the same second."""
    base = min(FIRST_RETRY_SECONDS * RETRY_FACTOR ** (attempts - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=base * random.uniform(0.75, 1.25))  # noqa: S311 - spreading retries, not a secret


@dataclass(frozen=True, slots=True)
class _Due:
    id: uuid.UUID
    endpoint: uuid.UUID
    url: str
    payload: str
    attempts: int
    retry_until: datetime
    secrets: tuple[str, ...]  # the current secret, then the previous one during its grace period


@dataclass(frozen=True, slots=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def _claim(now: datetime, settings: Settings) -> list[_Due]:
    """Lease the deliveries due now, oldest first, of endpoints that are switched on."""
    due = (WebhookDelivery.status == DeliveryStatus.PENDING) & (WebhookDelivery.next_attempt_at <= now)
    if not await WebhookDelivery.exists().where(due):  # nothing waits: no write transaction (SQLite's one lock)
        return []
    async with write_transaction():
        query = (
            WebhookDelivery.select(WebhookDelivery.id)
            .where(
                due,
                WebhookDelivery.leased_until.is_null() | (WebhookDelivery.leased_until < now),
                WebhookDelivery.endpoint._.enabled.eq(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(SEND_BATCH)
        )
        if not is_sqlite():  # another node's sender skips what this one took
            query = query.lock_rows("UPDATE", skip_locked=True, of=(WebhookDelivery,))
        ids = [row["id"] for row in await query]
        if not ids:
            return []
        await WebhookDelivery.update({WebhookDelivery.leased_until: now + LEASE}).where(WebhookDelivery.id.is_in(ids))
        rows = await WebhookDelivery.select(
            WebhookDelivery.id, WebhookDelivery.endpoint, WebhookDelivery.payload, WebhookDelivery.attempts,
            WebhookDelivery.retry_until, WebhookDelivery.endpoint._.url.as_alias("url"),
            WebhookDelivery.endpoint._.secret_encrypted.as_alias("secret"),
            WebhookDelivery.endpoint._.previous_secret_encrypted.as_alias("previous"),
            WebhookDelivery.endpoint._.previous_secret_until.as_alias("previous_until"),
        ).where(WebhookDelivery.id.is_in(ids))  # fmt: skip
    real_now = utc_now()
    return [
        _Due(
            row["id"], row["endpoint"], row["url"], row["payload"], row["attempts"], row["retry_until"],
            (unseal(row["secret"], settings),)
            + ((unseal(row["previous"], settings),)
               if row["previous"] and row["previous_until"] and row["previous_until"] > real_now else ()),
        )
        for row in sorted(rows, key=lambda row: ids.index(row["id"]))
    ]  # fmt: skip


def signed_headers(delivery_id: uuid.UUID, payload: str, secrets: tuple[str, ...], at: datetime) -> dict[str, str]:
    """Standard Webhooks' three headers: the id (the same on every attempt), the time of this attempt in Unix
    seconds, and one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per valid secret, separated by spaces."""
    return {
        "webhook-id": str(delivery_id),
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(str(delivery_id), at, payload) for secret in secrets),
    }


async def _pinned(url: str, settings: Settings) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to connect to, with the Host header and TLS name to send. In production the name is resolved here
    and every address it has must be public; the connection then goes to that address, so that a name that
    changes its answer between this check and the connection (DNS rebinding) cannot reach a private one."""
    if settings.webhook_allow_local:
        return url, {}, {}
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in found]
    if not addresses or any(is_local_address(address) for address in addresses):
        raise _NotAllowed()
    address = addresses[0]
    netloc = f"[{address}]" if ":" in address else address
    pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return pinned, {"Host": host_header}, {"sni_hostname": host}


class _NotAllowed(Exception):
    pass


async def _attempt(delivery: _Due, settings: Settings, client: httpx.AsyncClient) -> _Outcome:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    if url_problems(delivery.url, settings):
        return _Outcome(None, "address_not_allowed", 0)
    try:
        url, extra, extensions = await _pinned(delivery.url, settings)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signed_headers(delivery.id, delivery.payload, delivery.secrets, utc_now()),
            **extra,
        }
        request = client.build_request(
            "POST", url, content=delivery.payload.encode(), headers=headers, extensions=extensions
        )
        async with asyncio.timeout(TIMEOUT.read + TIMEOUT.connect):  # type: ignore[operator]
            response = await client.send(request, stream=True, follow_redirects=False)
            await response.aclose()  # nothing is read back: a hostile endpoint cannot send us a gigabyte
    except _NotAllowed:
        return _Outcome(None, "address_not_allowed", took())
    except socket.gaierror:
        return _Outcome(None, "name_not_resolved", took())
    except (httpx.TimeoutException, TimeoutError):
        return _Outcome(None, "timeout", took())
    except httpx.ConnectError:
        return _Outcome(None, "connection_failed", took())
    except httpx.HTTPError:
        return _Outcome(None, "request_failed", took())
    error = "redirect_not_followed" if 300 <= response.status_code < 400 else None
    return _Outcome(response.status_code, error, took())


async def _record(delivery: _Due, outcome: _Outcome, now: datetime) -> None:
    attempts = delivery.attempts + 1
    changes: dict[Any, Any] = {
        WebhookDelivery.attempts: attempts,
        WebhookDelivery.leased_until: None,
        WebhookDelivery.last_attempt_at: utc_now(),
        WebhookDelivery.last_status_code: outcome.status_code,
        WebhookDelivery.last_error: outcome.error,
    }
    gave_up = False
    if outcome.delivered:
        changes |= {WebhookDelivery.status: DeliveryStatus.DELIVERED, WebhookDelivery.delivered_at: utc_now(),
                    WebhookDelivery.next_attempt_at: None}  # fmt: skip
    elif now >= delivery.retry_until:
        gave_up = True
        changes |= {WebhookDelivery.status: DeliveryStatus.FAILED, WebhookDelivery.next_attempt_at: None}
    else:
        changes[WebhookDelivery.next_attempt_at] = now + retry_delay(attempts)
    async with write_transaction():
        await WebhookAttempt.insert(
            WebhookAttempt(delivery=delivery.id, status_code=outcome.status_code, error=outcome.error,
                           duration_ms=outcome.duration_ms, attempted_at=utc_now())
        )  # fmt: skip
        await WebhookDelivery.update(changes).where(WebhookDelivery.id == delivery.id)
        if gave_up:
            switched_off = await WebhookEndpoint.update(
                {WebhookEndpoint.enabled: False, WebhookEndpoint.disabled_reason: "failing",
                 WebhookEndpoint.disabled_at: utc_now()}
            ).where(WebhookEndpoint.id == delivery.endpoint, WebhookEndpoint.enabled.eq(True)).returning(
                WebhookEndpoint.id
            )  # fmt: skip
            if switched_off:
                await record_event("webhook.disabled_failing", "webhook", delivery.endpoint,
                                   after={"delivery": str(delivery.id)})  # fmt: skip
    if gave_up:
        log.warning("webhooks.delivery_failed", endpoint_id=str(delivery.endpoint), attempts=attempts)


async def send_due(settings: Settings, client: httpx.AsyncClient | None = None, now: datetime | None = None) -> int:
    """Send what is due at `now` (default: now), in parallel; returns how many were attempted."""
    now = now or utc_now()
    claimed = await _claim(now, settings)
    if not claimed:
        return 0
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(_client())
        outcomes = await asyncio.gather(*(_attempt(delivery, settings, client) for delivery in claimed))
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        await _record(delivery, outcome, now)
        log.info("webhooks.attempted", delivery_id=str(delivery.id), status_code=outcome.status_code,
                 error=outcome.error, duration_ms=outcome.duration_ms)  # fmt: skip
    return len(claimed)


def _client() -> httpx.AsyncClient:
    # No proxies or .netrc from the environment (trust_env): an endpoint is reached directly, as it was checked.
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


@contextlib.asynccontextmanager
async def webhook_sender(settings: Settings) -> AsyncIterator[None]:
    """For the app's lifetime: send what is due every interval. What is in flight when it stops keeps its lease
    and is sent again by the next sender (a receiver sees the same webhook-id twice, at worst)."""

    async def every_interval() -> None:
        async with _client() as client:
            while True:
                await asyncio.sleep(settings.webhook_send_interval_seconds)
                try:
                    while await send_due(settings, client) == SEND_BATCH:
                        pass
                except Exception:  # a database hiccup: the outbox keeps every delivery for the next round
                    log.exception("webhooks.send_failed")

    task = asyncio.create_task(every_interval())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
