"""The append-only audit log: every domain records who changed what, inside the same transaction as the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.logs import current_request_id
from core.tables import AuditEvent

if TYPE_CHECKING:
    from core.auth import CurrentUser


async def record_event(
    action: str,
    object_type: str,
    object_id: object | None = None,
    *,
    actor: CurrentUser | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one event. Summaries must hold no personal data of children (no NIK, name, birth date, address)."""
    await AuditEvent.insert(
        AuditEvent(
            actor_id=actor.id if actor else None,
            actor_username=actor.username if actor else None,
            actor_role=actor.role.value if actor else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )
