"""Retention: what is past its period is deleted (`mitrakia retention run`, daily), with the periods in settings and
docs/data-protection.md. A dry run counts what would go and changes nothing.

- scan and redeem attempts (the till's log, with card ids): `MITRAKIA_RETAIN_ATTEMPTS_DAYS` (400). Their figures
  live on in the refusal rollups, which `mitrakia reports rebuild` leaves as they are for the days deleted here;
- idempotency records (a redemption's replayable answer): `MITRAKIA_RETAIN_IDEMPOTENCY_DAYS` (7);
- staff sessions that ended (expired, refresh expired, or revoked): `MITRAKIA_RETAIN_ENDED_SESSIONS_DAYS` (30);
- webhook deliveries (their bodies carry a child's pseudonym for the partner), with their attempts:
  `MITRAKIA_RETAIN_WEBHOOK_DELIVERIES_DAYS` (30) after their day of retries ended; an endpoint its manager deleted,
  with its deliveries, a day after;
- bulk-print PDFs (live credentials): a day after their run ended (admin.service.print_runs.KEPT_FOR);
- uploaded registry files (NIKs and birth dates) are kept only between the preview and the import, and deleted when
  it ends or is discarded; a preview left undecided for a day (admin.service.registry.PREVIEW_KEPT_FOR) is
  discarded here, its file deleted.

Redemptions, cards and the audit log are kept: they are the programme's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from admin.service import registry
from admin.service.print_runs import kept_too_long
from admin.tables import PrintRun
from core.database.transactions import write_transaction
from core.localtime import utc_now
from core.service.audit import record_event
from core.settings import Settings
from core.tables import StaffSession
from partners.tables import WebhookDelivery, WebhookEndpoint
from verification.tables import Attempt, IdempotencyRecord


@dataclass(frozen=True)
class Purge:
    """One kind of record past its period: how to find it, and how to make it go."""

    name: str
    table: Any
    condition: Any
    erase: dict[Any, Any] | None = None  # columns to clear instead of deleting the row


def purges(settings: Settings, now: datetime) -> list[Purge]:
    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    ended = before(settings.retain_ended_sessions_days)
    session = StaffSession
    # Attempts go by whole local days, so that the first day kept is whole (its refusal counts are recounted by a
    # rebuild; the days before keep theirs).
    attempts_before = before(settings.retain_attempts_days)
    return [
        Purge("attempts", Attempt,
              (Attempt.local_date < attempts_before.date())
              | (Attempt.local_date.is_null() & (Attempt.occurred_at < attempts_before))),
        Purge("idempotency_records", IdempotencyRecord,
              IdempotencyRecord.created_at < before(settings.retain_idempotency_days)),
        Purge("ended_sessions", session,
              (session.expires_at < ended)
              & ((session.refresh_expires_at.is_null()) | (session.refresh_expires_at < ended))
              | (session.revoked_at < ended)),
        # A delivery's retries end at `retry_until` (a day after it was queued or sent again): from then on it is
        # only the log, delivered, failed or waiting for an endpoint switched off.
        Purge("webhook_deliveries", WebhookDelivery,
              WebhookDelivery.retry_until < before(settings.retain_webhook_deliveries_days)),
        # An endpoint its manager deleted (gone from every page at once), with the rest of its log.
        Purge("deleted_webhooks", WebhookEndpoint, WebhookEndpoint.deleted_at < before(1)),
        Purge("print_pdfs", PrintRun, kept_too_long(now), erase={PrintRun.pdf: None}),
    ]  # fmt: skip


async def run(settings: Settings, dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Delete (or, for a dry run, count) what is past its period; the counts by kind. A real run is audited."""
    now = now or utc_now()
    counts: dict[str, int] = {"import_previews": await registry.discard_stale_previews(now, dry_run)}
    for purge in purges(settings, now):
        counts[purge.name] = await purge.table.count().where(purge.condition)
        if dry_run or not counts[purge.name]:
            continue
        async with write_transaction():
            if purge.erase is None:
                await purge.table.delete().where(purge.condition)
            else:
                await purge.table.update(purge.erase).where(purge.condition)
    if not dry_run and any(counts.values()):
        await record_event("retention.run", "retention", None, after=counts)
    return counts
