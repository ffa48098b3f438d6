"""The essential-work floor of the till benchmark: the least that any correct implementation of scan and redeem must
do, on the same ASGI server, PostgreSQL and machine as the app. The app is measured against it (bench/load/run.py).

What every correct design pays, and nothing more:
- scan: read the JSON body; verify the ES256 credential with a key held in memory; one indexed query that reads the
  card's status and this card's earlier redemptions of the partner's offers (and the quota/budget usage of the
  offers that have one); evaluate the rules of offers held in process memory; encode the answer.
- redeem: the same, then one transaction that locks the row carrying the card's limits (the card) and, for an offer
  with a quota or a budget, its usage row; counts; inserts the redemption under a unique (partner, Idempotency-Key),
  so that a retry returns the first answer and a twin waits for it; moves the usage; commits.

It is a correct implementation, not a replay of the app: the same card check and the same rules (the app's pure
functions `cards.check_card` and `eligibility.evaluate`: evaluating rules is essential work, and sharing them makes
the answers comparable), the same limits, quota and budget, exact under concurrency, and idempotency. run.py checks
that it answers as the app does on the same cards before it measures either. What it leaves out is what the app
does beyond the essential: API keys, outlets and offers are read once at start-up (it never sees a change), no
attempt log, no abuse limits, no reports' rollups, no per-partner pseudonym. Like the app, a refused redeem is an
answer too: stored under its key (`essential_refusal`), so that a retry gets it again.

Its own tables (`essential_redemption`, `essential_refusal`, `essential_usage`) sit beside the app's in the
benchmark database; it reads the app's `card`, `partner_api_key`, `outlet`, `partner_office`, `offer` and
`signing_key` tables. Served as a bare ASGI callable: `granian --interface asgi --factory essential:create_app`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.offices import city_of
from partners.service import rules as offer_rules
from partners.service.offers import TillOffer
from partners.service.outlets import _hours
from partners.tables import OfferStatus
from verification.errors import CardUnknown, SignatureInvalid
from verification.service import cards, eligibility
from verification.service.credentials import Presented, card_id_from_sub, from_numeric
from verification.service.keys import public_key_from_jwk
from verification.service.limits import EVER, limited_since

DATABASE_URL = os.environ.get("MITRAKIA_DATABASE_URL", "").replace("postgresql+asyncpg://", "postgresql://", 1)
ISSUER = os.environ.get("MITRAKIA_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
POOL_SIZE = int(os.environ.get("MITRAKIA_DB_POOL_SIZE", "10"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS essential_redemption (
    partner uuid NOT NULL, idempotency_key text NOT NULL, request_hash text NOT NULL, card uuid NOT NULL,
    offer uuid NOT NULL, local_date date NOT NULL, discount bigint NOT NULL, receipt text NOT NULL,
    PRIMARY KEY (partner, idempotency_key));
CREATE INDEX IF NOT EXISTS essential_redemption_card ON essential_redemption (card, partner, local_date);
CREATE TABLE IF NOT EXISTS essential_refusal (
    partner uuid NOT NULL, idempotency_key text NOT NULL, request_hash text NOT NULL, status int NOT NULL,
    code text NOT NULL, PRIMARY KEY (partner, idempotency_key));
CREATE TABLE IF NOT EXISTS essential_usage (
    offer uuid PRIMARY KEY, redemptions bigint NOT NULL DEFAULT 0, discount_total bigint NOT NULL DEFAULT 0);
"""
# The one read of a scan: the card, its redemptions of this partner's offers since the earliest day a limit looks
# at, and the usage of the offers with a quota or a budget.
SCAN = """
SELECT c.cv, c.status, c.birth_date, c.kelurahan_code, h.offers, h.days, u.offers AS used_offers, u.used, u.spent
FROM card c
LEFT JOIN LATERAL (SELECT array_agg(r.offer) AS offers, array_agg(r.local_date) AS days FROM essential_redemption r
                   WHERE r.card = c.id AND r.partner = $2 AND r.local_date >= $3) h ON true
LEFT JOIN LATERAL (SELECT array_agg(s.offer) AS offers, array_agg(s.redemptions) AS used,
                          array_agg(s.discount_total) AS spent
                   FROM essential_usage s WHERE s.offer = ANY($4::uuid[])) u ON true
WHERE c.id = $1
"""
STORED = "SELECT request_hash, receipt FROM essential_redemption WHERE partner = $1 AND idempotency_key = $2"
LOCK_CARD = "SELECT cv, status, birth_date, kelurahan_code FROM card WHERE id = $1 FOR UPDATE"
# After the card's lock: its history of this offer (no twin can add to it now) and the stored answer of the key.
HISTORY = """
SELECT (SELECT array_agg(local_date) FROM essential_redemption
        WHERE card = $1 AND partner = $2 AND offer = $3 AND local_date >= $4) AS days,
       (SELECT receipt FROM essential_redemption WHERE partner = $2 AND idempotency_key = $5) AS receipt,
       (SELECT request_hash FROM essential_redemption WHERE partner = $2 AND idempotency_key = $5) AS request_hash,
       (SELECT row(request_hash, status, code)::text FROM essential_refusal
        WHERE partner = $2 AND idempotency_key = $5) AS refused
"""
REFUSED = (
    "INSERT INTO essential_refusal (partner, idempotency_key, request_hash, status, code) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT DO NOTHING"
)
LOCK_USAGE = "SELECT redemptions, discount_total FROM essential_usage WHERE offer = $1 FOR UPDATE"
INSERT = """
INSERT INTO essential_redemption (partner, idempotency_key, request_hash, card, offer, local_date, discount, receipt)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1
"""
MOVE_USAGE = (
    "UPDATE essential_usage SET redemptions = redemptions + 1, discount_total = discount_total + $2 WHERE offer = $1"
)


