"""Dependencies shared by the partners controllers: the partner a manager acts for, checked once — from the path on
the API (another partner's id answers 404), from the signed-in manager on the console's pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Router
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.auth import AuthedRequest, CurrentUser
from core.guards import requires_partner_manager
from core.i18n import Language
from partners.service.access import Membership, managed_partner, own_membership


async def provide_managed_partner(request: AuthedRequest, partner_id: FromPath[uuid.UUID]) -> Membership:
    """Ownership is checked here, once: a manager of another partner gets 404 for every path under it."""
    return await managed_partner(request.user, partner_id)


async def provide_own_partner(user: NamedDependency[CurrentUser]) -> Membership:
    """The signed-in manager's own partner: every page of /mitra acts for it and nothing else."""
    return await own_membership(user)


@dataclass(frozen=True)
class Manager:
    """A partner manager on a page of their console: who acts, for which partner, reading which language."""

    user: CurrentUser
    partner_id: uuid.UUID
    language: Language


async def provide_manager(
    user: NamedDependency[CurrentUser], membership: NamedDependency[Membership], language: NamedDependency[Language]
) -> Manager:
    return Manager(user, membership.partner_id, language)


def manager_pages(*handlers: Any) -> Router:
    """A part of the partner console at /mitra: for partner managers, each acting for their own partner."""
    return Router(
        "/mitra",
        guards=[requires_partner_manager],
        dependencies={"membership": Provide(provide_own_partner), "manager": Provide(provide_manager)},
        include_in_schema=False,
        route_handlers=list(handlers),
    )
