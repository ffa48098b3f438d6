"""The floor of the load benchmark: a minimal Litestar app doing only the essential work of scan and redeem, and a
bare JSON endpoint. What the real endpoints cost above this is ours (routing, guards, dependency injection, the ORM,
validation, logging, response shaping); this much any implementation pays.

The essential work, per request, as the app does it on PostgreSQL + Redis (statements copied from the SQL the app
sends, captured with asyncpg; see bench/README.md):
- scan: look up the API key and its outlet, the outlet and its partner, the partner's offers (rules decoded); one
  ES256 JWS verify with a cached public key (PyJWT, as the app); the rate-limit counter, the card-status cache
  (and on a miss the card row and a cache write) and the velocity set in Redis, one round trip each; the offers'
  usage and the card's history; one attempt row per offer.
- redeem: the same look-ups and JWS verify, the idempotency record, then in one transaction: lock the card and
  the offer, read usage, history and the month's redemptions, insert the redemption, move the daily and the eight
  monthly rollup cells, the card's first redemption day, the offer's usage, the attempt row and the idempotency
  outcome.
Every SQL statement runs on one connection in one transaction (the app uses one per statement outside its write
transaction). Served by the same ASGI server with the same workers as the app: `floor:create_app` (factory).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from litestar import Litestar, Request, get, post
from litestar.exceptions import NotAuthorizedException
from redis.asyncio import Redis

# The settings the app reads, from the same variables (bench/load/run.py sets them for both).
DATABASE_URL = os.environ.get("MITRAKIA_DATABASE_URL", "").replace("postgresql+asyncpg://", "postgresql://", 1)
REDIS_URL = os.environ.get("MITRAKIA_REDIS_URL", "")
SECRET = os.environ.get("MITRAKIA_SECRET_KEY", "")
ISSUER = os.environ.get("MITRAKIA_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
POOL_SIZE = int(os.environ.get("MITRAKIA_DB_POOL_SIZE", "10"))
REDIS_TIMEOUT_SECONDS = 2.0  # as core.stores
ZONE = ZoneInfo("Asia/Jakarta")

SQL_KEY = (
    'SELECT ALL "partner_api_key"."id" AS "id", "partner_api_key"."name" AS "name", "partner_api_key"."key_hash" AS '
    '"key_hash", "partner_api_key"."scopes" AS "scopes", "partner_api_key"."last_used_at" AS "last_used_at" FROM '
    '"partner_api_key" WHERE ("partner_api_key"."prefix" = $1 AND "partner_api_key"."revoked_at" IS NULL) LIMIT 1'
)
SQL_KEY_USED = 'UPDATE "partner_api_key" SET "last_used_at" = $1 WHERE "partner_api_key"."id" = $2'
SQL_MEMBERSHIP = (
    'SELECT ALL "partner_api_key"."partner" AS "partner", "partner_api_key"."outlet" AS "outlet" FROM '
    '"partner_api_key" WHERE "partner_api_key"."id" = $1 LIMIT 1'
)
SQL_OUTLET = (
    'SELECT ALL "outlet"."name" AS "name", "outlet"."active" AS "active", "outlet"."timezone" AS "timezone", '
    '"outlet$partner"."status" AS "partner_status", "outlet$partner"."void_window_minutes" AS "void_window_minutes" '
    'FROM "outlet" LEFT JOIN "partner" "outlet$partner" ON ("outlet"."partner" = "outlet$partner"."id") WHERE '
    '("outlet"."id" = $1 AND "outlet"."partner" = $2) LIMIT 1'
)
SQL_OFFERS = (
    'SELECT ALL "offer"."id" AS "id", "offer"."status" AS "status", "offer"."status_reason" AS "status_reason", '
    '"offer"."revision" AS "revision", "offer"."rules" AS "rules", "offer"."all_outlets" AS "all_outlets" FROM "offer" '
    'WHERE ("offer"."partner" = $1 AND "offer"."status" IN ($2, $3)) ORDER BY "offer"."created_at" ASC'
)
SQL_CARD = (
    'SELECT ALL "card"."id" AS "id", "card"."cv" AS "cv", "card"."status" AS "status", "card"."birth_date" AS '
    '"birth_date", "card"."kelurahan_code" AS "kelurahan_code" FROM "card" WHERE "card"."id" = $1 LIMIT 1'
)
SQL_USAGE = (
    'SELECT ALL "offer_usage"."offer" AS "offer", "offer_usage"."redemptions" AS "redemptions", '
    '"offer_usage"."discount_total" AS "discount_total", "offer_usage"."updated_at" AS "updated_at" FROM '
    '"offer_usage" WHERE "offer_usage"."offer" IN ({marks})'
)
SQL_HISTORY = (
    'SELECT ALL "redemption"."offer" AS "offer", "redemption"."local_date" AS "local_date" FROM "redemption" WHERE '
    '(("redemption"."card" = $1 AND "redemption"."offer" IN ({marks})) AND "redemption"."status" = ${status})'
)
SQL_ATTEMPT = (
    'INSERT INTO "verification_attempt" ("occurred_at", "local_date", "kind", "outcome", "reason_code", "partner", '
    '"outlet", "offer", "card", "staff_user", "api_key", "device_id", "redemption") VALUES ($1, $2, $3, $4, $5, $6, '
    "$7, $8, $9, $10, $11, $12, $13)"
)
SQL_IDEMPOTENCY = (
    'SELECT ALL "idempotency_record"."request_hash" AS "request_hash", "idempotency_record"."outcome" AS "outcome" '
    'FROM "idempotency_record" WHERE ("idempotency_record"."scope" = $1 AND "idempotency_record"."key" = $2) LIMIT 1'
)
SQL_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5000ms'"
SQL_IDEMPOTENCY_INSERT = (
    'INSERT INTO "idempotency_record" ("id","scope","key","request_hash","outcome","created_at") VALUES '
    '(DEFAULT,$1,$2,$3,$4,$5) RETURNING "id"'
)
SQL_CARD_LOCK = (
    'SELECT ALL "card"."id" AS "id", "card"."cv" AS "cv", "card"."status" AS "status", "card"."birth_date" AS '
    '"birth_date", "card"."kelurahan_code" AS "kelurahan_code", "card"."enrolled_on" AS "enrolled_on", '
    '"card"."channel" AS "channel", "card"."first_redeemed_on" AS "first_redeemed_on" FROM "card" WHERE '
    '"card"."id" = $1 LIMIT 1 FOR UPDATE'
)
SQL_OFFER_LOCK = (
    'SELECT ALL "offer"."id" AS "id", "offer"."status" AS "status", "offer"."status_reason" AS "status_reason", '
    '"offer"."revision" AS "revision", "offer"."rules" AS "rules", "offer"."all_outlets" AS "all_outlets" FROM "offer" '
    'WHERE (("offer"."partner" = $1 AND "offer"."status" IN ($2, $3)) AND "offer"."id" = $4) ORDER BY '
    '"offer"."created_at" ASC FOR UPDATE'
)
SQL_HISTORY_SINCE = (
    'SELECT ALL "redemption"."offer" AS "offer", "redemption"."local_date" AS "local_date" FROM "redemption" WHERE '
    '((("redemption"."card" = $1 AND "redemption"."offer" IN ($2)) AND "redemption"."status" = $3) AND '
    '"redemption"."local_date" >= $4)'
)
SQL_MONTH = (
    'SELECT ALL "redemption"."id" AS "id", "redemption"."partner" AS "partner", "redemption"."offer" AS "offer", '
    '"redemption"."outlet" AS "outlet" FROM "redemption" WHERE ((("redemption"."card" = $1 AND '
    '"redemption"."local_date" >= $2) AND "redemption"."local_date" < $3) AND "redemption"."status" = $4)'
)
SQL_REDEMPTION = (
    'INSERT INTO "redemption" ("id","receipt_code","card","offer","offer_revision","partner","outlet","holder_ref",'
    '"purchase_amount","discount_amount","redeemed_at","local_date","age_years","age_band","kelurahan_code",'
    '"kecamatan_code","first_all","first_partner","first_offer","first_outlet","cashier","api_key","device_id",'
    '"status","voided_at","void_reason","voided_by") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,'
    '$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27) RETURNING "id"'
)
SQL_DAILY = (
    'INSERT INTO "rollup_redemption_daily" ("day", "partner", "offer", "outlet", "redemptions", "discount_total") '
    'VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("day", "partner", "offer", "outlet") DO UPDATE SET "redemptions" = '
    '"rollup_redemption_daily"."redemptions" + excluded."redemptions", "discount_total" = '
    '"rollup_redemption_daily"."discount_total" + excluded."discount_total"'
)
SQL_MONTHLY = (
    'INSERT INTO "rollup_redemption_monthly" ("month", "slice", "partner", "value", "shard", "redemptions", '
    '"discount_total", "children", "city_code") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT ("city_code", '
    '"slice", "month", "partner", "value", "shard") DO UPDATE SET "redemptions" = '
    '"rollup_redemption_monthly"."redemptions" + excluded."redemptions", "discount_total" = '
    '"rollup_redemption_monthly"."discount_total" + excluded."discount_total", "children" = '
    '"rollup_redemption_monthly"."children" + excluded."children"'
)
SQL_FIRST_REDEEMED = 'UPDATE "card" SET "first_redeemed_on" = $1 WHERE "card"."id" = $2'
SQL_USAGE_ROW = (
    'INSERT INTO "offer_usage" ("offer","redemptions","discount_total","updated_at") VALUES ($1,$2,$3,$4) '
    'ON CONFLICT DO NOTHING RETURNING "offer"'
)
SQL_USAGE_UPDATE = (
    'UPDATE "offer_usage" SET "redemptions" = $1, "discount_total" = $2, "updated_at" = $3 WHERE '
    '"offer_usage"."offer" = $4'
)
SQL_OUTCOME = (
    'UPDATE "idempotency_record" SET "outcome" = $1 WHERE ("idempotency_record"."scope" = $2 AND '
    '"idempotency_record"."key" = $3)'
)
MONTHLY_SLICES = ("all", "kecamatan", "age_band", "partner", "partner_kecamatan", "partner_age_band", "offer", "outlet")
NIL = uuid.UUID(int=0)


def _usage_sql(count: int) -> str:
    """SQL_USAGE for `count` offers, with one parameter each (as Piccolo writes `is_in`)."""
    return SQL_USAGE.format(marks=", ".join(f"${n}" for n in range(1, count + 1)))


def _history_sql(count: int) -> str:
    marks = ", ".join(f"${n}" for n in range(2, count + 2))
    return SQL_HISTORY.replace("{marks}", marks).replace("${status}", f"${count + 2}")


class ScanIn(msgspec.Struct):
    qr: str


class RedeemIn(msgspec.Struct):
    qr: str
    offer_id: uuid.UUID
    purchase_amount: int = 0


class Floor:
    """The floor's resources: one asyncpg pool, one Redis client, the public keys by kid."""

    pool: asyncpg.Pool
    redis: Redis
    keys: dict[str, ec.EllipticCurvePublicKey]
    holder_key: bytes

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=POOL_SIZE)
        self.redis = Redis.from_url(
            REDIS_URL,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
        rows = await self.pool.fetch("SELECT kid, public_jwk FROM signing_key WHERE status IN ('active', 'retired')")
        self.keys = {row["kid"]: _public_key(json.loads(row["public_jwk"])) for row in rows}
        self.holder_key = hmac.new(SECRET.encode(), b"mitrakia:holder-ref", hashlib.sha256).digest()

    async def stop(self) -> None:
        await self.pool.close()
        await self.redis.aclose()


def _public_key(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    return ec.EllipticCurvePublicNumbers(number(jwk["x"]), number(jwk["y"]), ec.SECP256R1()).public_key()


FLOOR = Floor()


def _verify(floor: Floor, text: str) -> tuple[uuid.UUID, int]:
    """The QR text's card and version: one ES256 verify with the cached key."""
    digits = text.strip()[len("kia:/") :]
    jws = "".join(chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2))
    kid = jwt.get_unverified_header(jws)["kid"]
    claims = json.loads(jwt.api_jws.decode(jws, floor.keys[kid], algorithms=["ES256"]))
    if claims["iss"] != ISSUER:
        raise NotAuthorizedException()
    return uuid.UUID(bytes=base64.urlsafe_b64decode(claims["sub"] + "==")), claims["cv"]


async def _principal(connection: asyncpg.Connection, raw: str | None) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(api key id, partner, outlet) of a till key, or 401."""
    if not raw:
        raise NotAuthorizedException()
    mark, middle, _ = raw.split("_", 2)
    key = await connection.fetchrow(SQL_KEY, f"{mark}_{middle}")
    if key is None or not hmac.compare_digest(key["key_hash"], hashlib.sha256(raw.encode()).hexdigest()):
        raise NotAuthorizedException()
    now = datetime.now(UTC)
    if key["last_used_at"] is None or now - key["last_used_at"] > timedelta(minutes=1):
        await connection.execute(SQL_KEY_USED, now, key["id"])
    member = await connection.fetchrow(SQL_MEMBERSHIP, key["id"])
    return key["id"], member["partner"], member["outlet"]


@get("/json")
async def bare() -> dict[str, bool]:
    return {"ok": True}


@post("/scan", status_code=200)
async def scan(data: ScanIn, request: Request[Any, Any, Any]) -> dict[str, Any]:
    floor = FLOOR
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    async with floor.pool.acquire() as connection, connection.transaction():
        key_id, partner, outlet = await _principal(connection, request.headers.get("x-api-key"))
        await connection.fetchrow(SQL_OUTLET, outlet, partner)
        offers = await connection.fetch(SQL_OFFERS, partner, "published", "paused")
        rules = [msgspec.json.decode(row["rules"]) for row in offers]
        counter = f"mitrakia:counter:scan:key:{key_id}"
        async with floor.redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, 60, nx=True)
            pipe.ttl(counter)
            await pipe.execute()
        card_id, _cv = _verify(floor, data.qr)
        cached = await floor.redis.get(f"mitrakia_card_status:{card_id.hex}")
        if cached is None:
            card = await connection.fetchrow(SQL_CARD, card_id)
            state = {
                "card_id": str(card_id),
                "cv": card["cv"],
                "status": card["status"],
                "birth_date": card["birth_date"].isoformat(),
                "kelurahan_code": card["kelurahan_code"],
            }
            await floor.redis.set(f"mitrakia_card_status:{card_id.hex}", msgspec.json.encode(state), ex=60)
        else:
            state = msgspec.json.decode(cached)
        velocity = f"mitrakia:set:velocity:{card_id.hex}"
        moment = time.time()
        async with floor.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(velocity, "-inf", moment - 600)
            pipe.zadd(velocity, {outlet.hex: moment})
            pipe.zcard(velocity)
            pipe.expire(velocity, 600)
            await pipe.execute()
        ids = [row["id"] for row in offers]
        usage = await connection.fetch(_usage_sql(len(ids)), *ids)
        history = await connection.fetch(_history_sql(len(ids)), card_id, *ids, "completed")
        await connection.executemany(
            SQL_ATTEMPT,
            [(now, today, "scan", "eligible", None, partner, outlet, offer, card_id, None, key_id, None, None)
             for offer in ids],
        )  # fmt: skip
    return {
        "card": {"status": state["status"], "holder_ref": _holder_ref(floor, partner, card_id)},
        "offers": [{"offer_id": str(i), "title": r["title"]} for i, r in zip(ids, rules, strict=True)],
        "usage": len(usage),
        "history": len(history),
    }


def _holder_ref(floor: Floor, partner: uuid.UUID, card: uuid.UUID) -> str:
    return hmac.new(floor.holder_key, partner.bytes + card.bytes, hashlib.sha256).hexdigest()[:10]


@post("/redemptions", status_code=201)
async def redeem(data: RedeemIn, request: Request[Any, Any, Any]) -> dict[str, Any]:
    floor = FLOOR
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    idempotency_key = request.headers.get("idempotency-key") or ""
    async with floor.pool.acquire() as connection, connection.transaction():
        key_id, partner, outlet = await _principal(connection, request.headers.get("x-api-key"))
        await connection.fetchrow(SQL_OUTLET, outlet, partner)
        request_hash = hashlib.sha256(f"{data.qr}|{data.offer_id}|{data.purchase_amount}|{outlet}".encode()).hexdigest()
        await connection.fetchrow(SQL_IDEMPOTENCY, str(partner), idempotency_key)
        card_id, _cv = _verify(floor, data.qr)
        await connection.execute(SQL_LOCK_TIMEOUT)
        await connection.fetchrow(SQL_IDEMPOTENCY_INSERT, str(partner), idempotency_key, request_hash,
                                  '{"state": "in_flight"}', now)  # fmt: skip
        card = await connection.fetchrow(SQL_CARD_LOCK, card_id)
        offer = await connection.fetchrow(SQL_OFFER_LOCK, partner, "published", "paused", data.offer_id)
        msgspec.json.decode(offer["rules"])
        usage = await connection.fetchrow(_usage_sql(1), data.offer_id)
        await connection.fetch(SQL_HISTORY_SINCE, card_id, data.offer_id, "completed", today.replace(day=1))
        start = today.replace(day=1)
        earlier = await connection.fetch(SQL_MONTH, card_id, start, (start + timedelta(days=32)).replace(day=1),
                                         "completed")  # fmt: skip
        amount = min(data.purchase_amount // 10, 50_000)
        redemption_id = uuid.uuid4()
        receipt_code = "R" + secrets.token_hex(4).upper()
        age = today.year - card["birth_date"].year
        first = not earlier
        await connection.fetchrow(
            SQL_REDEMPTION, redemption_id, receipt_code, card_id, data.offer_id, offer["revision"], partner, outlet,
            _holder_ref(floor, partner, card_id), data.purchase_amount, amount, now, today, age, "5-9",
            card["kelurahan_code"], card["kelurahan_code"][:8], first, first, first, first, None, key_id, None,
            "completed", None, None, None,
        )  # fmt: skip
        await connection.execute(SQL_DAILY, today, partner, data.offer_id, outlet, 1, amount)
        await connection.executemany(
            SQL_MONTHLY,
            [(start, name, partner if name.startswith(("partner", "offer", "outlet")) else NIL, "", outlet.int % 8, 1,
              amount, int(first), card["kelurahan_code"][:5]) for name in MONTHLY_SLICES],
        )  # fmt: skip
        if card["first_redeemed_on"] is None:
            await connection.execute(SQL_FIRST_REDEEMED, today, card_id)
        await connection.fetchrow(SQL_USAGE_ROW, data.offer_id, 0, 0, now)
        used = (usage["redemptions"] if usage else 0) + 1
        spent = (usage["discount_total"] if usage else 0) + amount
        await connection.execute(SQL_USAGE_UPDATE, used, spent, now, data.offer_id)
        await connection.executemany(
            SQL_ATTEMPT,
            [(now, today, "redeem", "redeemed", None, partner, outlet, data.offer_id, card_id, None, key_id, None,
              redemption_id)],
        )  # fmt: skip
        receipt = {
            "redemption_id": str(redemption_id),
            "receipt_code": receipt_code,
            "offer_id": str(data.offer_id),
            "discount_amount": amount,
            "purchase_amount": data.purchase_amount,
            "redeemed_at": now.isoformat(),
        }
        await connection.execute(SQL_OUTCOME, json.dumps({"receipt": receipt}), str(partner), idempotency_key)
    return receipt


@asynccontextmanager
async def resources(_: Litestar) -> AsyncIterator[None]:
    await FLOOR.start()
    try:
        yield
    finally:
        await FLOOR.stop()


def create_app() -> Litestar:
    return Litestar(route_handlers=[bare, scan, redeem], lifespan=[resources], openapi_config=None, logging_config=None)
