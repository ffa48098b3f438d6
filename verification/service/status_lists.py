"""Status lists: each office's prints have a slot in one of its W3C Bitstring Status Lists, drawn at random so the
slot says nothing about the child, the card or when it was printed."""

from __future__ import annotations

import secrets

from core.database.transactions import for_update
from verification.tables import Credential, StatusList

# Entries per list: the Recommendation's minimum for herd privacy (131,072), so fetching a list tells its server
# nothing about which card a till checks.
LIST_SIZE = 131_072
# A list takes new slots until half of it is used: a random draw then finds a free slot in two tries on average.
OPEN_UNTIL = LIST_SIZE // 2


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
