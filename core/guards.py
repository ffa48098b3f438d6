"""Role guards for routers and controllers; ownership (this partner, this outlet) is checked in the partners layer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from core.auth import CurrentUser
from core.offices import Reach, reach_of
from core.tables import DUKCAPIL_ROLES, Role

# Guards are coroutines: Litestar runs a plain function guard in a worker thread (two thread hops per request on
# the till's endpoints, measured in bench/load), and these only read the scope.
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires_role(*roles: Role, reaches: frozenset[Reach] = frozenset(Reach)) -> Guard:
    """Only these roles pass; a Dukcapil account also only with one of these `reaches` (core.offices): the work on
    children's cards and imports is an office's, which a province or national account does not do."""
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, CurrentUser):
            raise NotAuthorizedException()
        if user.role not in allowed or (user.role in DUKCAPIL_ROLES and reach_of(user.region) not in reaches):
            raise PermissionDeniedException()

    guard.__name__ = "requires_" + "_or_".join(sorted(role.value for role in roles))
    if reaches != frozenset(Reach):
        guard.__name__ += "_of_" + "_or_".join(sorted(reaches))
    # Who passes: the page walk's expectations are read from these.
    guard.roles = allowed  # type: ignore[attr-defined]
    guard.reaches = reaches  # type: ignore[attr-defined]
    return guard


def requires_scope(scope: str) -> Guard:
    """For endpoints an API key may call: the key must have been granted `scope`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, CurrentUser):
            raise NotAuthorizedException()
        if not user.may(scope):
            raise PermissionDeniedException()

    guard.__name__ = f"requires_scope_{scope}"
    return guard


requires_staff = requires_role(*Role)
requires_dukcapil = requires_role(Role.DUKCAPIL_ADMIN, Role.DUKCAPIL_ANALYST)
requires_dukcapil_admin = requires_role(Role.DUKCAPIL_ADMIN)
# An office's own work on children's records: a kabupaten/kota's Dukcapil staff, never a province or national account.
requires_office = requires_role(Role.DUKCAPIL_ADMIN, Role.DUKCAPIL_ANALYST, reaches=frozenset({Reach.OFFICE}))
requires_office_admin = requires_role(Role.DUKCAPIL_ADMIN, reaches=frozenset({Reach.OFFICE}))
# What every office shares, such as the card-signing keys that every till verifies: a national admin's alone.
requires_national_admin = requires_role(Role.DUKCAPIL_ADMIN, reaches=frozenset({Reach.NATIONAL}))
requires_partner_manager = requires_role(Role.PARTNER_MANAGER)
requires_cashier = requires_role(Role.CASHIER)
requires_partner_staff = requires_role(Role.PARTNER_MANAGER, Role.CASHIER)
