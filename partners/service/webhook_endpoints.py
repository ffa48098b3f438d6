"""A partner's webhook endpoints: registering one (its URL checked, its signing secret shown once and kept
encrypted), changing it, switching it off or on, rotating its secret with a grace period, deleting it. What is sent
to them is partners.service.webhooks (the outbox and the log) and partners.service.webhook_sending's."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.auth import CurrentUser, derive_key
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.service.audit import record_event
from core.settings import Settings
from partners.errors import WebhookNotFound
from partners.schemas import (
    WebhookCreate,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from partners.tables import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - not a secret: Standard Webhooks' form: the prefix, then the key's bytes in base64
SECRET_BYTES = 32
ROTATION_GRACE = timedelta(hours=24)  # the previous secret also signs for this long after a rotation
RETRY_FOR = timedelta(days=1)
MAX_ENDPOINTS = 10  # per partner

URL_INVALID = Text("Alamat URL tidak valid.", "Not a valid URL.")
URL_HTTPS = Text(
    "Alamat harus memakai HTTPS.",
    "The address must use HTTPS.",
)
URL_PRIVATE = Text(
    "Alamat ini menuju jaringan pribadi atau mesin ini; webhook hanya dikirim ke alamat publik.",
    "This address points to a private network or to this machine; webhooks are only sent to public addresses.",
)
URL_CREDENTIALS = Text(
    "Jangan taruh nama pengguna atau kata sandi di URL; periksa tanda tangan webhook sebagai gantinya.",
    "Do not put a user name or password in the URL; check the webhook signature instead.",
)
NO_EVENTS = Text("Pilih minimal satu peristiwa.", "Choose at least one event.")
TOO_MANY = Text(
    "Sudah ada 10 webhook; hapus satu sebelum menambah yang baru.",
    "There are already 10 webhooks; delete one before adding another.",
)

# --- the URL ---------------------------------------------------------------------------------------------------


# IPv6 prefixes that carry an IPv4 address a gateway may translate to (NAT64, local NAT64, 6to4): the IPv4 inside
# must be public too, or `64:ff9b::a00:1` would reach 10.0.0.1 through the gateway.
_CARRIES_IPV4 = tuple(ipaddress.ip_network(net) for net in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16"))


def is_local_address(host: str) -> bool:
    """This machine, a private network, link-local (cloud metadata), or any other address that is not public."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return name == "localhost" or name.endswith(".localhost")
    if not address.is_global:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        inside = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inside is None and any(address in network for network in _CARRIES_IPV4):
            inside = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return inside is not None and not inside.is_global
    return False


def url_problems(url: str, settings: Settings, field: str = "url") -> list[FieldProblem]:
    """Why this URL may not receive webhooks (an empty list: it may). Production: HTTPS to a public name or
    address. With MITRAKIA_WEBHOOK_ALLOW_LOCAL (the demo, the tests): also http:// and this machine or a private
    network. A public name is resolved again before every attempt (webhook_sending), since it may change."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
        host.encode("idna")  # a name DNS can carry (labels of at most 63 characters; an international name)
    except (ValueError, UnicodeError):
        return [FieldProblem(field, "invalid_url", URL_INVALID)]
    if parts.scheme not in ("http", "https") or not host or port == 0:
        return [FieldProblem(field, "invalid_url", URL_INVALID)]
    if parts.username or parts.password:
        return [FieldProblem(field, "url_has_credentials", URL_CREDENTIALS)]
    if settings.webhook_allow_local:
        return []
    if parts.scheme != "https":
        return [FieldProblem(field, "https_required", URL_HTTPS)]
    if is_local_address(host):
        return [FieldProblem(field, "private_address", URL_PRIVATE)]
    return []


def shown_url(url: str) -> str:
    """The URL as the audit log keeps it: without its query, where a receiver may keep a token of its own."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl()


# --- the secret ------------------------------------------------------------------------------------------------


def _cipher(settings: Settings) -> AESGCM:
    return AESGCM(derive_key(settings.secret_key, "webhook-secret-at-rest"))


def seal(secret: str, settings: Settings) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + _cipher(settings).encrypt(nonce, secret.encode(), b"webhook")).decode()


def unseal(sealed: str, settings: Settings) -> str:
    raw = base64.b64decode(sealed)
    return _cipher(settings).decrypt(raw[:12], raw[12:], b"webhook").decode()


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# --- endpoints -------------------------------------------------------------------------------------------------

_FIELDS = (
    WebhookEndpoint.id,
    WebhookEndpoint.url,
    WebhookEndpoint.description,
    WebhookEndpoint.events,
    WebhookEndpoint.enabled,
    WebhookEndpoint.disabled_reason,
    WebhookEndpoint.disabled_at,
    WebhookEndpoint.created_at,
    WebhookEndpoint.secret_rotated_at,
    WebhookEndpoint.previous_secret_until,
)


def _read(row: dict[str, Any]) -> WebhookRead:
    return msgspec.convert(row, WebhookRead, strict=False)


async def list_webhooks(partner_id: uuid.UUID) -> list[WebhookRead]:
    rows = (
        await WebhookEndpoint.select(*_FIELDS)
        .where(WebhookEndpoint.partner == partner_id, WebhookEndpoint.deleted_at.is_null())
        .order_by(WebhookEndpoint.created_at)
        .output(load_json=True)
    )
    return [_read(row) for row in rows]


