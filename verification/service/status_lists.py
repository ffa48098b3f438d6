"""Status lists: each office's prints have a slot in one of its W3C Bitstring Status Lists, drawn at random so the
slot says nothing about the child, the card or when it was printed (published by verification.service.snapshots)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from core.database.transactions import for_update
from core.stores import Stores
from verification.tables import Credential, StatusList

# Entries per list: the Recommendation's minimum for herd privacy (131,072), so fetching a list tells its server
# nothing about which card a till checks.
LIST_SIZE = 131_072
# A list takes new slots until half of it is used: a random draw then finds a free slot in two tries on average.
OPEN_UNTIL = LIST_SIZE // 2
CHUNK = 500  # cards per query when forgetting many
SNAPSHOT_CACHE = "status-list"  # where verification.service.snapshots keeps each list's signed snapshot


def list_of(slot: int) -> tuple[int, int]:
    """(list number, index in the list) of a slot."""
    return divmod(slot, LIST_SIZE)


async def allocate(city_code: str) -> int:
    """A free slot in one of the office's open lists (a new list when none is open). Call it inside the write
    transaction that stores the slot: the list's row is locked until then, so two prints never draw the same one."""
    query = StatusList.select(StatusList.id, StatusList.used).where(StatusList.city_code == city_code)
    row = await for_update(query.where(StatusList.used < OPEN_UNTIL).order_by(StatusList.id)).first()
    if row is None:
        inserted = await StatusList.insert(StatusList(city_code=city_code)).returning(StatusList.id)
        row = {"id": inserted[0]["id"], "used": 0}
    while True:
        slot = row["id"] * LIST_SIZE + secrets.randbelow(LIST_SIZE)
        if not await Credential.exists().where(Credential.status_slot == slot):
            break
    await StatusList.update({StatusList.used: StatusList.used + 1}).where(StatusList.id == row["id"])
    return slot


async def lists_of(region_codes: Collection[str]) -> dict[int, str]:
    """{list number: its office} of the lists that hold the prints of the offices in these regions (a kabupaten/kota
    or anything inside it names its office; a province code, every office in it), by number."""
    cities = {code[:5] for code in region_codes if len(code) >= 5}
    provinces = {code for code in region_codes if 0 < len(code) < 5}
    where: Any = StatusList.city_code.is_in(sorted(cities) or [""])
    for province in sorted(provinces):
        where = where | StatusList.city_code.like(f"{province}.%")
    rows = await StatusList.select(StatusList.id, StatusList.city_code).where(where).order_by(StatusList.id)
    return {row["id"]: row["city_code"] for row in rows}


async def forget(card_ids: Sequence[uuid.UUID], stores: Stores) -> None:
    """Drop the cached lists that hold these cards' prints: a change shows in the next fetch, not 30 s later. One
    query per CHUNK cards (an import updates thousands)."""
    numbers: set[int] = set()
    for start in range(0, len(card_ids), CHUNK):
        rows = await Credential.select(Credential.status_slot).where(
            Credential.card.is_in(list(card_ids[start : start + CHUNK])) & Credential.status_slot.is_not_null()
        )
        numbers |= {list_of(row["status_slot"])[0] for row in rows}
    for number in numbers:
        await stores.cache_delete(SNAPSHOT_CACHE, str(number))
