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

import httpx
import structlog
from standardwebhooks import Webhook

from core.database.engine import is_sqlite
from core.database.transactions import for_update, write_transaction
from core.localtime import utc_now
from core.service.audit import record_event
from core.settings import Settings
from partners.service.webhook_endpoints import is_local_address, unseal, url_problems
from partners.tables import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = structlog.get_logger()

SEND_BATCH = 20
LEASE = timedelta(seconds=60)  # far longer than one attempt can take (TIMEOUT)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # an endpoint that accepts and never answers costs a sender 10 s
ATTEMPT_SECONDS = 20  # one attempt whole: the name's lookup, up to three addresses, the answer; well under LEASE
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
    lease: datetime  # this sender's lease: its result is recorded only while it still holds it
    secrets: tuple[str, ...]  # the current secret, then the previous one during its grace period; () unreadable


@dataclass(frozen=True, slots=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _claimable(now: datetime) -> Any:
    return (
        (WebhookDelivery.status == DeliveryStatus.PENDING)
        & (WebhookDelivery.next_attempt_at <= now)
        & (WebhookDelivery.leased_until.is_null() | (WebhookDelivery.leased_until < now))
        & WebhookDelivery.endpoint._.enabled.eq(True)
    )


async def _claim(now: datetime, settings: Settings) -> list[_Due]:
    """Lease the deliveries due now, oldest first, of endpoints that are switched on."""
    if not await WebhookDelivery.exists().where(_claimable(now)):  # no write transaction (SQLite's one lock)
        return []
    lease = now + LEASE
    async with write_transaction():
        query = (
            WebhookDelivery.select(WebhookDelivery.id)
            .where(_claimable(now))
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(SEND_BATCH)
        )
        if not is_sqlite():  # another node's sender skips what this one took
            query = query.lock_rows("UPDATE", skip_locked=True, of=(WebhookDelivery,))
        ids = [row["id"] for row in await query]
        if not ids:
            return []
        await WebhookDelivery.update({WebhookDelivery.leased_until: lease}).where(WebhookDelivery.id.is_in(ids))
        rows = await WebhookDelivery.select(
            WebhookDelivery.id, WebhookDelivery.endpoint, WebhookDelivery.payload,
            WebhookDelivery.endpoint._.url.as_alias("url"),
            WebhookDelivery.endpoint._.secret_encrypted.as_alias("secret"),
            WebhookDelivery.endpoint._.previous_secret_encrypted.as_alias("previous"),
            WebhookDelivery.endpoint._.previous_secret_until.as_alias("previous_until"),
        ).where(WebhookDelivery.id.is_in(ids))  # fmt: skip
    return [
        _Due(row["id"], row["endpoint"], row["url"], row["payload"], lease, _secrets(row, settings))
        for row in sorted(rows, key=lambda row: ids.index(row["id"]))
    ]


def _secrets(row: dict[str, Any], settings: Settings) -> tuple[str, ...]:
    """The secrets that sign: the current one, and the previous one during its grace period. None readable (the
    service's secret key changed since they were sealed): the attempt fails and says why."""
    sealed = [row["secret"]]
    if row["previous"] and row["previous_until"] and row["previous_until"] > utc_now():
        sealed.append(row["previous"])
    try:
        return tuple(unseal(secret, settings) for secret in sealed)
    except Exception:  # cryptography's InvalidTag, or a damaged value
        return ()


def signed_headers(delivery_id: uuid.UUID, payload: str, secrets: tuple[str, ...], at: datetime) -> dict[str, str]:
    """Standard Webhooks' three headers: the id (the same on every attempt), the time of this attempt in Unix
    seconds, and one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per valid secret, separated by spaces."""
    return {
        "webhook-id": str(delivery_id),
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(str(delivery_id), at, payload) for secret in secrets),
    }


class _NotAllowed(Exception):
    pass


