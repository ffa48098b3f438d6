"""Dukcapil offices and the reach of a Dukcapil account: one kabupaten/kota (its office), a province, or national.

A region code names its own ancestors: `31.71.01.1001` is a kelurahan of kecamatan `31.71.01`, of the kabupaten/kota
`31.71`, of the province `31`. An office is a kabupaten/kota: it owns the cards of children living there, its
registry imports, population figures, printing and revocations. A province or national account only reads
aggregates. Which account reaches what is decided here and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from piccolo.columns import Column
from piccolo.columns.combination import Or, Where

from core.tables import DUKCAPIL_ROLES

if TYPE_CHECKING:
    from core.auth import CurrentUser

CITY_CODE_LENGTH = 5  # "31.71": a kabupaten/kota, whose Dukcapil office this service calls "the office"
PROVINCE_CODE_LENGTH = 2  # "17"


class Reach(StrEnum):
    """How far a Dukcapil account sees: its office's kabupaten/kota, a province's, or the whole country."""

    OFFICE = "office"
    PROVINCE = "province"
    NATIONAL = "national"


def reach_of(scope: str | None) -> Reach:
    if scope is None:
        return Reach.NATIONAL
    return Reach.OFFICE if len(scope) == CITY_CODE_LENGTH else Reach.PROVINCE


def valid_scope(scope: str | None) -> bool:
    """A scope is national (None), a province code (`31`) or a kabupaten/kota code (`31.71`)."""
    if scope is None:
        return True
    parts = scope.split(".")
    return len(parts) in (1, 2) and all(len(part) == 2 and part.isdigit() for part in parts)


def city_of(region_code: str) -> str:
    """The kabupaten/kota a region lies in (its office): `31.71.01.1001` → `31.71`."""
    return region_code[:CITY_CODE_LENGTH]


def covers(scope: str | None, region_code: str) -> bool:
    """Whether a region lies within the scope (a region covers itself)."""
    return scope is None or region_code == scope or region_code.startswith(scope + ".")


def within(column: Column, scope: str | None) -> Where | Or | None:
    """A query condition: `column` (a region code) lies within the scope; None (no condition) for national."""
    if scope is None:
        return None
    return Or(column == scope, column.like(scope + ".%"))


def narrowed(query: Any, column: Column, scope: str | None) -> Any:
    """`query` limited to rows whose region `column` lies within the scope."""
    condition = within(column, scope)
    return query if condition is None else query.where(condition)


def office_of_region(scope: str | None) -> str | None:
    """The office (kabupaten/kota) a scope is, or None for a province or national one."""
    return scope if scope is not None and reach_of(scope) is Reach.OFFICE else None


def office_of(actor: CurrentUser | None) -> str | None:
    """The office a signed-in Dukcapil account works for; None for a province, national or partner account."""
    return office_of_region(actor.region) if actor is not None and actor.role in DUKCAPIL_ROLES else None


# No office has this code: a condition on it matches nothing.
_NO_OFFICE = "-"


def owned(query: Any, column: Column, actor: CurrentUser | None) -> Any:
    """`query` limited to the child-level rows (cards, imports, staff, audit) of the actor's own office.

    The command line (no actor) reaches every office; a province or national account no child-level row at all.
    """
    if actor is None:
        return query
    return query.where(column == (office_of(actor) or _NO_OFFICE))


def seen(query: Any, column: Column, actor: CurrentUser | None) -> Any:
    """`query` limited to aggregates of regions within the actor's reach (`column` holds a region code)."""
    if actor is None:
        return query
    return narrowed(query, column, actor.region)
