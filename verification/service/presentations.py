"""Rotating codes for a parent's phone: a short-lived signed presentation of the child's card, new each time, so
that merchants who pool what they scan cannot link two visits the way they can with the printed sticker."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from core.settings import Settings
from core.stores import Stores
from verification.errors import PresentationThrottled, QrUnreadable
from verification.service import cards, credentials, cwt
from verification.service.keys import KeyRing

PRESENTATION_SECONDS = 300  # how long one code on the phone is valid; the page shows a new one before then
PER_ADDRESS_PER_MINUTE = 20  # a page renews once a minute: twenty is a family's phones behind one address


@dataclass(frozen=True, slots=True)
class Presentation:
    qr: str
    expires: int  # seconds since 1970


async def present(
    printed: str, client_ip: str, keyring: KeyRing, settings: Settings, stores: Stores
) -> Presentation:  # fmt: skip
    """A fresh presentation of the card whose printed QR the parent holds: only a signed QR (a manual code alone
    is not proof of holding the sticker), of a card that may be used today; counted per address first."""
    (hit,) = await stores.hit_many([(f"presentation:address:{client_ip}", 60)])
    if hit.count > PER_ADDRESS_PER_MINUTE:
        raise PresentationThrottled(retry_after=hit.resets_in)
    if not credentials.is_signed(printed):
        raise QrUnreadable()
    presented = await credentials.read(printed, keyring, settings, stores)
    if presented.via != "qr":  # a presentation does not make another one
        raise QrUnreadable()
    await cards.check(presented, stores, settings.today())
    handle = secrets.token_bytes(cwt.HANDLE_BYTES)
    # On a whole minute: every code made in the same minute carries the same expiry, so it tells nothing apart.
    expires = (int(time.time()) + PRESENTATION_SECONDS) // 60 * 60 + 60
    value = credentials.card_version(presented.card_id, presented.cv)
    await stores.cache_set(credentials.PRESENTATION_CACHE, handle.hex(), value, PRESENTATION_SECONDS + 60)
    return Presentation(cwt.sign_presentation(await keyring.signing_key(), handle, expires), expires)
