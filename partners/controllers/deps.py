"""Dependencies shared by the partners controllers: the manager's own partner, resolved from the path."""

from __future__ import annotations

import uuid

from litestar.params import FromPath

from core.auth import AuthedRequest
from partners.service.access import Membership, managed_partner


async def provide_managed_partner(request: AuthedRequest, partner_id: FromPath[uuid.UUID]) -> Membership:
    """Ownership is checked here, once: a manager of another partner gets 404 for every path under it."""
    return await managed_partner(request.user, partner_id)