@dataclass(frozen=True)
class Place:
    partner: uuid.UUID
    outlet: uuid.UUID
    key_hash: str
    context: eligibility.Context  # its `now` is replaced per request


class Floor:
    pool: asyncpg.Pool
    public_keys: dict[str, ec.EllipticCurvePublicKey]
    keys: dict[str, Place]  # by the key's prefix
    offers: dict[uuid.UUID, list[TillOffer]]  # by partner
    metered: dict[uuid.UUID, list[uuid.UUID]]  # by partner: its offers with a quota or a budget

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(DATABASE_URL, min_size=POOL_SIZE, max_size=POOL_SIZE)
        async with self.pool.acquire() as connection:
            async with connection.transaction():  # the workers start together: one creates the tables
                await connection.execute("SELECT pg_advisory_xact_lock(7172)")
                await connection.execute(SCHEMA)
            rows = await connection.fetch(
                "SELECT kid, public_jwk FROM signing_key WHERE status IN ('active', 'retired')"
            )
            self.public_keys = {row["kid"]: public_key_from_jwk(json.loads(row["public_jwk"])) for row in rows}
            self.keys = {}
            for row in await connection.fetch(
                "SELECT k.prefix, k.key_hash, k.partner, k.outlet, o.timezone, o.kelurahan_code, o.opening_hours "
                "FROM partner_api_key k JOIN outlet o ON o.id = k.outlet WHERE k.revoked_at IS NULL"
            ):
                context = eligibility.Context(row["outlet"], row["timezone"], datetime.now(UTC),
                                              city_of(row["kelurahan_code"]), _hours(row["opening_hours"]))  # fmt: skip
                self.keys[row["prefix"]] = Place(row["partner"], row["outlet"], row["key_hash"], context)
            self.offers, self.metered = {}, {}
            for row in await connection.fetch(
                "SELECT id, partner, status, status_reason, revision, rules, all_outlets FROM offer "
                "WHERE status IN ('published', 'paused') ORDER BY created_at"
            ):
                rules = offer_rules.from_json(
                    json.loads(row["rules"]) if isinstance(row["rules"], str) else row["rules"]
                )
                offer = TillOffer(row["id"], OfferStatus(row["status"]), row["status_reason"], row["revision"], rules,
                                  row["all_outlets"], frozenset())  # fmt: skip
                self.offers.setdefault(row["partner"], []).append(offer)
                if eligibility.metered(rules):
                    self.metered.setdefault(row["partner"], []).append(row["id"])
                    await connection.execute("INSERT INTO essential_usage (offer) VALUES ($1) ON CONFLICT DO NOTHING",
                                             row["id"])  # fmt: skip

    def place(self, headers: dict[bytes, bytes], now: datetime) -> Place | None:
        raw = headers.get(b"x-api-key", b"").decode()
        parts = raw.split("_", 2)
        place = self.keys.get("_".join(parts[:2])) if len(parts) == 3 else None
        if place is None or not hmac.compare_digest(place.key_hash, hashlib.sha256(raw.encode()).hexdigest()):
            return None
        return replace(place, context=replace(place.context, now=now))

    def presented(self, text: str) -> Presented:
        """The card a QR text names, verified with the key held in memory (SignatureInvalid otherwise)."""
        try:
            jws = from_numeric(text.strip()[len("kia:/") :])
            kid = jwt.get_unverified_header(jws)["kid"]
            claims = json.loads(jwt.api_jws.decode(jws, self.public_keys[kid], algorithms=["ES256"]))
        except Exception:
            raise SignatureInvalid() from None
        if claims.get("iss") != ISSUER:
            raise SignatureInvalid()
        return Presented(card_id_from_sub(claims["sub"]), claims["cv"], "qr")


