"""The till's compiled selects answer exactly what the Piccolo query they were compiled from answers."""

from __future__ import annotations

from typing import Any

from core.database.statements import CompiledQuery
from core.database.transactions import write_transaction
from core.tables import Region, RegionLevel
from verification.tables import IdempotencyRecord


def _regions(codes: Any, level: Any) -> Any:
    query = Region.select(Region.code, Region.name, Region.parent_code).where(Region.code.is_in(codes))
    return query if level is None else query.where(Region.level == level)


async def test_same_rows_as_piccolo_for_every_shape():
    compiled = CompiledQuery(_regions)
    kelurahan = [row["code"] for row in await Region.select(Region.code).where(Region.level == RegionLevel.KELURAHAN)]
    for codes, level in (
        (kelurahan[:1], None),
        (kelurahan[:3], RegionLevel.KELURAHAN),
        (kelurahan[3:6], RegionLevel.KECAMATAN),  # no kelurahan is a kecamatan: nothing
        (kelurahan[:3], None),  # a shape seen before, with other values
        (kelurahan[6:9], None),
    ):
        expected = await _regions(codes, level).order_by(Region.code)
        rows = sorted(await compiled(codes, level), key=lambda row: row["code"])
        assert rows == expected


async def test_first_and_json_inside_the_callers_transaction():
    stored = CompiledQuery(
        lambda scope, key: (
            IdempotencyRecord.select(IdempotencyRecord.request_hash, IdempotencyRecord.outcome)
            .where(IdempotencyRecord.scope == scope)
            .where(IdempotencyRecord.key == key)
            .output(load_json=True)
            .first()
        ),
        first=True,
        json_columns=("outcome",),
    )
    async with write_transaction():
        await IdempotencyRecord.insert(
            IdempotencyRecord(scope="p", key="k-1", request_hash="h", outcome={"receipt": {"code": "R1"}})
        )
        # Not committed yet: only a select on the transaction's own connection sees it.
        assert await stored("p", "k-1") == {"request_hash": "h", "outcome": {"receipt": {"code": "R1"}}}
    assert await stored("p", "k-2") is None
    assert await stored("p", "k-1") == (
        await IdempotencyRecord.select(IdempotencyRecord.request_hash, IdempotencyRecord.outcome)
        .where(IdempotencyRecord.key == "k-1")
        .output(load_json=True)
        .first()
    )