async def get_webhook(partner_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookRead:
    """Another partner's endpoint: not found, as if it did not exist."""
    row = (
        await WebhookEndpoint.select(*_FIELDS)
        .where(
            WebhookEndpoint.partner == partner_id,
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.deleted_at.is_null(),
        )
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise WebhookNotFound()
    return _read(row)


def _checked(url: str, events: list[WebhookEvent], settings: Settings) -> list[FieldProblem]:
    problems = url_problems(url.strip(), settings)
    if not events:
        problems.append(FieldProblem("events", "no_events", NO_EVENTS))
    return problems


async def create_webhook(
    partner_id: uuid.UUID, data: WebhookCreate, actor: CurrentUser, settings: Settings
) -> WebhookSecret:
    problems = _checked(data.url, data.events, settings)
    if len(await list_webhooks(partner_id)) >= MAX_ENDPOINTS:
        problems.append(FieldProblem("url", "too_many_webhooks", TOO_MANY))
    if problems:
        raise Invalid(problems)
    endpoint_id, secret = uuid.uuid4(), _new_secret()
    events = sorted({event.value for event in data.events})
    async with write_transaction():
        await WebhookEndpoint.insert(
            WebhookEndpoint(
                id=endpoint_id,
                partner=partner_id,
                url=data.url.strip(),
                description=data.description.strip(),
                events=events,
                secret_encrypted=seal(secret, settings),
                created_by=actor.id,
                created_at=utc_now(),
            )
        )
        await record_event(
            "webhook.created",
            "webhook",
            endpoint_id,
            actor=actor,
            after={"url": shown_url(data.url.strip()), "events": events},
        )
    return WebhookSecret(endpoint=await get_webhook(partner_id, endpoint_id), secret=secret)


async def update_webhook(
    partner_id: uuid.UUID, endpoint_id: uuid.UUID, data: WebhookUpdate, actor: CurrentUser, settings: Settings
) -> WebhookRead:
    before = await get_webhook(partner_id, endpoint_id)
    url = before.url if data.url is None else data.url.strip()
    events = before.events if data.events is None else data.events
    problems = _checked(url, events, settings)
    if problems:
        raise Invalid(problems)
    changes: dict[Any, Any] = {
        WebhookEndpoint.url: url,
        WebhookEndpoint.events: sorted({event.value for event in events}),
    }
    if data.description is not None:
        changes[WebhookEndpoint.description] = data.description.strip()
    now = utc_now()
    switching_on = data.enabled is True and not before.enabled
    if switching_on:
        changes |= {WebhookEndpoint.enabled: True, WebhookEndpoint.disabled_reason: None,
                    WebhookEndpoint.disabled_at: None}  # fmt: skip
    elif data.enabled is False and before.enabled:
        changes |= {WebhookEndpoint.enabled: False, WebhookEndpoint.disabled_reason: "manager",
                    WebhookEndpoint.disabled_at: now}  # fmt: skip
    async with write_transaction():
        await WebhookEndpoint.update(changes).where(WebhookEndpoint.id == endpoint_id)
        if switching_on:
            # What waited while it was off gets a day again from now.
            await WebhookDelivery.update({WebhookDelivery.retry_until: now + RETRY_FOR}).where(
                WebhookDelivery.endpoint == endpoint_id, WebhookDelivery.status == DeliveryStatus.PENDING
            )
        await record_event(
            "webhook.updated", "webhook", endpoint_id, actor=actor,
            before={"url": shown_url(before.url), "events": [e.value for e in before.events],
                    "enabled": before.enabled},
            after={"url": shown_url(url), "events": [e.value for e in events],
                   "enabled": before.enabled if data.enabled is None else data.enabled},
        )  # fmt: skip
    return await get_webhook(partner_id, endpoint_id)


async def delete_webhook(partner_id: uuid.UUID, endpoint_id: uuid.UUID, actor: CurrentUser) -> None:
    endpoint = await get_webhook(partner_id, endpoint_id)
    async with write_transaction():
        # Marked, not deleted (see WebhookEndpoint.deleted_at); the retention run removes it and its deliveries.
        await WebhookEndpoint.update({WebhookEndpoint.deleted_at: utc_now(), WebhookEndpoint.enabled: False}).where(
            WebhookEndpoint.id == endpoint_id
        )
        await record_event("webhook.deleted", "webhook", endpoint_id, actor=actor,
                           before={"url": shown_url(endpoint.url)})  # fmt: skip


async def rotate_secret(
    partner_id: uuid.UUID, endpoint_id: uuid.UUID, actor: CurrentUser, settings: Settings
) -> WebhookSecret:
    """A new secret, shown once; the one it replaces also signs for ROTATION_GRACE, so that the receiver can be
    switched over without losing a delivery."""
    await get_webhook(partner_id, endpoint_id)
    secret, now = _new_secret(), utc_now()
    async with write_transaction():
        row = (
            await WebhookEndpoint.select(WebhookEndpoint.secret_encrypted)
            .where(WebhookEndpoint.id == endpoint_id)
            .first()
        )
        assert row is not None
        await WebhookEndpoint.update(
            {
                WebhookEndpoint.secret_encrypted: seal(secret, settings),
                WebhookEndpoint.previous_secret_encrypted: row["secret_encrypted"],
                WebhookEndpoint.previous_secret_until: now + ROTATION_GRACE,
                WebhookEndpoint.secret_rotated_at: now,
            }
        ).where(WebhookEndpoint.id == endpoint_id)
        await record_event("webhook.secret_rotated", "webhook", endpoint_id, actor=actor)
    return WebhookSecret(endpoint=await get_webhook(partner_id, endpoint_id), secret=secret)


async def failing_endpoints(partner_id: uuid.UUID) -> list[WebhookRead]:
    """Endpoints switched off because deliveries kept failing: the console's notice to the manager."""
    return [endpoint for endpoint in await list_webhooks(partner_id) if endpoint.disabled_reason == "failing"]