FLOOR = Floor()


def _since(offers: list[TillOffer], today: date) -> date:
    return limited_since(offers, today)[1] or EVER  # no limit, or a lifetime one: since ever


class ScanIn(msgspec.Struct):
    qr: str


class RedeemIn(msgspec.Struct):
    qr: str
    offer_id: uuid.UUID
    purchase_amount: int | None = None


async def scan(floor: Floor, place: Place, body: bytes) -> tuple[int, Any]:
    data = msgspec.json.decode(body, type=ScanIn)
    offers = floor.offers.get(place.partner, [])
    context = place.context
    today = context.today
    try:
        presented = floor.presented(data.qr)
    except SignatureInvalid as refusal:
        return 200, {"card": {"status": "invalid", "reason_code": refusal.code}, "offers": []}
    async with floor.pool.acquire() as connection:
        row = await connection.fetchrow(SCAN, presented.card_id, place.partner, _since(offers, today),
                                        floor.metered.get(place.partner, []))  # fmt: skip
    try:
        state = cards.check_card(cards.state_of(presented.card_id, row), presented, today)
    except Exception as refusal:
        return 200, {"card": {"status": "refused", "reason_code": getattr(refusal, "code", "card_unknown")},
                     "offers": []}  # fmt: skip
    assert row is not None
    assert state.birth_date is not None
    history: dict[uuid.UUID, list[date]] = {}
    for offer_id, day in zip(row["offers"] or [], row["days"] or [], strict=True):
        history.setdefault(offer_id, []).append(day)
    usage = {o: eligibility.Usage(n, s) for o, n, s in zip(row["used_offers"] or [], row["used"] or [],
                                                           row["spent"] or [], strict=True)}  # fmt: skip
    answers = []
    for offer in offers:
        verdict = eligibility.evaluate(offer, context, state.birth_date, state.kelurahan_code,
                                       usage.get(offer.id, eligibility.Usage()), history.get(offer.id, []))  # fmt: skip
        refusal = verdict.refusal
        answers.append({"offer_id": str(offer.id), "title": offer.rules.title, "eligible": verdict.eligible,
                        "reason_code": refusal.code if refusal else None, "remaining": verdict.remaining})  # fmt: skip
    age = cards.age_on(state.birth_date, today)
    return 200, {"card": {"status": "active", "age_years": age}, "offers": answers}


def _problem(status: int, code: str) -> tuple[int, Any]:
    return status, {"code": code}


