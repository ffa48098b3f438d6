"""Statements faster than the ORM's where it counts: many rows in one prepared statement (imports, the attempt log),
counters moved by one upsert (the rollups), and the till's small queries compiled once."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from core.database.engine import engine
from core.database.piccolo_internals import (
    compile_for_postgres,
    current_connection,
    run_outside_transaction,
    tablename,
)


def _placeholders(db: Any, count: int) -> list[str]:
    """The driver's own parameter marks, for statements run on its connection directly (executemany)."""
    return ["?"] * count if isinstance(db, SQLiteEngine) else [f"${index}" for index in range(1, count + 1)]


async def bulk_insert(table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows in the current transaction with one prepared statement (executemany).

    For imports of tens of thousands of rows: building a Piccolo object per row costs more than the database
    does. Values go through the driver's adapters (Piccolo registers SQLite's), so they are stored exactly as
    Piccolo stores them; JSON values must be passed already encoded.

    On PostgreSQL it may also run on its own (asyncpg's executemany is atomic): a few rows that need no other
    write with them, such as a scan's attempt log, without the round trips of BEGIN and COMMIT.
    """
    if not rows:
        return
    db = engine()
    connection = current_connection(db)
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join(_placeholders(db, len(columns)))
    sql = f'INSERT INTO "{tablename(table)}" ({names}) VALUES ({marks})'  # noqa: S608 - names from our tables
    values = [tuple(row) for row in rows]
    if connection is not None:
        await connection.executemany(sql, values)
    elif isinstance(db, PostgresEngine) and db.pool is not None:
        async with db.pool.acquire() as pooled:
            await pooled.executemany(sql, values)
    else:
        raise RuntimeError("bulk_insert runs inside write_transaction() (on SQLite always)")


async def bulk_update(table: type[Table], columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]]) -> None:
    """Set `columns` of many rows, each found by its `key` column, in the current transaction with one prepared
    statement (executemany): each row is its new values, then its key."""
    if not rows:
        return
    db = engine()
    connection = current_connection(db)
    if connection is None:
        raise RuntimeError("bulk_update runs inside write_transaction()")
    marks = _placeholders(db, len(columns) + 1)
    sets = ", ".join(f'"{column}" = {mark}' for column, mark in zip(columns, marks, strict=False))
    sql = f'UPDATE "{tablename(table)}" SET {sets} WHERE "{key}" = {marks[-1]}'  # noqa: S608 - names from our tables
    await connection.executemany(sql, [tuple(row) for row in rows])


def _upsert_sql(table: type[Table], keys: Sequence[str], counters: Sequence[str], marks: Sequence[str]) -> str:
    name = tablename(table)
    names = ", ".join(f'"{column}"' for column in (*keys, *counters))
    conflict = ", ".join(f'"{column}"' for column in keys)
    updates = ", ".join(f'"{column}" = "{name}"."{column}" + excluded."{column}"' for column in counters)
    return (
        f'INSERT INTO "{name}" ({names}) VALUES ({", ".join(marks)}) '  # noqa: S608 - names from our own tables
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


async def increment(table: type[Table], key: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add `deltas` to the counters of the row with `key` (creating it): one upsert, in the current transaction.

    The key's columns must carry a unique index. Used by the rollups, which move with every redemption.
    """
    sql = _upsert_sql(table, list(key), list(deltas), ["{}"] * (len(key) + len(deltas)))
    await engine().run_querystring(QueryString(sql, *key.values(), *deltas.values()))


async def increment_many(
    table: type[Table], keys: Sequence[str], rows: Sequence[tuple[dict[str, Any], dict[str, int]]]
) -> None:
    """`increment` for many rows at once: one prepared upsert run with executemany in the current transaction.

    Every row names the same key and counter columns, and no key repeats (sum them first): PostgreSQL refuses
    to touch one row twice in one command.
    """
    if not rows:
        return
    db = engine()
    connection = current_connection(db)
    if connection is None:
        raise RuntimeError("increment_many runs inside write_transaction()")
    counters = list(rows[0][1])
    marks = _placeholders(db, len(keys) + len(counters))
    values = [tuple(key[name] for name in keys) + tuple(deltas[name] for name in counters) for key, deltas in rows]
    await connection.executemany(_upsert_sql(table, keys, counters, marks), values)


async def fetch_postgres(sql: str, *arguments: Any) -> list[Any]:
    """Rows of hand-written PostgreSQL (asyncpg records), in the current transaction or on a pooled connection: for
    the one statement where a portable query would cost round trips (the scan's single read)."""
    db = engine()
    assert isinstance(db, PostgresEngine)
    connection = current_connection(db)
    if connection is not None:
        return list(await connection.fetch(sql, *arguments))
    if db.pool is not None:
        async with db.pool.acquire() as pooled:
            return list(await pooled.fetch(sql, *arguments))
    return await run_outside_transaction(db, sql, arguments)


class _Value(str):
    """Stands for the `position`-th value (or an element of it) while `CompiledQuery` compiles a query. A string, so
    that Piccolo passes it through untouched even where it would encode a value (a JSON column's)."""

    position: int
    item: int | None

    def __new__(cls, position: int, item: int | None = None) -> _Value:
        value = super().__new__(cls, f"<value {position}.{item}>")
        value.position, value.item = position, item
        return value


class CompiledQuery:
    """A Piccolo query (select, update, insert) built and compiled to PostgreSQL's SQL once per shape, then sent
    with each call's values.

    Building a query costs Piccolo 0.2 to 0.8 ms of CPU (measured in bench/load), more than PostgreSQL takes to
    answer the till's small queries, and a scan or redeem sends several. `build` takes the values and returns the
    query; it must use them only as values (lists for `is_in`, None for a branch not taken), never compute with
    them, and an insert must name every column (a default would be computed once, at compile time). A JSON
    column's value is passed already encoded. The SQL is cached per shape (each list's length, each None). The
    rows are what Piccolo returns: dicts, the JSON columns named in `json_columns` decoded, only the first (or
    None) with `first=True`. On SQLite the query is built and run by Piccolo every time, as anywhere else.
    """

    def __init__(self, build: Callable[..., Any], *, first: bool = False, json_columns: Sequence[str] = ()) -> None:
        self._build = build
        self._first = first
        self._json_columns = tuple(json_columns)
        self._compiled: dict[tuple[Any, ...], tuple[str, list[tuple[bool, Any]]]] = {}

    def _compile(self, values: tuple[Any, ...]) -> tuple[str, list[tuple[bool, Any]]]:
        stand_ins = [
            None if value is None
            else [_Value(index, item) for item in range(len(value))] if isinstance(value, list | tuple)
            else _Value(index)
            for index, value in enumerate(values)
        ]  # fmt: skip
        sql, arguments = compile_for_postgres(self._build(*stand_ins))
        return sql, [(isinstance(a, _Value), (a.position, a.item) if isinstance(a, _Value) else a) for a in arguments]

    async def __call__(self, *values: Any) -> Any:
        db = engine()
        if not isinstance(db, PostgresEngine):
            return await self._build(*values)
        shape = tuple(None if v is None else len(v) if isinstance(v, list | tuple) else 0 for v in values)
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(values)
        sql, slots = compiled
        arguments = [
            (values[slot[0]] if slot[1] is None else values[slot[0]][slot[1]]) if is_value else slot
            for is_value, slot in slots
        ]
        connection = current_connection(db)
        if connection is not None:
            records = await connection.fetch(sql, *arguments)
        elif db.pool is not None:
            async with db.pool.acquire() as pooled:
                records = await pooled.fetch(sql, *arguments)
        else:
            records = await run_outside_transaction(db, sql, arguments)
        rows = [dict(record.items()) for record in records]
        for row in rows:
            for name in self._json_columns:
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
        if self._first:
            return rows[0] if rows else None
        return rows