async def _targets(url: str, settings: Settings) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """Where to connect, in order, each with the Host header and TLS name to send. In production the name is
    resolved here and every address it has must be public; the connection then goes to a checked address, so that
    a name that changes its answer between this check and the connection (DNS rebinding) cannot reach a private
    one. The first three addresses are tried (an IPv6 answer for a server reachable over IPv4 only)."""
    if settings.webhook_allow_local:
        return [(url, {}, {})]
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses or any(is_local_address(address) for address in addresses):
        raise _NotAllowed()
    host_header = {"Host": parsed.netloc.decode("ascii")}
    return [(str(parsed.copy_with(host=address, port=port)), host_header, {"sni_hostname": host})
            for address in addresses[:3]]  # fmt: skip


async def _attempt(delivery: _Due, settings: Settings, client: httpx.AsyncClient) -> _Outcome:
    """One try. Never raises: whatever goes wrong is the attempt's outcome, so the rest of the batch is recorded."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    if url_problems(delivery.url, settings):
        return _Outcome(None, "address_not_allowed", 0)
    if not delivery.secrets:
        return _Outcome(None, "secret_unreadable", 0)
    try:
        async with asyncio.timeout(ATTEMPT_SECONDS):  # the name's lookup included
            response = None
            for url, extra, extensions in await _targets(delivery.url, settings):
                headers = {
                    "content-type": "application/json",
                    "user-agent": USER_AGENT,
                    **signed_headers(delivery.id, delivery.payload, delivery.secrets, utc_now()),
                    **extra,
                }
                request = client.build_request(
                    "POST", url, content=delivery.payload.encode(), headers=headers, extensions=extensions
                )
                try:
                    response = await client.send(request, stream=True, follow_redirects=False)
                except httpx.ConnectError:
                    continue  # the next address, if any
                await response.aclose()  # nothing is read back: a hostile endpoint cannot send us a gigabyte
                break
            if response is None:
                return _Outcome(None, "connection_failed", took())
    except _NotAllowed:
        return _Outcome(None, "address_not_allowed", took())
    except (socket.gaierror, UnicodeError):
        return _Outcome(None, "name_not_resolved", took())
    except (httpx.TimeoutException, TimeoutError):
        return _Outcome(None, "timeout", took())
    except Exception as failure:  # an endpoint's fault, whatever it is, is recorded, not raised
        log.warning("webhooks.attempt_failed", delivery_id=str(delivery.id), error=type(failure).__name__)
        return _Outcome(None, "request_failed", took())
    redirected = "redirect_not_followed" if 300 <= response.status_code < 400 else None
    return _Outcome(response.status_code, redirected, took())


async def _record(delivery: _Due, outcome: _Outcome, now: datetime) -> None:
    """The attempt, and what follows from it, if this sender still holds the lease (a manager's "send again", or
    an endpoint deleted meanwhile, took the delivery out of its hands: then nothing is written)."""
    gave_up = False
    async with write_transaction():
        row = await for_update(
            WebhookDelivery.select(WebhookDelivery.attempts, WebhookDelivery.retry_until).where(
                WebhookDelivery.id == delivery.id, WebhookDelivery.leased_until == delivery.lease
            )
        ).first()
        if row is None:
            return
        attempts = row["attempts"] + 1
        changes: dict[Any, Any] = {
            WebhookDelivery.attempts: attempts,
            WebhookDelivery.leased_until: None,
            WebhookDelivery.last_attempt_at: utc_now(),
            WebhookDelivery.last_status_code: outcome.status_code,
            WebhookDelivery.last_error: outcome.error,
        }
        if outcome.delivered:
            changes |= {WebhookDelivery.status: DeliveryStatus.DELIVERED, WebhookDelivery.delivered_at: utc_now(),
                        WebhookDelivery.next_attempt_at: None}  # fmt: skip
        elif now >= row["retry_until"]:
            gave_up = True
            changes |= {WebhookDelivery.status: DeliveryStatus.FAILED, WebhookDelivery.next_attempt_at: None}
        else:
            changes[WebhookDelivery.next_attempt_at] = now + retry_delay(attempts)
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
        try:
            await _record(delivery, outcome, now)
        except Exception:  # one row's trouble must not leave the others' leases to run out and be sent again
            log.exception("webhooks.record_failed", delivery_id=str(delivery.id))
            continue
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