async def redeem(floor: Floor, place: Place, body: bytes, key: str) -> tuple[int, Any]:
    if not key:
        return _problem(400, "idempotency_key_required")
    data = msgspec.json.decode(body, type=RedeemIn)
    context = place.context
    today = context.today
    offer = next((o for o in floor.offers.get(place.partner, []) if o.id == data.offer_id), None)
    if offer is None:
        return _problem(404, "offer_not_found")
    if data.purchase_amount is None and eligibility.needs_purchase_amount(offer.rules):
        return _problem(422, "purchase_amount_required")
    request_hash = hashlib.sha256(
        f"{data.qr.strip()}|{offer.id}|{data.purchase_amount}|{place.outlet}".encode()
    ).hexdigest()
    try:
        presented = floor.presented(data.qr)
    except SignatureInvalid as refusal:
        return _problem(422, refusal.code)
    metered = eligibility.metered(offer.rules)
    async with floor.pool.acquire() as connection, connection.transaction():
        card = await connection.fetchrow(LOCK_CARD, presented.card_id)  # the row carrying this card's limits
        known = await connection.fetchrow(HISTORY, presented.card_id, place.partner, offer.id,
                                          _since([offer], today), key)  # fmt: skip
        if known["receipt"] is not None:  # a retry: the first answer, or a key reused for another request
            if known["request_hash"] != request_hash:
                return _problem(422, "idempotency_key_reused")
            return 201, msgspec.json.decode(known["receipt"])
        if known["refused"] is not None:  # "(hash,status,code)"
            first_hash, status, code = known["refused"].strip("()").split(",")
            if first_hash != request_hash:
                return _problem(422, "idempotency_key_reused")
            return _problem(int(status), code)

        async def refuse(status: int, code: str) -> tuple[int, Any]:
            await connection.execute(REFUSED, place.partner, key, request_hash, status, code)
            return _problem(status, code)

        try:
            state = cards.check_card(cards.state_of(presented.card_id, card), presented, today)
        except Exception as refusal:
            return await refuse(409, getattr(refusal, "code", CardUnknown.code))
        assert state.birth_date is not None
        usage = eligibility.Usage()
        if metered:
            locked = await connection.fetchrow(LOCK_USAGE, offer.id)
            usage = eligibility.Usage(locked["redemptions"], locked["discount_total"])
        amount_given = data.purchase_amount or 0
        verdict = eligibility.evaluate(offer, context, state.birth_date, state.kelurahan_code, usage,
                                       list(known["days"] or []), amount_given)  # fmt: skip
        if verdict.refusal is not None:
            code = verdict.refusal.code
            return await refuse(422 if code == "minimum_purchase_not_met" else 409, code)
        amount = eligibility.discount(offer.rules, amount_given)
        if offer.rules.budget is not None and usage.discount_total + amount > offer.rules.budget:
            return await refuse(409, "offer_budget_exhausted")
        receipt = {"redemption_id": str(uuid.uuid4()), "offer_id": str(offer.id), "discount_amount": amount,
                   "purchase_amount": amount_given, "redeemed_at": context.now.isoformat()}  # fmt: skip
        inserted = await connection.fetchval(INSERT, place.partner, key, request_hash, presented.card_id, offer.id,
                                             today, amount, msgspec.json.encode(receipt).decode())  # fmt: skip
        if inserted is None:  # the same key for another card, committed meanwhile (the card lock did not cover it)
            return _problem(422, "idempotency_key_reused")
        if metered:
            await connection.execute(MOVE_USAGE, offer.id, amount)
    return 201, receipt


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, status: int, payload: Any) -> None:
    body = msgspec.json.encode(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await FLOOR.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await FLOOR.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    path, body = scope["path"], await _body(receive)
    if path == "/json":
        return await _send(send, 200, {"ok": True})
    headers = dict(scope["headers"])
    place = FLOOR.place(headers, datetime.now(UTC))
    if place is None:
        return await _send(send, 401, {"code": "unauthenticated"})
    try:
        if path == "/scan":
            status, answer = await scan(FLOOR, place, body)
        elif path == "/redemptions":
            status, answer = await redeem(FLOOR, place, body, headers.get(b"idempotency-key", b"").decode().strip())
        else:
            status, answer = 404, {"code": "not_found"}
    except msgspec.ValidationError:
        status, answer = 422, {"code": "invalid"}
    await _send(send, status, answer)


def create_app() -> Any:
    return app
