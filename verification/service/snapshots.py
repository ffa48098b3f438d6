"""The signed status snapshot an offline till downloads: each status list as a W3C Bitstring Status List
credential (VC-JOSE-COSE, `vc+jwt`), two bits per print, signed with the key that signs cards."""

from __future__ import annotations

import base64
import gzip
from datetime import date, timedelta

import jwt

from core.auth import CurrentUser
from core.localtime import utc_now
from core.settings import Settings
from core.stores import Stores
from partners.service.offers import TillOffer, till_offers
from verification.errors import StatusListNotFound
from verification.service import cards, status_lists
from verification.service.keys import ALGORITHM, KeyRing
from verification.service.status_lists import LIST_SIZE, SNAPSHOT_CACHE
from verification.service.till import Till, till_for
from verification.tables import CardStatus, Credential, StatusList

STATUS_SIZE = 2  # bits per entry: the Recommendation's "message" purpose, four states
MESSAGES = ("active", "revoked", "superseded", "expired")  # entry values 0x0 to 0x3, in the list's statusMessage
CACHE_SECONDS = 30  # a list is rebuilt at most this often: a revocation reaches a till's next fetch within it


def entry_of(credential_cv: int, card_cv: int, card_status: str, birth_date: date | None, today: date) -> int:
    """The state of one print as its list entry: superseded by a newer print, or its card's state."""
    if credential_cv < card_cv:
        return MESSAGES.index("superseded")
    if card_status != CardStatus.ACTIVE:
        return MESSAGES.index("revoked")
    if birth_date is not None and cards.expired_on(birth_date, today):
        return MESSAGES.index("expired")
    return MESSAGES.index("active")


async def bitstring(number: int, today: date) -> bytes:
    """List `number` as LIST_SIZE entries of STATUS_SIZE bits, the first entry in the left-most bits (§ 4.5)."""
    first = number * LIST_SIZE
    rows = await Credential.select(
        Credential.status_slot, Credential.cv, Credential.card.cv.as_alias("card_cv"),
        Credential.card.status.as_alias("card_status"), Credential.card.birth_date.as_alias("birth_date"),
    ).where((Credential.status_slot >= first) & (Credential.status_slot < first + LIST_SIZE))  # fmt: skip
    bits = bytearray(LIST_SIZE * STATUS_SIZE // 8)
    for row in rows:
        value = entry_of(row["cv"], row["card_cv"], row["card_status"], row["birth_date"], today)
        index = (row["status_slot"] - first) * STATUS_SIZE
        bits[index // 8] |= value << (8 - STATUS_SIZE - index % 8)
    return bytes(bits)


async def signed_list(number: int, keyring: KeyRing, settings: Settings, stores: Stores) -> str:
    """List `number` as a BitstringStatusListCredential secured as a JWT (VC-JOSE-COSE, `vc+jwt`) with the key that
    signs cards: valid for `settings.status_list_ttl` seconds, its `ttl` member saying the same in milliseconds."""
    cached = await stores.cache_get(SNAPSHOT_CACHE, str(number))
    if cached is not None:
        return cached.decode()
    if not await StatusList.exists().where(StatusList.id == number):
        raise StatusListNotFound()
    now = utc_now().replace(microsecond=0)
    encoded = base64.urlsafe_b64encode(gzip.compress(await bitstring(number, settings.today()), mtime=0))
    url = f"{settings.public_base_url.rstrip('/')}/api/v1/verification/status-lists/{number}"
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": settings.issuer,
        "validFrom": now.isoformat().replace("+00:00", "Z"),
        "validUntil": (now + timedelta(seconds=settings.status_list_ttl)).isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "message",
            "statusSize": STATUS_SIZE,
            "statusMessage": [{"status": hex(value), "message": message} for value, message in enumerate(MESSAGES)],
            "encodedList": "u" + encoded.rstrip(b"=").decode(),
            "ttl": settings.status_list_ttl * 1000,
        },
    }
    signer = await keyring.signing_key()
    headers = {"kid": signer.kid, "typ": "vc+jwt", "cty": "vc"}
    token = jwt.encode(credential, signer.private_key, algorithm=ALGORITHM, headers=headers)
    await stores.cache_set(SNAPSHOT_CACHE, str(number), token.encode(), CACHE_SECONDS)
    return token


def regions_of(till: Till, offers: list[TillOffer]) -> set[str]:
    """Whose prints a till may meet: its outlet's office, and every region its partner's offers name."""
    return {till.city_code} | {code for offer in offers for code in offer.rules.regions}


async def till_lists(user: CurrentUser, device_id: str | None, client_ip: str) -> dict[int, str]:
    """{number: office} of the lists a till needs offline (`regions_of`)."""
    till = await till_for(user, device_id, client_ip)
    return await status_lists.lists_of(regions_of(till, await till_offers(till.partner_id)))


async def till_list(
    number: int, user: CurrentUser, device_id: str | None, client_ip: str, keyring: KeyRing, settings: Settings,
    stores: Stores,
) -> str:  # fmt: skip
    """One of the till's lists, signed; a list it has no use for is not found."""
    if number not in await till_lists(user, device_id, client_ip):
        raise StatusListNotFound()
    return await signed_list(number, keyring, settings, stores)
