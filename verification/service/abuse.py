"""Abuse limits at the till, the same for scan and redeem so that neither answers a guess faster than the other:
requests per caller, per outlet and per client address; typed manual codes per caller and per address; and one
card seen at too many outlets at once (a shared or copied QR)."""

from __future__ import annotations

import uuid

import structlog

from core.settings import Settings
from core.stores import Stores
from verification.errors import CardVelocity, ManualCodeThrottled, ScanThrottled
from verification.service import credentials
from verification.service.attempts import record_attempts
from verification.service.till import Till

log = structlog.get_logger()

# Scans and redemptions count together, per cashier or API key, per outlet and per client address: a busy till
# serves a few children a minute, a script sends hundreds (the limits are settings: MITRAKIA_TILL_*_PER_MINUTE).
MANUAL_CODES_PER_WINDOW, MANUAL_CODE_WINDOW = 10, 300  # typed codes (or guesses) per caller
ADDRESS_MANUAL_CODES_PER_WINDOW = 30  # and per client address, in the same window
VELOCITY_OUTLETS, VELOCITY_WINDOW = 3, 600  # more than 3 outlets within 10 minutes: a shared or copied QR


def is_typed(text: str) -> bool:
    """A manual code typed at the till (or a guess at one), as opposed to a scanned QR credential."""
    return not credentials.is_signed(text)


async def check_rate_limits(till: Till, text: str, stores: Stores, settings: Settings) -> None:
    """Count this scan or redeem; refuse it (429) once the caller, its outlet or its address sends too many, or
    types too many manual codes. Counted before anything is looked up, so a refused guess learns nothing; every
    counter in one round trip (a request refused by one limit still counts against the others)."""
    limits: list[tuple[str, int, int, type[ScanThrottled | ManualCodeThrottled]]] = [
        (f"till:caller:{till.principal}", 60, settings.till_requests_per_minute, ScanThrottled),
        (f"till:outlet:{till.outlet_id}", 60, settings.till_outlet_requests_per_minute, ScanThrottled),
        (f"till:address:{till.client_ip}", 60, settings.till_address_requests_per_minute, ScanThrottled),
    ]
    if is_typed(text):
        limits += [
            (f"manual:caller:{till.principal}", MANUAL_CODE_WINDOW, MANUAL_CODES_PER_WINDOW, ManualCodeThrottled),
            (
                f"manual:address:{till.client_ip}",
                MANUAL_CODE_WINDOW,
                ADDRESS_MANUAL_CODES_PER_WINDOW,
                ManualCodeThrottled,
            ),
        ]
    hits = await stores.hit_many([(key, window) for key, window, _, _ in limits])
    for (key, _, limit, refusal), hit in zip(limits, hits, strict=True):
        if hit.count > limit:
            if refusal is ScanThrottled:
                log.warning("verification.till_throttled", limit=key.split(":")[1], partner_id=str(till.partner_id))
            await _first_of_episode(till, hit.count, limit, refusal.code)
            raise refusal(retry_after=hit.resets_in)


async def _first_of_episode(till: Till, count: int, limit: int, code: str) -> None:
    """A throttle is an attempt row once per window, when it starts: the review sees every episode, and a flood
    of refused guesses writes one row, not thousands."""
    if count == limit + 1:
        await record_attempts(till, "throttle", [("throttled", code, None)])


async def check_velocity(till: Till, card_id: uuid.UUID, stores: Stores, kind: str = "scan") -> None:
    """Refuse (and flag for Dukcapil) a card seen at more than VELOCITY_OUTLETS outlets within the window; `kind`
    is the attempt flagged (a scan or a redeem)."""
    outlets = await stores.add_member(f"velocity:{card_id.hex}", till.outlet_id.hex, VELOCITY_WINDOW)
    if outlets.count > VELOCITY_OUTLETS:
        await record_attempts(till, kind, [("flagged", CardVelocity.code, None)], card_id=card_id)
        log.warning("verification.card_velocity", partner_id=str(till.partner_id), outlets=outlets.count)
        raise CardVelocity(retry_after=outlets.resets_in)
