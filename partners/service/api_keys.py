"""Point-of-sale API keys: one outlet each, shown once, stored as a SHA-256 hash, scoped, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any

from core.auth import CurrentUser
from core.database.statements import CompiledQuery
from core.database.transactions import write_transaction
from core.errors import FieldProblem, Invalid
from core.i18n import Text
from core.localtime import utc_now
from core.service.audit import record_event
from core.service.stamped import StampedCache
from core.tables import Role
from partners.errors import ApiKeyNotFound
from partners.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from partners.service.outlets import outlet_ids_of
from partners.tables import ApiKey

KEY_MARK = "mkia"
LAST_USED_RESOLUTION = timedelta(minutes=1)

OUTLET = Text("Outlet ini bukan milik mitra Anda.", "This outlet is not one of yours.")
SCOPES = Text("Pilih minimal satu izin: scan, redeem.", "Choose at least one scope: scan, redeem.")


def _digest(key: str) -> str:
    # The key carries 256 random bits, so a fast hash is enough; a slow one would only slow every till request.
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(partner_id: uuid.UUID, data: ApiKeyCreate, actor: CurrentUser) -> ApiKeyCreated:
    problems: list[FieldProblem] = []
    if data.outlet_id not in await outlet_ids_of(partner_id):
        problems.append(FieldProblem("outlet_id", "unknown_outlet", OUTLET))
    scopes = sorted(set(data.scopes))
    if not scopes:
        problems.append(FieldProblem("scopes", "no_scope", SCOPES))
    if problems:
        raise Invalid(problems)
    key_id = uuid.uuid4()
    prefix = f"{KEY_MARK}_{secrets.token_hex(5)}"
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    created_at = utc_now()
    async with write_transaction():
        await ApiKey.insert(
            ApiKey(
                id=key_id,
                partner=partner_id,
                outlet=data.outlet_id,
                name=data.name.strip(),
                prefix=prefix,
                key_hash=_digest(key),
                scopes=[scope.value for scope in scopes],
                created_by=actor.id,
                created_at=created_at,
            )
        )
        await record_event(
            "api_key.created",
            "api_key",
            key_id,
            actor=actor,
            after={"prefix": prefix, "outlet_id": str(data.outlet_id), "scopes": [s.value for s in scopes]},
        )
    return ApiKeyCreated(
        id=key_id,
        name=data.name.strip(),
        outlet_id=data.outlet_id,
        prefix=prefix,
        scopes=scopes,
        key=key,
        created_at=created_at,
    )


async def list_api_keys(partner_id: uuid.UUID, key_id: uuid.UUID | None = None) -> list[ApiKeyRead]:
    query = (
        ApiKey.select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.outlet.as_alias("outlet_id"),
            ApiKey.prefix,
            ApiKey.scopes,
            ApiKey.created_at,
            ApiKey.last_used_at,
            ApiKey.revoked_at,
        )
        .where(ApiKey.partner == partner_id)
        .order_by(ApiKey.created_at)
        .output(load_json=True)
    )
    rows = await (query if key_id is None else query.where(ApiKey.id == key_id))
    return [ApiKeyRead(**row) for row in rows]


async def get_api_key(partner_id: uuid.UUID, key_id: uuid.UUID) -> ApiKeyRead:
    """One of the partner's keys; another partner's answers 404."""
    found = await list_api_keys(partner_id, key_id)
    if not found:
        raise ApiKeyNotFound()
    return found[0]


async def revoke_api_key(partner_id: uuid.UUID, key_id: uuid.UUID, actor: CurrentUser) -> ApiKeyRead:
    async with write_transaction():
        row = (
            await ApiKey.select(ApiKey.revoked_at)
            .where(ApiKey.id == key_id)
            .where(ApiKey.partner == partner_id)
            .first()
        )
        if row is None:
            raise ApiKeyNotFound()
        if row["revoked_at"] is None:
            await ApiKey.update({ApiKey.revoked_at: utc_now()}).where(ApiKey.id == key_id)
            await record_event("api_key.revoked", "api_key", key_id, actor=actor)
    return next(key for key in await list_api_keys(partner_id) if key.id == key_id)


# Every till request looks its key up: compiled once (core.database.statements.CompiledQuery).
_LIVE_KEY = CompiledQuery(
    lambda prefix: (
        ApiKey.select(ApiKey.id, ApiKey.name, ApiKey.key_hash, ApiKey.scopes, ApiKey.last_used_at)
        .where(ApiKey.prefix == prefix)
        .where(ApiKey.revoked_at.is_null())
        .output(load_json=True)
        .first()
    ),
    first=True,
    json_columns=("scopes",),
)


_KEY_USED = CompiledQuery(lambda at, key_id: ApiKey.update({ApiKey.last_used_at: at}).where(ApiKey.id == key_id))
_LIVE_KEYS: StampedCache[str, dict[str, Any]] = StampedCache()  # by prefix; a revocation moves the stamp


async def _live_key(prefix: str) -> dict[str, Any] | None:
    row = await _LIVE_KEYS.get(prefix, lambda: _LIVE_KEY(prefix))
    if row is None:
        _LIVE_KEYS.values.pop(prefix, None)  # an unknown prefix is asked again: it may be a key created since
    return row


async def resolve_api_key(raw: str) -> CurrentUser | None:
    """The cashier-like principal behind a presented key, or None (unknown, malformed or revoked)."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK:
        return None
    prefix = f"{parts[0]}_{parts[1]}"
    row = await _live_key(prefix)
    if row is None or not hmac.compare_digest(row["key_hash"], _digest(raw.strip())):
        return None
    now = utc_now()
    if row["last_used_at"] is None or now - row["last_used_at"] > LAST_USED_RESOLUTION:
        await _KEY_USED(now, row["id"])
        _LIVE_KEYS.put(prefix, {**row, "last_used_at": now})
    return CurrentUser(
        id=row["id"],
        username=f"apikey:{prefix}",
        role=Role.CASHIER,
        display_name=row["name"],
        api_key_id=row["id"],
        scopes=frozenset(row["scopes"]),
    )
